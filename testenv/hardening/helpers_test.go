package hardening

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/testenv"
)

// profiles are the Envoy generations every fuzz and nasty-input test runs on.
var profiles = []testenv.Profile{testenv.Envoy133, testenv.Envoy139}

// plugin is one filter module with one configuration (and host properties).
type plugin struct {
	module string
	config string
	props  map[string][]byte
}

// load starts a VM of p on profile; debug logs are not recorded (per-request
// logging is at debug, and long runs would otherwise keep every line).
func load(tb testing.TB, rt *testenv.Runtime, wasm []byte, p plugin, profile testenv.Profile) *testenv.VM {
	tb.Helper()
	vm, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{
		Profile:      profile,
		PluginConfig: []byte(p.config),
		Properties:   p.props,
		LogLevel:     testenv.LogInfo,
	})
	require.NoError(tb, err, "%s %s", p.module, p.config)
	tb.Cleanup(func() { _ = vm.Close(context.Background()) })
	return vm
}

// result is what one request did: headers forwarded upstream, or a local reply.
type result struct {
	action   testenv.Action
	upstream testenv.Headers
	local    *testenv.LocalResponse
}

// send runs one full stream (request headers, response headers, Complete).
func send(vm *testenv.VM, h testenv.Headers) result {
	s := vm.NewHTTPStream()
	r := result{action: s.RequestHeaders(h, true)}
	r.upstream = s.Request().Headers.Clone()
	r.local = s.LocalResponse()
	if r.local == nil {
		s.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}}, true)
	}
	s.Complete()
	return r
}

// laxMembers returns the values of key in the forwarded baggage headers, split
// the laxest way an application's parser might (commas, no size, member or
// value-syntax limits, spaces and tabs trimmed, keys compared as any common
// propagator decodes them, see baggage.KeyReadsAs): a marker that any parser
// could still read shows up here.
func laxMembers(h testenv.Headers, key string) []string {
	var out []string
	for _, v := range h.Values("baggage") {
		for _, m := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(m, "=")
			if !ok {
				continue
			}
			if baggage.KeyReadsAs(strings.Trim(k, " \t"), key) {
				val, _, _ = strings.Cut(val, ";")
				out = append(out, strings.Trim(val, " \t"))
			}
		}
	}
	return out
}

// withPrefix returns the names of forwarded headers that start with prefix (in order, repeats kept).
func withPrefix(h testenv.Headers, prefix string) []string {
	var out []string
	for _, kv := range h {
		if strings.HasPrefix(kv.Key, prefix) {
			out = append(out, kv.Key)
		}
	}
	return out
}
