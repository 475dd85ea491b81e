package shadowtag

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScenarios replays the scenario table natively under proxytest, against dist/shadowtag.wasm and
// against the combined module with only the shadowtag role configured (dist/laneway.wasm, {"shadowtag":
// config}), each module under both Envoy generations, with one check. It fails (never skips) when a module
// is missing: run `make build`.
func TestScenarios(t *testing.T) {
	legs := append([]scenariotest.Leg{scenariotest.GoLeg("shadowtag", NewVMContext, nil)}, scenariotest.WasmLegs(t, "shadowtag")...)
	legs = append(legs, scenariotest.CombinedLegs(t, "shadowtag")...)
	names := []string{"detected"}
	for o := Outcome(0); o < numOutcomes; o++ {
		names = append(names, o.String())
	}
	var metrics []string
	for _, n := range names {
		metrics = append(metrics, MetricPrefix+n+"_total")
	}
	for _, leg := range legs {
		for _, sc := range allScenarios() {
			t.Run(leg.Name+"/"+sc.name, func(t *testing.T) {
				c := scenariotest.Case{Config: sc.config, Request: sc.headers, Counters: metrics, Properties: map[string][]byte{}}
				if sc.direction != 0 {
					c.Properties["xds.listener_direction"] = testenv.IntValue(sc.direction)
				}
				if sc.principal != "" {
					c.Properties["filter_state\x00io.istio.peer_principal"] = testenv.StringValue(sc.principal)
				}
				check(t, sc, leg.Run(t, c))
			})
		}
	}
}

// TestWasmEmptyConfigTakesTheModeFromTheListenerOnTheFirstRequest loads dist/shadowtag.wasm with an empty
// config under both Envoy generations. Envoy tells the listener direction to streams only, so the start-up
// line says the mode comes from the listener on the first request, which then logs the mode taken, once; the
// requests behave as that mode (the scenario table holds the full behaviour).
func TestWasmEmptyConfigTakesTheModeFromTheListenerOnTheFirstRequest(t *testing.T) {
	wasm := testenvtest.DistModule(t, "shadowtag")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	for _, profile := range []testenv.Profile{testenv.Envoy133, testenv.Envoy139} {
		for _, tc := range []struct {
			config    string
			direction int64
			mode      string
			action    testenv.Action // for a shadow POST to payments: inbound marks it, outbound suppresses it
		}{
			{`{}`, 1, "inbound", testenv.ActionContinue},
			{``, 2, "outbound", testenv.ActionPause},
		} {
			t.Run(profileName(profile)+"/"+tc.mode, func(t *testing.T) {
				vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: profile, PluginConfig: []byte(tc.config), LogLevel: testenv.LogInfo,
					Properties: map[string][]byte{"xds.listener_direction": testenv.IntValue(tc.direction)}})
				require.NoError(t, err, "an empty config starts the filter")
				t.Cleanup(func() { _ = vm.Close(ctx) })
				info := vm.LogsAt(testenv.LogInfo)
				require.Len(t, info, 1)
				assert.True(t, strings.HasPrefix(info[0], "shadowtag: mode=auto (not set) detect=["), info[0])
				assert.True(t, strings.HasSuffix(info[0], "(inbound or outbound from xds.listener_direction, read on the first request: Envoy tells a listener's direction to its streams only)"), info[0])
				for i := 0; i < 3; i++ {
					s := vm.NewHTTPStream()
					assert.Equal(t, tc.action, s.RequestHeaders(testenv.RequestHeaders("POST", "payments", "/", MarkerHeader, "1"), false))
					assert.Equal(t, []string{"1"}, s.Request().Headers.Values(MarkerHeader))
					s.Complete()
					require.NoError(t, vm.Err())
				}
				info = vm.LogsAt(testenv.LogInfo)
				assert.Equal(t, []string{"shadowtag: mode not set: " + tc.mode + ", taken from xds.listener_direction=" + strconv.FormatInt(tc.direction, 10)}, info[1:], "the mode is logged once")
				assert.Empty(t, vm.LogsAt(testenv.LogWarn))
			})
		}
	}
}

// check holds one leg's result to the scenario.
func check(t *testing.T, sc scenario, r scenariotest.Result) {
	t.Helper()
	if sc.want.local != nil {
		assert.Equal(t, testenv.ActionPause, r.Action, "a suppressed request must not continue")
		require.NotNil(t, r.Local, "a local response must be sent")
		assert.Equal(t, sc.want.local.status, r.Local.Status)
		assert.Equal(t, sc.want.local.body, r.Local.Body)
		for k, v := range sc.want.local.headers {
			assert.Equal(t, []string{v}, scenariotest.Values(r.Local.Headers, k), "local response header %s", k)
		}
	} else {
		assert.Equal(t, testenv.ActionContinue, r.Action)
		assert.Nil(t, r.Local, "no local response expected")
	}
	for k, v := range sc.want.set {
		assert.Equal(t, []string{v}, scenariotest.Values(r.Upstream, k), "request header %s", k)
	}
	for _, k := range sc.want.absent {
		assert.Empty(t, scenariotest.Values(r.Upstream, k), "request header %s must be absent", k)
	}
	wantClears := 0
	if sc.want.outcome == OutcomeRerouted {
		wantClears = 1
	}
	assert.Equal(t, wantClears, r.RouteCacheClears, "clear_route_cache calls")
	assert.Empty(t, r.Undefined, "every counter is defined")
	for o := Outcome(0); o < numOutcomes; o++ {
		want := int64(0)
		if o == sc.want.outcome {
			want = 1
		}
		assert.Equal(t, want, r.Counters[MetricPrefix+o.String()+"_total"], "counter %s", o)
	}
	wantDetected := int64(0)
	if sc.want.detected {
		wantDetected = 1
	}
	assert.Equal(t, wantDetected, r.Counters[MetricPrefix+"detected_total"])
}

func TestWasmBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	wasm := testenvtest.DistModule(t, "shadowtag")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	_, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(`{"mode":"outbound","outbound":{"action":"drop"}}`)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"outbound.action"`)
}

func profileName(p testenv.Profile) string {
	if p == testenv.Envoy133 {
		return "envoy-1.33"
	}
	return "envoy-1.39"
}

// BenchmarkWasmRequestHeaders measures one request through dist/shadowtag.wasm in
// testenv (wazero compiler, Envoy >= 1.39 profile), next to the noop fixture built the same way.
func BenchmarkWasmRequestHeaders(b *testing.B) {
	ctx := context.Background()
	rt := testenvtest.Runtime(b)
	for _, bc := range []struct {
		name, module, config string
		headers              [][2]string
		want                 testenv.Action
	}{
		{"noop", "noop", `{}`, benchHeaders("orders:8080", "POST"), testenv.ActionContinue},
		{"inbound/ordinary", "shadowtag", `{"mode":"inbound"}`, benchHeaders("orders:8080", "POST"), testenv.ActionContinue},
		{"inbound/mirror-marked", "shadowtag", `{"mode":"inbound"}`, benchHeaders("orders-shadow:8080", "POST"), testenv.ActionContinue},
		{"outbound/shadow-write-suppressed", "shadowtag", `{"mode":"outbound"}`, benchHeaders("payments:8080", "POST", MarkerHeader, "1"), testenv.ActionPause},
		{"outbound/shadow-write-rerouted", "shadowtag", `{"mode":"outbound","outbound":{"action":"reroute"}}`, benchHeaders("payments:8080", "POST", MarkerHeader, "1"), testenv.ActionContinue},
	} {
		b.Run(bc.name, func(b *testing.B) {
			vm, err := rt.LoadVM(ctx, testenvtest.DistModule(b, bc.module), testenv.VMOptions{PluginConfig: []byte(bc.config)})
			require.NoError(b, err)
			b.Cleanup(func() { _ = vm.Close(ctx) })
			h := testenv.HeadersOf(bc.headers)
			b.ReportAllocs()
			for b.Loop() {
				s := vm.NewHTTPStream()
				if got := s.RequestHeaders(h, false); got != bc.want {
					b.Fatalf("action %v, want %v (vm err %v)", got, bc.want, vm.Err())
				}
				s.Complete()
			}
		})
	}
}

// A per-request debug line is built and sent only when Envoy records debug logs: at info level a suppressed
// shadow write makes no proxy_log call at all (the module asks proxy_get_log_level instead), at debug level
// it logs one line, and the request is suppressed either way.
func TestDebugLinesAreSkippedBelowTheHostLogLevel(t *testing.T) {
	wasm := testenvtest.DistModule(t, "shadowtag")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	write := testenv.RequestHeaders("POST", "payments.shop.svc.cluster.local:8080", "/api/charge",
		"x-laneway-shadow", "1")
	for _, level := range []testenv.LogLevel{testenv.LogInfo, testenv.LogDebug} {
		t.Run(level.String(), func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(`{"mode":"outbound"}`), LogLevel: level})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			logsBefore := vm.HostCalls()["env.proxy_log"]
			const requests = 5
			for i := 0; i < requests; i++ {
				s := vm.NewHTTPStream()
				assert.Equal(t, testenv.ActionPause, s.RequestHeaders(write, true), "the shadow write is suppressed")
				require.NotNil(t, s.LocalResponse())
				s.Complete()
			}
			require.NoError(t, vm.Err())
			sent := vm.HostCalls()["env.proxy_log"] - logsBefore
			debug := 0
			for _, l := range vm.LogsAt(testenv.LogDebug) {
				if strings.Contains(l, "suppressed shadow POST to payments.shop.svc.cluster.local") {
					debug++
				}
			}
			if level == testenv.LogInfo {
				assert.Zero(t, sent, "no log line is formatted or sent per request at info level")
				assert.Zero(t, debug)
			} else {
				assert.EqualValues(t, requests, sent, "one debug line per suppressed request")
				assert.Equal(t, requests, debug)
			}
		})
	}
}

// Ordinary requests (most traffic) and suppressed shadow writes (all of a mirror's writes) allocate nothing
// inside the VM, so Go's GC never starts in the steady state. Every GC cycle reads the clock
// (clock_time_get) and nothing else on these paths does; with testenv.GCProbeEnv, testenv.GCProbeRequests
// requests start the GC if each allocates even 16 bytes (testenv's TestGCProbeCatchesASixteenByteAllocation).
func TestWasmRequestsDoNotStartTheGC(t *testing.T) {
	wasm := testenvtest.DistModule(t, "shadowtag")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	ordinary := testenv.RequestHeaders("GET", "orders.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json", "baggage", "userid=42")
	shadowWrite := testenv.RequestHeaders("POST", "payments.shop.svc.cluster.local:8080", "/api/charge",
		"content-type", "application/json", "x-laneway-shadow", "1", "baggage", "laneway-shadow=1")
	mirrored := testenv.RequestHeaders("GET", "orders-shadow:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json", "baggage", "userid=42")
	spoofed := testenv.RequestHeaders("GET", "shop.example.com", "/api/orders/42",
		"user-agent", "curl/8.5.0", "baggage", "userid=42,laneway-shadow=1")
	mirroredFull := testenv.RequestHeaders("GET", "orders-shadow:8080", "/api/orders/42", "baggage", members(64))
	mirroredHidden := testenv.RequestHeaders("GET", "orders-shadow:8080", "/api/orders/42",
		"baggage", "userid=42,laneway-shadow=1,laneway-shadow=0\u00a0")
	for _, c := range []struct {
		name, mode, outcome string
		request             testenv.Headers
	}{
		{"inbound ordinary", "inbound", "passed", ordinary},
		{"outbound ordinary", "outbound", "passed", ordinary},
		{"outbound shadow write suppressed", "outbound", "suppressed", shadowWrite},
		// These two rewrite the baggage header (in reused memory).
		{"inbound mirrored copy marked", "inbound", "marked", mirrored},
		{"edge client marker stripped", "edge", "stripped", spoofed},
		// These two rewrite it on the fail-closed paths: evicting from full baggage, removing a hidden member.
		{"inbound mirrored copy with full baggage marked", "inbound", "marked", mirroredFull},
		{"inbound mirrored copy with a hidden member marked", "inbound", "marked", mirroredHidden},
		// Issue 17: an encoded marker key and a client-set mirror host at the edge, a trailing comma inbound.
		{"edge encoded marker key stripped", "edge", "stripped", testenv.RequestHeaders("GET", "shop.example.com", "/",
			"baggage", "userid=42,laneway%2Dshadow=1,laneway-shadow+=1", "uberctx-laneway-shadow", "1")},
		{"edge client-set mirror host normalised", "edge", "stripped", testenv.RequestHeaders("GET", "orders-shadow:8080", "/", "baggage", "userid=42")},
		{"inbound mirrored copy with a trailing comma marked", "inbound", "marked", testenv.RequestHeaders("GET", "orders-shadow:8080", "/", "baggage", "userid=42,")},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(`{"mode":"` + c.mode + `"}`), LogLevel: testenv.LogInfo, Env: testenv.GCProbeEnv()})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			run := func(n int) {
				for i := 0; i < n; i++ {
					s := vm.NewHTTPStream()
					s.RequestHeaders(c.request, true)
					s.Complete()
				}
			}
			m0, _ := vm.Metric(MetricPrefix + c.outcome + "_total")
			run(1000)
			testenvtest.AssertNoGC(t, vm, func() { run(testenv.GCProbeRequests) }, "the GC ran: a request allocates")
			m, ok := vm.Metric(MetricPrefix + c.outcome + "_total")
			require.True(t, ok)
			assert.Equal(t, int64(1000+testenv.GCProbeRequests), m.Value-m0.Value, "every request was %s", c.outcome)
			s := vm.NewHTTPStream()
			s.RequestHeaders(c.request, true)
			switch {
			case c.name == "inbound mirrored copy with full baggage marked":
				assert.Equal(t, []string{members(63) + ",laneway-shadow=1"}, s.Request().Headers.Values("baggage"))
			case c.outcome == "marked":
				assert.Equal(t, []string{"userid=42,laneway-shadow=1"}, s.Request().Headers.Values("baggage"))
			case c.outcome == "stripped":
				assert.Equal(t, []string{"userid=42"}, s.Request().Headers.Values("baggage"))
			}
		})
	}
}

// The rewritten baggage is built in memory the next request reuses (filters/proxyhost): a long value
// then shorter ones, on interleaved streams, and one far larger than the memory kept, must each
// reach the upstream intact.
func TestWasmRewrittenBaggageDoesNotBleedAcrossRequests(t *testing.T) {
	wasm := testenvtest.DistModule(t, "shadowtag")
	ctx := context.Background()
	for _, c := range []struct{ mode, host, sent, forwarded string }{
		// A mirrored copy gets the marker member appended.
		{"inbound", "orders-shadow:8080", "", ",laneway-shadow=1"},
		// At the edge a client's marker member is stripped.
		{"edge", "shop.example.com", ",laneway-shadow=1", ""},
	} {
		t.Run(c.mode, func(t *testing.T) {
			vm, err := testenvtest.Runtime(t).LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(`{"mode":"` + c.mode + `"}`)})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			bags := []string{
				"userid=" + strings.Repeat("x", 300) + ",session=abc",
				"k=v",
				"pad=" + strings.Repeat("h", 7<<10),
				"a=1,b=2",
			}
			var streams []*testenv.HTTPStream
			for _, b := range bags {
				s := vm.NewHTTPStream()
				s.RequestHeaders(testenv.RequestHeaders("GET", c.host, "/", "baggage", b+c.sent), true)
				streams = append(streams, s)
			}
			for i, s := range streams {
				assert.Equal(t, []string{bags[i] + c.forwarded}, s.Request().Headers.Values("baggage"), "request %d", i)
				s.Complete()
			}
			require.NoError(t, vm.Err())
		})
	}
}
