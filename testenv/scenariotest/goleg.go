package scenariotest

import (
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/testenv"
)

// goLegMu serialises Go legs: proxytest's host is one process-wide emulator.
var goLegMu sync.Mutex

// GoLeg returns the leg running a filter natively under proxytest: newVM makes the filter's VM context
// (its NewVMContext), config turns a Case's Config into the plugin configuration (nil: as is). proxytest
// has no clear_route_cache, so the leg registers one that counts its calls; it has no ABI 0.2.1 header route
// clears (HeaderRouteCacheClears stays 0) and replaces the first copy of a header only where Envoy replaces all.
func GoLeg(name string, newVM func() types.VMContext, config func(string) string) Leg {
	return Leg{Name: name + "/go", Go: true, run: func(tb testing.TB, c Case) Result {
		tb.Helper()
		goLegMu.Lock()
		defer goLegMu.Unlock()
		cfg := c.Config
		if config != nil {
			cfg = config(cfg)
		}
		opt := proxytest.NewEmulatorOption().WithVMContext(newVM()).WithPluginConfiguration([]byte(cfg))
		for path, v := range c.Properties {
			opt = opt.WithProperty(propertyPath(path), v)
		}
		host, reset := proxytest.NewHostEmulator(opt)
		defer reset()
		var r Result
		host.RegisterForeignFunction(proxyhost.ClearRouteCacheFunction, func([]byte) []byte { r.RouteCacheClears++; return []byte{0} })
		if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
			tb.Fatalf("scenariotest: the plugin did not start with config %s: %v", cfg, host.GetCriticalLogs())
		}
		id := host.InitializeHttpContext()
		r.Action = testenv.Action(host.CallOnRequestHeaders(id, c.Request, c.EndOfStream))
		r.Upstream = host.GetCurrentRequestHeaders(id)
		if lr := host.GetSentLocalResponse(id); lr != nil {
			r.Local = &Local{Status: lr.StatusCode, Headers: lr.Headers, Body: string(lr.Data)}
		} else if c.Response != nil {
			r.ResponseAction = testenv.Action(host.CallOnResponseHeaders(id, c.Response(r.Upstream), true))
		}
		host.CompleteHttpContext(id)
		r.Counters = make(map[string]int64, len(c.Counters))
		for _, n := range c.Counters {
			v, err := host.GetCounterMetric(n)
			if err != nil {
				r.Undefined = append(r.Undefined, n)
				continue
			}
			r.Counters[n] = int64(v)
		}
		r.Debug = host.GetDebugLogs()
		r.Warn, r.Error, r.Critical = host.GetWarnLogs(), host.GetErrorLogs(), host.GetCriticalLogs()
		return r
	}}
}

// propertyPath splits a testenv property path: at NUL when it holds one, else at '.'.
func propertyPath(p string) []string {
	if strings.IndexByte(p, 0) >= 0 {
		return strings.Split(p, "\x00")
	}
	return strings.Split(p, ".")
}
