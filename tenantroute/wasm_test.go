package tenantroute

import (
	"context"
	"fmt"
	"github.com/laneway/laneway/filters/proxyhost"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// The Wasm leg (TestScenarios also runs the Go leg): the scenario table replayed against dist/tenantroute.wasm in testenv, under both Envoy
// generations. testenvtest.DistModule fails the test (never skips) when the module has not been built.

var wasmProfiles = []struct {
	name    string
	profile testenv.Profile
}{{"envoy-1.33", testenv.Envoy133}, {"envoy-1.39", testenv.Envoy139}}

// wasmCounter reads a counter; metrics are shared by the Runtime's VMs, so callers compare deltas.
func wasmCounter(vm *testenv.VM, outcome string) int64 {
	m, ok := vm.Metric(proxyhost.CounterName(MetricPrefix, outcome))
	if !ok {
		return 0
	}
	return m.Value
}

// TestScenarios replays the table natively under proxytest, on dist/tenantroute.wasm and on the combined
// module with only the tenantroute role configured (dist/laneway.wasm, {"tenantroute": config}), each Wasm
// module under both Envoy generations: the same headers, counters, logs and route-cache clears.
func TestScenarios(t *testing.T) {
	legs := append([]scenariotest.Leg{scenariotest.GoLeg("tenantroute", NewVMContext, nil)}, scenariotest.WasmLegs(t, "tenantroute")...)
	legs = append(legs, scenariotest.CombinedLegs(t, "tenantroute")...)
	var metrics []string
	for _, name := range CounterNames {
		metrics = append(metrics, proxyhost.CounterName(MetricPrefix, name))
	}
	for _, leg := range legs {
		t.Run(leg.Name, func(t *testing.T) {
			for _, sc := range allScenarios() {
				t.Run(sc.name, func(t *testing.T) {
					c := scenariotest.Case{Config: sc.config, Request: sc.request, EndOfStream: true, Counters: metrics}
					if sc.waypoint {
						c.Properties = waypointProperties()
					}
					check(t, leg, sc, leg.Run(t, c))
				})
			}
		})
	}
}

// check holds one leg's result to the scenario. The Go leg (proxytest) has no header route clears, so
// only the Wasm legs are held to them.
func check(t *testing.T, leg scenariotest.Leg, sc scenario, r scenariotest.Result) {
	t.Helper()
	require.Equal(t, testenv.ActionContinue, r.Action)
	assert.ElementsMatch(t, sc.want, r.Upstream)
	assert.Empty(t, r.Undefined, "every counter is defined")
	for _, name := range CounterNames {
		assert.Equal(t, int64(sc.counts[name]), r.Counters[proxyhost.CounterName(MetricPrefix, name)], "counter %s", name)
	}
	changed := !assert.ObjectsAreEqual(sortedPairs(sc.request), sortedPairs(sc.want))
	assert.Equal(t, changed, r.RouteCacheClears == 1, "clear_route_cache is called once exactly when headers changed")
	if !leg.Go {
		assert.Equal(t, changed, r.HeaderRouteCacheClears > 0)
	}
	if sc.warn == "" {
		assert.Empty(t, r.Warn)
	} else {
		require.Len(t, r.Warn, 1)
		assert.Contains(t, r.Warn[0], sc.warn)
	}
	assert.Empty(t, r.Error)
	assert.Empty(t, r.Critical)
}

func TestWasmBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	wasm := testenvtest.DistModule(t, "tenantroute")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	for _, p := range wasmProfiles {
		t.Run(p.name, func(t *testing.T) {
			_, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: p.profile, PluginConfig: []byte(`{"allow":["Not A Label"]}`)})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "proxy_on_configure returned false")
			assert.Contains(t, err.Error(), `"allow[0]"`)
		})
	}
}

func TestWasmStartLogsTheEffectiveConfigAndSurvivesManyRequests(t *testing.T) {
	wasm := testenvtest.DistModule(t, "tenantroute")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	for _, p := range wasmProfiles {
		t.Run(p.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: p.profile, PluginConfig: []byte(`{"allow":["acme"],"invalidLogLimit":3}`)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			infos := vm.LogsAt(testenv.LogInfo)
			require.Len(t, infos, 1)
			assert.Contains(t, infos[0], "tenantroute: started with baggageKeys=[laneway-tenant,sd-routing-key]")
			before := wasmCounter(vm, "routed")
			// Enough requests for the Go runtime to collect garbage several times inside the VM.
			for i := 0; i < 2000; i++ {
				s := vm.NewHTTPStream()
				tenant := "acme"
				if i%2 == 1 {
					tenant = fmt.Sprintf("t%d", i)
				}
				require.Equal(t, testenv.ActionContinue, s.RequestHeaders(testenv.HeadersOf(req(hdr("baggage", "laneway-tenant="+tenant))), true))
				s.Complete()
				require.NoError(t, vm.Err())
			}
			assert.Equal(t, int64(1000), wasmCounter(vm, "routed")-before)
			assert.Len(t, vm.LogsAt(testenv.LogWarn), 4, "three distinct values, then the set-is-full line")
		})
	}
}

// BenchmarkWasmRequest measures one request-headers pass through the compiled module in testenv, next to
// the no-op module built the same way, so the filter's own cost can be read as a difference.
func BenchmarkWasmRequest(b *testing.B) {
	ctx := context.Background()
	cases := []struct {
		name, module, config string
		headers              [][2]string
	}{
		{"noop", "noop", "", typical(hdr("baggage", "userid=42,laneway-tenant=acme"))},
		{"tenantroute-baseline-3-headers", "tenantroute", "", req()},
		{"tenantroute-baseline", "tenantroute", "", typical(hdr("baggage", "userid=42"))},
		{"tenantroute-routed", "tenantroute", "", typical(hdr("baggage", "userid=42,laneway-tenant=acme"))},
		{"tenantroute-gateway-spoof", "tenantroute", gatewayConfig, typical(hdr("x-laneway-tenant", "victim"), hdr("baggage", "laneway-tenant=acme"))},
	}
	rt := testenvtest.Runtime(b)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			vm, err := rt.LoadVM(ctx, testenvtest.DistModule(b, c.module), testenv.VMOptions{Profile: testenv.Envoy139, PluginConfig: []byte(c.config), LogLevel: testenv.LogInfo})
			require.NoError(b, err)
			b.Cleanup(func() { _ = vm.Close(ctx) })
			headers := testenv.HeadersOf(c.headers)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := vm.NewHTTPStream()
				s.RequestHeaders(headers, true)
				s.Complete()
			}
			b.StopTimer()
			require.NoError(b, vm.Err())
		})
	}
}

func TestWasmFloodOfSpoofedHeadersCostsOneHeaderWrite(t *testing.T) {
	wasm := testenvtest.DistModule(t, "tenantroute")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(gatewayConfig)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(ctx) })
	request := req(hdr("baggage", "laneway-tenant=acme"))
	for i := 0; i < 90; i++ {
		request = append(request, hdr("x-laneway-tenant", fmt.Sprint("victim", i)))
	}
	s := vm.NewHTTPStream()
	require.Equal(t, testenv.ActionContinue, s.RequestHeaders(testenv.HeadersOf(request), true))
	assert.ElementsMatch(t, req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")), s.Request().Headers.Pairs())
	assert.Equal(t, 1, s.HeaderRouteCacheClears(), "one set_header_map_pairs instead of 91 single edits")
	assert.Equal(t, 1, s.RouteCacheClears())
	s.Complete()
	require.NoError(t, vm.Err())
}

// costProbeSteps are the steps of filters/fixtures/costprobe, in the order tenantroute takes them.
var costProbeSteps = []string{"none", "read", "route", "edit", "clear", "count"}

// TestCostProbeFollowsTheFilter checks the benchmark fixture behind BenchmarkCostBreakdown: up to "count"
// it makes the same request edits as tenantroute (and one route-cache clear), and before "edit" none.
func TestCostProbeFollowsTheFilter(t *testing.T) {
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	request := costRequest("userid=42,laneway-tenant=sbx-1")
	run := func(module, config string) (*testenv.HTTPStream, *testenv.VM) {
		vm, err := rt.LoadVM(ctx, testenvtest.DistModule(t, module), testenv.VMOptions{PluginConfig: []byte(config)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = vm.Close(ctx) })
		s := vm.NewHTTPStream()
		require.Equal(t, testenv.ActionContinue, s.RequestHeaders(request, true))
		return s, vm
	}
	want, _ := run("tenantroute", "")
	require.Equal(t, []string{"sbx-1"}, want.Request().Headers.Values("x-laneway-tenant"), "the filter routes the benchmark request")
	for i, step := range costProbeSteps {
		t.Run(step, func(t *testing.T) {
			s, vm := run("costprobe", `{"upTo":"`+step+`"}`)
			if i >= 3 { // edit and beyond
				assert.Equal(t, want.Request().Headers, s.Request().Headers)
			} else {
				assert.Equal(t, request, s.Request().Headers)
			}
			assert.Equal(t, boolInt(i >= 4), s.RouteCacheClears(), "clear_route_cache calls")
			m, _ := vm.Metric("laneway_costprobe_routed_total")
			assert.Equal(t, int64(boolInt(i >= 5)), m.Value, "routed counter")
			require.NoError(t, vm.Err())
		})
	}
	for _, bad := range []string{`{"upTo":"everything"}`, `{"upTo":""}`, `{"upTo":`, `{"upTo":"route","routeTimes":0}`, `{"upTo":"route","routeTimes":"3"}`, `{"upTo":"route","routeTimes":1001}`} {
		_, err := rt.LoadVM(ctx, testenvtest.DistModule(t, "costprobe"), testenv.VMOptions{PluginConfig: []byte(bad)})
		require.Error(t, err, "%s fails on_configure", bad)
	}
	s, _ := run("costprobe", `{}`)
	assert.Equal(t, want.Request().Headers, s.Request().Headers, "without upTo the probe runs the whole path")
	s, _ = run("costprobe", `{"upTo":"count","routeTimes":7}`)
	assert.Equal(t, want.Request().Headers, s.Request().Headers, "deciding 7 times edits once")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The module reads request headers into memory the next request reuses (filters/proxyhost): interleaved
// streams, maps too large for that memory, and the log-once set (which keeps values past the callback) must
// behave exactly as with fresh memory per request.
func TestWasmHeaderMemoryIsReusedSafelyAcrossRequests(t *testing.T) {
	wasm := testenvtest.DistModule(t, "tenantroute")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	load := func(t *testing.T, config string) *testenv.VM {
		vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(config)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = vm.Close(ctx) })
		return vm
	}
	tenantOf := func(s *testenv.HTTPStream) []string { return s.Request().Headers.Values("x-laneway-tenant") }

	t.Run("interleaved streams", func(t *testing.T) {
		vm := load(t, "")
		a, b, c := vm.NewHTTPStream(), vm.NewHTTPStream(), vm.NewHTTPStream()
		a.RequestHeaders(testenv.HeadersOf(req(hdr("baggage", "laneway-tenant=sbx-1"))), true)
		b.RequestHeaders(testenv.HeadersOf(req(hdr("x-laneway-tenant", "stale"))), true)
		c.RequestHeaders(testenv.HeadersOf(req(hdr("baggage", "laneway-tenant=sbx-2"))), true)
		assert.Equal(t, []string{"sbx-1"}, tenantOf(a))
		assert.Empty(t, tenantOf(b), "a baseline request loses the copied header")
		assert.Equal(t, []string{"sbx-2"}, tenantOf(c))
		for _, s := range []*testenv.HTTPStream{a, b, c} {
			s.Complete()
		}
		require.NoError(t, vm.Err())
	})

	t.Run("maps larger than the reused memory", func(t *testing.T) {
		vm := load(t, "")
		big := req(hdr("x-padding", strings.Repeat("p", 80<<10)), hdr("baggage", "laneway-tenant=big"))
		many := req(hdr("baggage", "laneway-tenant=many"))
		for i := 0; i < 600; i++ {
			many = append(many, hdr(fmt.Sprint("x-h", i), "v"))
		}
		for _, r := range []struct {
			headers [][2]string
			tenant  string
		}{{req(hdr("baggage", "laneway-tenant=small")), "small"}, {big, "big"}, {many, "many"}, {req(hdr("baggage", "laneway-tenant=after")), "after"}} {
			s := vm.NewHTTPStream()
			require.Equal(t, testenv.ActionContinue, s.RequestHeaders(testenv.HeadersOf(r.headers), true))
			assert.Equal(t, []string{r.tenant}, tenantOf(s))
			s.Complete()
		}
		require.NoError(t, vm.Err())
	})

	t.Run("rewritten baggage of one request does not bleed into the next", func(t *testing.T) {
		// The rewritten header is built in memory the next request reuses: a long value then shorter
		// ones, interleaved streams, and one far beyond the memory kept (a 7 KB member).
		vm := load(t, `{"workloadTenant":"wl-1"}`)
		long := "userid=" + strings.Repeat("x", 200) + ",session=abc"
		huge := "pad=" + strings.Repeat("h", 7<<10)
		a, b, c, d := vm.NewHTTPStream(), vm.NewHTTPStream(), vm.NewHTTPStream(), vm.NewHTTPStream()
		a.RequestHeaders(testenv.HeadersOf(req(hdr("baggage", long))), true)
		b.RequestHeaders(testenv.HeadersOf(req(hdr("baggage", "k=v"))), true)
		c.RequestHeaders(testenv.HeadersOf(req(hdr("baggage", huge))), true)
		d.RequestHeaders(testenv.HeadersOf(req(hdr("x-other", "1"))), true)
		bag := func(s *testenv.HTTPStream) []string { return s.Request().Headers.Values("baggage") }
		assert.Equal(t, []string{long + ",laneway-tenant=wl-1"}, bag(a))
		assert.Equal(t, []string{"k=v,laneway-tenant=wl-1"}, bag(b))
		assert.Equal(t, []string{huge + ",laneway-tenant=wl-1"}, bag(c))
		assert.Equal(t, []string{"laneway-tenant=wl-1"}, bag(d))
		for _, s := range []*testenv.HTTPStream{a, b, c, d} {
			assert.Equal(t, []string{"wl-1"}, tenantOf(s))
			s.Complete()
		}
		require.NoError(t, vm.Err())
	})

	t.Run("values kept past the callback are copies", func(t *testing.T) {
		vm := load(t, "")
		// Each request shifts the value by one byte in the reused memory: a kept alias would no longer read
		// as the value it was stored for, the log-once set would miss it, and the value would be logged again.
		for i, v := range []string{"BAD_1", "BAD_2", "BAD_1", "BAD_2", "BAD_1"} {
			s := vm.NewHTTPStream()
			s.RequestHeaders(testenv.HeadersOf(req(hdr("x-pad", strings.Repeat("p", i+1)), hdr("baggage", "laneway-tenant="+v))), true)
			s.Complete()
		}
		require.NoError(t, vm.Err())
		warns := vm.LogsAt(testenv.LogWarn)
		require.Len(t, warns, 2, "each distinct value is logged once: %q", warns)
		assert.Contains(t, warns[0], `"BAD_1"`)
		assert.Contains(t, warns[1], `"BAD_2"`)
	})
}

// A request allocates nothing inside the VM, so Go's GC never starts in the steady state. Observed through
// the host: every GC cycle reads the clock (clock_time_get), and nothing else on this path does. With
// testenv.GCProbeEnv, testenv.GCProbeRequests requests start the GC if each allocates even 16 bytes
// (testenv's TestGCProbeCatchesASixteenByteAllocation; the module allocating the header buffer and pair
// slice per request, as the SDK's own read does, made ~190 clock reads in 50,000 at Go's default GOGC).
func TestWasmRequestsDoNotStartTheGC(t *testing.T) {
	wasm := testenvtest.DistModule(t, "tenantroute")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	for _, c := range []struct{ name, config, baggage string }{
		{"sidecar-routed", "", "userid=42,laneway-tenant=sbx-1"},
		{"sidecar-baseline", "", "userid=42"},
		{"gateway-allowlisted", `{"trustBoundary":true,"allow":["sbx-1"]}`, "userid=42,laneway-tenant=sbx-1"},
		// These two rewrite the baggage header (in reused memory).
		{"workload-injected", `{"workloadTenant":"sbx-1"}`, "userid=42"},
		{"gateway-strips-baggage", `{"trustBoundary":true,"stripBaggage":true}`, "userid=42,laneway-tenant=evil"},
		{"gateway-strips-tracestate", `{"trustBoundary":true,"stripBaggage":true,"carriers":["tracestate"]}`, "userid=42"},
		// A stripping gateway that accepts a tenant rewrites baggage to hold only it, and the plain header.
		{"gateway-accepts-rewrites-baggage", `{"trustBoundary":true,"stripBaggage":true,"allow":["sbx-1"]}`, "userid=42,laneway-tenant=evil\u00a0,sd-routing-key=sbx-1"},
		{"gateway-accepts-sets-plain-header", `{"trustBoundary":true,"stripBaggage":true,"allow":["sbx-1"],"header":"x-tenant"}`, "laneway-tenant=evil0,sd-routing-key=sbx-1"},
		// Issue 17: keys other propagators decode, carriers the gateway does not read, Signadot's redundant
		// carriers, and an appended member after a trailing comma.
		{"gateway-strips-encoded-keys", `{"trustBoundary":true,"allow":["sbx-1"]}`, "userid=42,laneway%2Dtenant=evil,laneway-tenant+=evil"},
		{"gateway-accepts-drops-encoded-copy", `{"trustBoundary":true,"allow":["sbx-1"]}`, "laneway-tenant=sbx-1,%6Caneway-tenant=evil,userid=42"},
		{"gateway-strips-unread-carriers", `{"trustBoundary":true,"allow":["sbx-1"]}`, "userid=42"},
		{"gateway-keeps-arrived-carriers", `{"trustBoundary":true,"allow":["sbx-1"]}`, "sd-routing-key=sbx-1"},
		{"workload-injected-after-trailing-comma", `{"workloadTenant":"sbx-1"}`, "userid=42,"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(c.config), LogLevel: testenv.LogInfo, Env: testenv.GCProbeEnv()})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			request := costRequest(c.baggage)
			switch c.name {
			case "gateway-strips-tracestate":
				request = append(request, testenv.Header{Key: "tracestate", Value: "vendor=1,laneway-tenant=evil"})
			case "gateway-accepts-sets-plain-header":
				request = append(request, testenv.Header{Key: "baggage", Value: "laneway-tenant=evil"},
					testenv.Header{Key: "x-tenant", Value: "evil"}, testenv.Header{Key: "x-tenant", Value: "sbx-1"})
			case "gateway-strips-unread-carriers":
				request = append(request, testenv.Header{Key: "tracestate", Value: "vendor=1,sd-routing-key=evil"},
					testenv.Header{Key: "ot-baggage-laneway-tenant", Value: "evil"}, testenv.Header{Key: "uberctx-sd-routing-key", Value: "evil"})
			case "gateway-keeps-arrived-carriers":
				request = append(request, testenv.Header{Key: "tracestate", Value: "sd-routing-key=sbx-1"},
					testenv.Header{Key: "ot-baggage-sd-routing-key", Value: "sbx-1"}, testenv.Header{Key: "uberctx-sd-routing-key", Value: "evil"})
			}
			run := func(n int) {
				for i := 0; i < n; i++ {
					s := vm.NewHTTPStream()
					s.RequestHeaders(request, true)
					s.Complete()
				}
			}
			run(1000) // warm-up: the reused buffers reach their size
			testenvtest.AssertNoGC(t, vm, func() { run(testenv.GCProbeRequests) }, "the GC ran: a request allocates")
			s := vm.NewHTTPStream()
			s.RequestHeaders(request, true)
			switch c.name {
			case "sidecar-baseline", "gateway-strips-baggage", "gateway-strips-tracestate", "gateway-strips-encoded-keys", "gateway-strips-unread-carriers":
				assert.Empty(t, s.Request().Headers.Values("x-laneway-tenant"))
			default:
				assert.Equal(t, []string{"sbx-1"}, s.Request().Headers.Values("x-laneway-tenant"))
			}
			switch c.name {
			case "workload-injected":
				assert.Equal(t, []string{"userid=42,laneway-tenant=sbx-1"}, s.Request().Headers.Values("baggage"))
			case "gateway-strips-baggage":
				assert.Equal(t, []string{"userid=42"}, s.Request().Headers.Values("baggage"))
			case "gateway-strips-tracestate":
				assert.Equal(t, []string{"vendor=1"}, s.Request().Headers.Values("tracestate"))
			case "gateway-accepts-rewrites-baggage":
				assert.Equal(t, []string{"userid=42,sd-routing-key=sbx-1,laneway-tenant=sbx-1"}, s.Request().Headers.Values("baggage"))
			case "gateway-accepts-sets-plain-header":
				assert.Equal(t, []string{"laneway-tenant=sbx-1,sd-routing-key=sbx-1"}, s.Request().Headers.Values("baggage"))
				assert.Equal(t, []string{"sbx-1"}, s.Request().Headers.Values("x-tenant"))
			case "gateway-strips-encoded-keys":
				assert.Equal(t, []string{"userid=42"}, s.Request().Headers.Values("baggage"))
			case "gateway-accepts-drops-encoded-copy":
				assert.Equal(t, []string{"laneway-tenant=sbx-1,userid=42"}, s.Request().Headers.Values("baggage"))
			case "gateway-strips-unread-carriers":
				assert.Equal(t, []string{"vendor=1"}, s.Request().Headers.Values("tracestate"))
				assert.Empty(t, s.Request().Headers.Values("ot-baggage-laneway-tenant"))
				assert.Empty(t, s.Request().Headers.Values("uberctx-sd-routing-key"))
			case "gateway-keeps-arrived-carriers":
				assert.Equal(t, []string{"sd-routing-key=sbx-1,laneway-tenant=sbx-1"}, s.Request().Headers.Values("baggage"))
				assert.Equal(t, []string{"sd-routing-key=sbx-1"}, s.Request().Headers.Values("tracestate"))
				assert.Equal(t, []string{"sbx-1"}, s.Request().Headers.Values("ot-baggage-sd-routing-key"))
				assert.Equal(t, []string{"sbx-1"}, s.Request().Headers.Values("uberctx-sd-routing-key"))
			case "workload-injected-after-trailing-comma":
				assert.Equal(t, []string{"userid=42,laneway-tenant=sbx-1"}, s.Request().Headers.Values("baggage"))
			}
		})
	}
}

// The Wasm leg of TestStrippingGatewayForwardsOnlyTheAcceptedTenant: the compiled gateway forwards what the
// Go leg forwards, only the accepted tenant travels, and compiled sidecars after it (directly, and behind
// an OpenTelemetry app) route to that tenant.
func TestWasmStrippingGatewayForwardsOnlyTheAcceptedTenant(t *testing.T) {
	wasm := testenvtest.DistModule(t, "tenantroute")
	ctx := context.Background()
	for _, p := range wasmProfiles {
		t.Run(p.name, func(t *testing.T) {
			rt := testenvtest.Runtime(t)
			load := func(config string) *testenv.VM {
				vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: p.profile, PluginConfig: []byte(config)})
				require.NoError(t, err)
				t.Cleanup(func() { _ = vm.Close(ctx) })
				return vm
			}
			gateway, next, plain := load(stripGatewayConfig), load(nextHopConfig), load(`{}`)
			send := func(vm *testenv.VM, headers [][2]string) [][2]string {
				s := vm.NewHTTPStream()
				require.Equal(t, testenv.ActionContinue, s.RequestHeaders(testenv.HeadersOf(headers), true))
				got := s.Request().Headers.Pairs()
				s.Complete()
				require.NoError(t, vm.Err())
				return got
			}
			goGateway := mustConfig(t, stripGatewayConfig)
			for _, tt := range onlyAcceptedCases {
				t.Run(tt.name, func(t *testing.T) {
					forwarded := send(gateway, tt.headers)
					var d Decision
					goGateway.Decide(tt.headers, &d)
					assert.ElementsMatch(t, proxyhost.AppendEdited(nil, tt.headers, d.Edits), forwarded, "the Wasm and Go legs forward the same headers")
					assertOnlyTenantForwarded(t, forwarded, tt.tenant)
					assert.Equal(t, headerValuesOf(forwarded, "x-laneway-tenant"), headerValuesOf(send(next, forwarded), "x-laneway-tenant"), "the next hop routes the gateway's tenant")
					assert.Equal(t, headerValuesOf(forwarded, "x-laneway-tenant"), headerValuesOf(send(plain, otelHop(forwarded)), "x-laneway-tenant"), "a hop behind an OpenTelemetry app routes the gateway's tenant")
				})
			}
		})
	}
}
