package tenantroute

import (
	"fmt"
	"github.com/laneway/laneway/filters/proxyhost"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// emulator starts a proxytest host for config with a registered clear_route_cache that counts its calls.
func emulator(t *testing.T, vm types.VMContext, config string) (proxytest.HostEmulator, *int) {
	t.Helper()
	opt := proxytest.NewEmulatorOption().WithVMContext(vm)
	if config != "" {
		opt = opt.WithPluginConfiguration([]byte(config))
	}
	host, reset := proxytest.NewHostEmulator(opt)
	t.Cleanup(reset)
	clears := new(int)
	host.RegisterForeignFunction(proxyhost.ClearRouteCacheFunction, func([]byte) []byte { *clears++; return []byte{0} })
	return host, clears
}

func counterValue(t *testing.T, host proxytest.HostEmulator, outcome string) uint64 {
	t.Helper()
	v, err := host.GetCounterMetric(proxyhost.CounterName(MetricPrefix, outcome))
	require.NoError(t, err)
	return v
}

func sendRequest(host proxytest.HostEmulator, headers [][2]string) [][2]string {
	id := host.InitializeHttpContext()
	action := host.CallOnRequestHeaders(id, headers, true)
	if action != types.ActionContinue {
		panic("the filter must never pause a request")
	}
	got := host.GetCurrentRequestHeaders(id)
	host.CompleteHttpContext(id)
	return got
}

func sortedPairs(h [][2]string) []string {
	out := make([]string, len(h))
	for i, p := range h {
		out[i] = p[0] + "\x00" + p[1]
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	tests := []struct{ config, field string }{
		{`{"allow":["Not A Label"]}`, `"allow[0]"`},
		{`{"colour":"blue"}`, `"colour"`},
		{`{"trustBoundary":"yes"}`, `"trustBoundary"`},
		{`not json`, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			host, _ := emulator(t, NewVMContext(), tt.config)
			assert.Equal(t, types.OnPluginStartStatusFailed, host.StartPlugin())
			require.Len(t, host.GetCriticalLogs(), 1)
			assert.Contains(t, host.GetCriticalLogs()[0], tt.field)
			assert.Empty(t, host.GetInfoLogs(), "no start-up line for a plugin that did not start")
		})
	}
}

func TestStartLogsTheEffectiveConfig(t *testing.T) {
	host, _ := emulator(t, NewVMContext(), `{"allow":["acme"],"workloadTenant":"acme"}`)
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	logs := host.GetInfoLogs()
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "tenantroute: started with baggageKeys=[laneway-tenant,sd-routing-key]")
	assert.Contains(t, logs[0], "allow=[acme]")
	assert.Contains(t, logs[0], "workloadTenant=acme")
}

func TestEmptyConfigStartsWithDefaults(t *testing.T) {
	host, _ := emulator(t, NewVMContext(), "")
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	got := sendRequest(host, req(hdr("baggage", "laneway-tenant=acme")))
	assert.Contains(t, got, hdr("x-laneway-tenant", "acme"))
}

func TestCountersAccumulateAcrossRequests(t *testing.T) {
	host, clears := emulator(t, NewVMContext(), `{"allow":["acme"]}`)
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	for i := 0; i < 3; i++ {
		sendRequest(host, req(hdr("baggage", "laneway-tenant=acme")))
	}
	sendRequest(host, req(hdr("baggage", "laneway-tenant=globex")))
	sendRequest(host, req())
	assert.Equal(t, uint64(3), counterValue(t, host, "routed"))
	assert.Equal(t, uint64(2), counterValue(t, host, "baseline"))
	assert.Equal(t, uint64(1), counterValue(t, host, "invalid"))
	assert.Equal(t, 3, *clears, "only the routed requests changed headers")
}

func TestRejectedValuesAreLoggedOncePerValueWithinTheLimit(t *testing.T) {
	host, _ := emulator(t, NewVMContext(), `{"invalidLogLimit":2}`)
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	for _, v := range []string{"BAD-1", "BAD-1", "BAD-2", "BAD-1", "BAD-3", "BAD-4", "BAD-2"} {
		sendRequest(host, req(hdr("baggage", "laneway-tenant="+v)))
	}
	logs := host.GetWarnLogs()
	require.Len(t, logs, 3, "two values, then one line saying the set is full: %q", logs)
	assert.Contains(t, logs[0], `"BAD-1"`)
	assert.Contains(t, logs[1], `"BAD-2"`)
	assert.Contains(t, logs[2], "2 distinct rejected tenants logged")
	assert.Equal(t, uint64(7), counterValue(t, host, "invalid"), "every rejection is still counted")
}

func TestRejectedValueLogsAreBoundedAndQuoted(t *testing.T) {
	host, _ := emulator(t, NewVMContext(), `{"header":"x-tenant"}`)
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	long := strings.Repeat("A", 4000) + "\n"
	sendRequest(host, req(hdr("x-tenant", long)))
	sendRequest(host, req(hdr("x-tenant", long[:100]+"different tail")))
	logs := host.GetWarnLogs()
	require.Len(t, logs, 1, "values are remembered by their first 64 bytes")
	assert.Less(t, len(logs[0]), 400)
	assert.Contains(t, logs[0], "(4001 bytes)")
	assert.NotContains(t, logs[0], "\n")
}

func TestInvalidLogLimitZeroLogsNothing(t *testing.T) {
	host, _ := emulator(t, NewVMContext(), `{"invalidLogLimit":0}`)
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	sendRequest(host, req(hdr("baggage", "laneway-tenant=BAD")))
	assert.Empty(t, host.GetWarnLogs())
	assert.Equal(t, uint64(1), counterValue(t, host, "invalid"))
}

func TestMissingClearRouteCacheIsToleratedAndNotRetried(t *testing.T) {
	calls := 0
	t.Cleanup(proxyhost.SwapForeignCall(func(name string, _ []byte) ([]byte, error) {
		calls++
		assert.Equal(t, "clear_route_cache", name)
		return nil, types.ErrorStatusNotFound
	}))
	host, _ := emulator(t, NewVMContext(), "")
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	for i := 0; i < 3; i++ {
		got := sendRequest(host, req(hdr("baggage", "laneway-tenant=acme")))
		assert.Contains(t, got, hdr("x-laneway-tenant", "acme"), "routing still works through the header edit")
	}
	assert.Equal(t, 1, calls)
	assert.Empty(t, host.GetWarnLogs())
	assert.Empty(t, host.GetErrorLogs())
	assert.Empty(t, host.GetCriticalLogs())
}

func TestClearRouteCacheIsCalledOnEveryChangingRequestWhenPresent(t *testing.T) {
	host, clears := emulator(t, NewVMContext(), "")
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	for i := 0; i < 4; i++ {
		sendRequest(host, req(hdr("baggage", "laneway-tenant=acme")))
	}
	sendRequest(host, req(hdr("x-laneway-tenant", "acme"), hdr("baggage", "laneway-tenant=acme")))
	assert.Equal(t, 4, *clears, "not when the header was already right")
}

// TestClientSetTenantHeaderNeverSurvivesTheTrustBoundary is the spoofing test: whatever a client sends,
// the only x-laneway-tenant leaving the gateway is the one the filter wrote for an allowed tenant.
func TestClientSetTenantHeaderNeverSurvivesTheTrustBoundary(t *testing.T) {
	spoofs := []struct {
		name    string
		headers [][2]string
		want    string // the tenant header value expected after the gateway ("" = none)
	}{
		{"a plain spoofed header", [][2]string{{"x-laneway-tenant", "victim"}}, ""},
		{"a spoofed header in upper case", [][2]string{{"X-Laneway-Tenant", "victim"}}, ""},
		{"several spoofed copies", [][2]string{{"x-laneway-tenant", "victim"}, {"x-laneway-tenant", "acme"}, {"x-laneway-tenant", ""}}, ""},
		{"a spoofed header next to an allowed tenant", [][2]string{{"x-laneway-tenant", "victim"}, {"baggage", "laneway-tenant=acme"}}, "acme"},
		{"a spoofed header equal to the allowed tenant", [][2]string{{"x-laneway-tenant", "acme"}, {"baggage", "laneway-tenant=acme"}}, "acme"},
		{"a spoofed header next to a tenant outside the allow list", [][2]string{{"baggage", "laneway-tenant=victim"}, {"x-laneway-tenant", "victim"}}, ""},
		{"a spoofed header next to a malformed tenant", [][2]string{{"baggage", "laneway-tenant=Victim"}, {"x-laneway-tenant", "victim"}}, ""},
		{"a spoof hidden in a conflicting baggage copy", [][2]string{{"baggage", "laneway-tenant=acme"}, {"baggage", "laneway-tenant=victim"}}, ""},
		{"a spoofed header with a header-injection attempt", [][2]string{{"x-laneway-tenant", "acme\r\nx-laneway-tenant: victim"}}, ""},
	}
	for _, cfg := range []string{`{"trustBoundary":true,"allow":["acme"]}`, `{"trustBoundary":true,"stripBaggage":true,"allow":["acme"],"carriers":["tracestate","ot-baggage","uberctx"]}`} {
		for _, sp := range spoofs {
			t.Run(fmt.Sprintf("%s with %s", sp.name, cfg), func(t *testing.T) {
				host, _ := emulator(t, NewVMContext(), cfg)
				require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
				got := sendRequest(host, req(sp.headers...))
				var values []string
				for _, h := range got {
					require.False(t, strings.HasPrefix(strings.ToLower(h[0]), "x-laneway-") && h[0] != "x-laneway-tenant", "client header %q survived", h[0])
					if h[0] == "x-laneway-tenant" {
						values = append(values, h[1])
					}
				}
				if sp.want == "" {
					assert.Empty(t, values)
				} else {
					assert.Equal(t, []string{sp.want}, values)
				}
				if hasTenantHeader(sp.headers) {
					assert.Equal(t, uint64(1), counterValue(t, host, "stripped"), "the spoof attempt is counted")
				}
			})
		}
	}
}

func hasTenantHeader(h [][2]string) bool {
	for _, p := range h {
		if strings.EqualFold(p[0], "x-laneway-tenant") {
			return true
		}
	}
	return false
}

// FuzzFilter drives the whole plugin through proxytest with random headers: it must never panic, always
// continue the request, and never leave more than one output header.
func FuzzFilter(f *testing.F) {
	for i, s := range []string{"baggage:laneway-tenant=acme", "x-laneway-tenant:v\nX-LANEWAY-X:1\nbaggage:laneway-tenant=zz",
		"tracestate:laneway-tenant=Q\nuberctx-laneway-tenant:acme", "baggage:laneway-tenant=%ff\nx-tenant:\xff"} {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, data string) {
		config := fuzzConfigs[int(which)%len(fuzzConfigs)]
		host, _ := emulator(t, NewVMContext(), config)
		require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
		c := mustConfig(t, config)
		got := sendRequest(host, fuzzHeaders(data))
		n := 0
		for _, h := range got {
			if h[0] == c.TenantHeader {
				n++
				require.True(t, c.Valid(h[1]) && c.Allowed(h[1]), "output header %q failed validation", h[1])
			}
		}
		require.LessOrEqual(t, n, 1)
	})
}

// Streams share the plugin's one HTTP context (no allocation per request), so interleaved streams must not
// see each other's tenant: the filter may keep no per-stream state in it.
func TestInterleavedStreamsShareOneStatelessContext(t *testing.T) {
	host, _ := emulator(t, NewVMContext(), "")
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	routed := host.InitializeHttpContext()
	plain := host.InitializeHttpContext()
	other := host.InitializeHttpContext()
	host.CallOnRequestHeaders(routed, [][2]string{{":path", "/"}, {"baggage", "laneway-tenant=sbx-1"}}, true)
	host.CallOnRequestHeaders(plain, [][2]string{{":path", "/"}}, true)
	host.CallOnRequestHeaders(other, [][2]string{{":path", "/"}, {"baggage", "laneway-tenant=sbx-2"}}, true)
	assert.Equal(t, []string{"sbx-1"}, headerValuesOf(host.GetCurrentRequestHeaders(routed), "x-laneway-tenant"))
	assert.Empty(t, headerValuesOf(host.GetCurrentRequestHeaders(plain), "x-laneway-tenant"))
	assert.Equal(t, []string{"sbx-2"}, headerValuesOf(host.GetCurrentRequestHeaders(other), "x-laneway-tenant"))
	for _, id := range []uint32{routed, plain, other} {
		host.CompleteHttpContext(id)
	}

	p := NewVMContext().NewPluginContext(1)
	assert.Same(t, p.NewHttpContext(2), p.NewHttpContext(3), "one context for every stream")
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.NewHttpContext(4) }), "creating a stream allocates nothing")
}

func headerValuesOf(h [][2]string, name string) []string {
	var out []string
	for _, p := range h {
		if p[0] == name {
			out = append(out, p[1])
		}
	}
	return out
}
