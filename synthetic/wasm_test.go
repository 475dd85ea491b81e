package synthetic

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// The Wasm leg (TestScenarios also runs the Go leg): the scenario table replayed against dist/synthetic.wasm in
// testenv, under both Envoy generations. A missing module fails the test
// (testenvtest.DistModule), it never skips: run `make build` first.

var profiles = []testenv.Profile{testenv.Envoy133, testenv.Envoy139}

func counterValue(vm *testenv.VM, outcome string) uint64 {
	m, ok := vm.Metric(MetricName(outcome))
	if !ok {
		return 0
	}
	return uint64(m.Value)
}

// scenarioCase is the scenario as a scenariotest.Case: the peer identity as host attributes, and the response
// (when the scenario has one) with "{id}" replaced by the transaction id the upstream received.
func scenarioCase(sc scenario) scenariotest.Case {
	props := map[string][]byte{}
	if sc.uriSAN != "" {
		props["connection.uri_san_peer_certificate"] = testenv.StringValue(sc.uriSAN)
	}
	if sc.peerPrincipal != "" {
		props["filter_state\x00io.istio.peer_principal"] = testenv.StringValue(sc.peerPrincipal)
	}
	if sc.sourcePrincipal != "" {
		props["source.principal"] = testenv.StringValue(sc.sourcePrincipal)
	}
	if dir, ok := directionValue(sc); ok {
		props["xds.listener_direction"] = dir
	}
	var metrics []string
	for _, o := range allOutcomes {
		metrics = append(metrics, MetricName(o))
	}
	c := scenariotest.Case{Config: sc.config, Properties: props, Request: sc.request, Counters: metrics}
	if sc.response != nil {
		c.Response = func(upstream [][2]string) [][2]string {
			txid := upstreamID(upstream)
			resp := make([][2]string, len(sc.response))
			for i, h := range sc.response {
				resp[i] = [2]string{h[0], strings.ReplaceAll(h[1], "{id}", txid)}
			}
			return resp
		}
	}
	return c
}

// scenarioOutcome is a leg's result as the outcome check compares it.
func scenarioOutcome(t *testing.T, sc scenario, r scenariotest.Result) outcome {
	var got outcome
	if r.Local != nil {
		got.localStatus, got.localBody, got.localHeaders = int(r.Local.Status), r.Local.Body, r.Local.Headers
		assert.Equal(t, testenv.ActionPause, r.Action, "a local reply pauses the request")
	} else {
		assert.Equal(t, testenv.ActionContinue, r.Action)
		got.upstream = r.Upstream
		if sc.response != nil {
			assert.Equal(t, testenv.ActionContinue, r.ResponseAction)
		}
	}
	got.routeCacheClear = r.RouteCacheClears
	assert.Empty(t, r.Undefined, "every counter is defined")
	got.counters = map[string]uint64{}
	for _, o := range allOutcomes {
		got.counters[o] = uint64(r.Counters[MetricName(o)])
	}
	got.warnLogs = r.Warn
	got.debugLogs = r.Debug
	return got
}

// scenarioLegs are the legs every scenario runs in: natively under proxytest, then dist/synthetic.wasm and
// the combined module with only the synthetic role configured (dist/laneway.wasm, {"synthetic": config}),
// each under both Envoy generations.
func scenarioLegs(t *testing.T) []scenariotest.Leg {
	legs := append([]scenariotest.Leg{scenariotest.GoLeg("synthetic", NewVMContext, nil)}, scenariotest.WasmLegs(t, "synthetic")...)
	return append(legs, scenariotest.CombinedLegs(t, "synthetic")...)
}

// runGoLeg runs one scenario in the Go leg alone.
func runGoLeg(t *testing.T, sc scenario) outcome {
	return scenarioOutcome(t, sc, scenariotest.GoLeg("synthetic", NewVMContext, nil).Run(t, scenarioCase(sc)))
}

// TestScenarios replays the table in every leg of scenarioLegs with one check.
func TestScenarios(t *testing.T) {
	for _, leg := range scenarioLegs(t) {
		t.Run(leg.Name, func(t *testing.T) {
			for _, sc := range allScenarios(t, time.Now()) {
				t.Run(sc.name, func(t *testing.T) {
					check(t, sc, scenarioOutcome(t, sc, leg.Run(t, scenarioCase(sc))))
				})
			}
		})
	}
}

func TestWasmBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	rt := testenvtest.Runtime(t)
	for _, p := range profiles {
		for _, cfg := range []string{`{"mode":"inbound","ack":{}}`, `{"ack":{}}`} {
			_, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{Profile: p, PluginConfig: []byte(cfg)})
			require.Error(t, err, p.String())
			assert.Contains(t, err.Error(), `field "ack"`)
		}
	}
}

// An empty configuration starts the filter under both Envoy generations and says in its start-up log where
// its mode comes from. Envoy answers xds.listener_direction only in a stream's context (its XDSWrapper has no
// stream info in on_configure), so the start-up log says the mode is read on the first request, and that
// request resolves it once. The scenario table covers the behaviour per direction.
func TestWasmEmptyConfigTakesItsModeFromTheListenerDirection(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	rt := testenvtest.Runtime(t)
	ctx := context.Background()
	for _, p := range profiles {
		t.Run(p.String()+"/listener property", func(t *testing.T) {
			for dir, want := range map[int64]string{1: "synthetic: mode inbound from the listener direction", 2: "synthetic: mode outbound from the listener direction"} {
				vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: p, PluginConfig: []byte(`{}`), LogLevel: testenv.LogInfo,
					Properties: map[string][]byte{"xds.listener_direction": testenv.IntValue(dir)}})
				require.NoError(t, err)
				assert.Contains(t, strings.Join(vm.LogsAt(testenv.LogInfo), "\n"), "synthetic: started: mode=unset (inbound or outbound from the listener direction, read on the first request)",
					"on_configure cannot see the direction in Envoy")
				s := vm.NewHTTPStream()
				s.RequestHeaders(testenv.RequestHeaders("GET", "billing", "/"), true)
				s.Complete()
				require.NoError(t, vm.Err())
				assert.Contains(t, strings.Join(vm.LogsAt(testenv.LogInfo), "\n"), want, "direction %d", dir)
				require.NoError(t, vm.Close(ctx))
			}
		})
		t.Run(p.String()+"/on the first request", func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: p, PluginConfig: []byte(`{}`), LogLevel: testenv.LogInfo})
			require.NoError(t, err)
			defer func() { _ = vm.Close(ctx) }()
			assert.Contains(t, strings.Join(vm.LogsAt(testenv.LogInfo), "\n"), "synthetic: started: mode=unset (inbound or outbound from the listener direction, read on the first request)")
			refused := counterValue(vm, OutcomeRefused)
			for i := 0; i < 2; i++ {
				s := vm.NewHTTPStream()
				s.SetProperty("xds.listener_direction", testenv.IntValue(2))
				s.RequestHeaders(testenv.RequestHeaders("POST", "billing", "/", "x-laneway-synthetic", "1;id=tx-first"), true)
				require.NotNil(t, s.LocalResponse(), "outbound: a synthetic write to a non-participant is refused")
				assert.Contains(t, string(s.LocalResponse().Body), "not declared rollback-capable")
				s.Complete()
			}
			require.NoError(t, vm.Err())
			assert.Equal(t, refused+2, counterValue(vm, OutcomeRefused))
			info := strings.Join(vm.LogsAt(testenv.LogInfo), "\n")
			assert.Equal(t, 1, strings.Count(info, "synthetic: mode outbound from the listener direction"), "resolved once: %s", info)
			assert.Empty(t, vm.LogsAt(testenv.LogWarn))
		})
	}
}

// TestManySyntheticRequestsDoNotKillTheVMOnEnvoy133 sends enough synthetic traffic
// (token checks, id generation, refusals) to run the garbage collector many times;
// on Envoy 1.33–1.38 a Go timer armed anywhere (crypto/rand, time.AfterFunc) would
// make that fatal.
func TestManySyntheticRequestsDoNotKillTheVMOnEnvoy133(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	rt := testenvtest.Runtime(t)
	tok, err := MintToken([]byte(testSecret), "tx-load", time.Now().Add(10*time.Minute))
	require.NoError(t, err)
	vm, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{
		Profile:      testenv.Envoy133,
		PluginConfig: []byte(`{"mode":"edge","trust":{"token":{"secret":"` + testSecret + `"}},"participants":["orders"],"ack":{"required":true}}`),
		LogLevel:     testenv.LogInfo,
	})
	require.NoError(t, err)
	defer func() { _ = vm.Close(context.Background()) }()
	for i := 0; i < 3000; i++ {
		host := []string{"orders", "billing"}[i%2]
		s := vm.NewHTTPStream()
		s.RequestHeaders(testenv.RequestHeaders("POST", host, "/", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok,
			"baggage", "laneway-tenant=acme,k"+strings.Repeat("x", i%50)+"=v"), true)
		if s.LocalResponse() == nil {
			s.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}, {Key: DefaultAckHeader, Value: "tx-load"}}, true)
		}
		s.Complete()
		require.NoError(t, vm.Err(), "request %d", i)
	}
	assert.Equal(t, uint64(1500), counterValue(vm, OutcomeRefused))
	assert.Equal(t, uint64(1500), counterValue(vm, OutcomeAcked))
}

// BenchmarkWasmStream is one full request/response stream through dist/synthetic.wasm
// in testenv, next to the same stream through the noop fixture: compare the two.
func BenchmarkWasmStream(b *testing.B) {
	rt := testenvtest.Runtime(b)
	cfg := []byte(`{"mode":"edge","trust":{"principals":["` + trustedSA + `"]},"participants":["orders.shop.svc.cluster.local"],"ack":{"required":true}}`)
	props := map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(trustedSA)}
	for _, bc := range []struct {
		name, module string
		headers      [][2]string
	}{
		{"noop/unmarked", "noop", typical},
		{"synthetic/unmarked", "synthetic", typical},
		{"synthetic/synthetic write to participant", "synthetic", with("x-laneway-synthetic", "1;id=tx-bench")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			pc := cfg
			if bc.module == "noop" {
				pc = []byte(`{}`)
			}
			vm, err := rt.LoadVM(context.Background(), testenvtest.DistModule(b, bc.module), testenv.VMOptions{
				Profile: testenv.Envoy139, PluginConfig: pc, Properties: props, LogLevel: testenv.LogInfo,
			})
			require.NoError(b, err)
			defer func() { _ = vm.Close(context.Background()) }()
			req := testenv.HeadersOf(bc.headers)
			resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: DefaultAckHeader, Value: "tx-bench"}}
			b.ReportAllocs()
			for b.Loop() {
				s := vm.NewHTTPStream()
				s.RequestHeaders(req, true)
				s.ResponseHeaders(resp, true)
				s.Complete()
			}
			require.NoError(b, vm.Err())
		})
	}
}

// FuzzWasmFilter sends random request and response headers through
// dist/synthetic.wasm (edge mode: trust, token and destination policy all
// engaged) on Envoy 1.33's WASI surface: the module must never trap.
func FuzzWasmFilter(f *testing.F) {
	tok, err := MintToken([]byte(testSecret), "tx", time.Now().Add(time.Hour))
	require.NoError(f, err)
	f.Add("0:POST\n1:billing\n2:1\n4:"+tok, "x:y", uint8(0))
	f.Add("0:GET\n3:laneway-synthetic=1,laneway-synthetic=2\n2:1;id=\xff", "", uint8(1))
	f.Add("2:1;id=tx\n1:orders\n0:PUT", "ack:tx", uint8(2))
	wasm := testenvtest.DistModule(f, "synthetic")
	rt := testenvtest.Runtime(f)
	// One VM per peer identity, all started before fuzzing: the fuzz engine
	// treats a slow input (compiling or instantiating a module) as a hung worker.
	var vms []*testenv.VM
	for _, principal := range []string{trustedSA, otherSA, ""} {
		props := map[string][]byte{}
		if principal != "" {
			props["connection.uri_san_peer_certificate"] = testenv.StringValue(principal)
		}
		vm, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{
			Profile: testenv.Envoy133, LogLevel: testenv.LogWarn, Properties: props,
			PluginConfig: []byte(`{"mode":"edge","trust":{"principals":["` + trustedSA + `"],"token":{"secret":"` + testSecret + `"}},
				"participants":["orders"],"ack":{"required":true}}`),
		})
		require.NoError(f, err)
		vms = append(vms, vm)
	}
	f.Fuzz(func(t *testing.T, reqRaw, respRaw string, peer uint8) {
		vm := vms[int(peer)%len(vms)]
		s := vm.NewHTTPStream()
		s.RequestHeaders(testenv.HeadersOf(fuzzHeaders(fuzzNames, reqRaw)), true)
		if s.LocalResponse() == nil {
			s.ResponseHeaders(testenv.HeadersOf(fuzzHeaders([]string{":status", DefaultAckHeader, "x-other"}, respRaw)), true)
		}
		s.Complete()
		require.NoError(t, vm.Err())
	})
}

// Request headers are read into memory the next request reuses (filters/proxyhost). A stream that awaits an
// acknowledgement keeps its transaction id until its response: interleaved streams with ids of the same
// length (so the second lands where the first was) must each be acknowledged with their own id.
func TestInterleavedAcksKeepTheirOwnTransactionIDs(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	rt := testenvtest.Runtime(t)
	vm, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{
		PluginConfig: []byte(`{"mode":"edge","trust":{"token":{"secret":"` + testSecret + `"}},"participants":["orders"],"ack":{"required":true}}`),
	})
	require.NoError(t, err)
	defer func() { _ = vm.Close(context.Background()) }()
	ids := []string{"tx-aaaa", "tx-bbbb", "tx-cccc"}
	var streams []*testenv.HTTPStream
	for _, id := range ids {
		tok, err := MintToken([]byte(testSecret), id, time.Now().Add(10*time.Minute))
		require.NoError(t, err)
		s := vm.NewHTTPStream()
		require.Equal(t, testenv.ActionContinue, s.RequestHeaders(testenv.RequestHeaders("POST", "orders", "/",
			"x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), true))
		streams = append(streams, s)
	}
	acked, missing := counterValue(vm, OutcomeAcked), counterValue(vm, OutcomeAckMissing)
	for i, s := range streams {
		s.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}, {Key: DefaultAckHeader, Value: ids[i]}}, true)
		s.Complete()
	}
	require.NoError(t, vm.Err())
	assert.Equal(t, uint64(3), counterValue(vm, OutcomeAcked)-acked)
	assert.Equal(t, uint64(0), counterValue(vm, OutcomeAckMissing)-missing)
	assert.Empty(t, vm.LogsAt(testenv.LogWarn))
}

// Stream contexts are reused once Envoy deleted their stream (filters/proxyhost in the Wasm build), so an
// unmarked stream allocates nothing and Go's GC never starts in the steady state (every GC cycle reads the
// clock, and unmarked requests do not). A reused context must carry nothing over: a stream that awaited an
// acknowledgement and ended without a response must not make the next stream count one.
func TestWasmStreamContextsAreReusedClean(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{
		PluginConfig: []byte(`{"mode":"edge","trust":{"token":{"secret":"` + testSecret + `"}},"participants":["orders"],"ack":{"required":true}}`),
		LogLevel:     testenv.LogInfo,
		Env:          testenv.GCProbeEnv(), // a GC within testenv.GCProbeRequests shows a 16-byte allocation per stream
	})
	require.NoError(t, err)
	defer func() { _ = vm.Close(ctx) }()
	tok, err := MintToken([]byte(testSecret), "tx-gone", time.Now().Add(10*time.Minute))
	require.NoError(t, err)
	ok := testenv.Headers{{Key: ":status", Value: "200"}}

	marked := vm.NewHTTPStream()
	marked.RequestHeaders(testenv.RequestHeaders("POST", "orders", "/", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), true)
	marked.Complete() // reset before any response: its context is released while awaiting an ack
	acked, missing := counterValue(vm, OutcomeAcked), counterValue(vm, OutcomeAckMissing)
	plain := testenv.RequestHeaders("POST", "orders", "/", "content-type", "application/json")
	run := func(n int) {
		for i := 0; i < n; i++ {
			s := vm.NewHTTPStream()
			s.RequestHeaders(plain, true)
			s.ResponseHeaders(ok, true)
			s.Complete()
		}
	}
	run(1000)
	assert.Equal(t, acked, counterValue(vm, OutcomeAcked))
	assert.Equal(t, missing, counterValue(vm, OutcomeAckMissing), "a reused context still awaited an acknowledgement")

	testenvtest.AssertNoGC(t, vm, func() { run(testenv.GCProbeRequests) }, "the GC ran: an unmarked stream allocates")
}

// Marked requests build their rewritten headers and refusal bodies in reused memory
// (filters/proxyhost): the steady state allocates nothing, so the GC never starts (with testenv.GCProbeEnv,
// testenv.GCProbeRequests requests start it if each allocates even 16 bytes).
func TestWasmMarkedRequestsDoNotStartTheGC(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	const sa = "spiffe://cluster.local/ns/shop/sa/checkout"
	ok := testenv.Headers{{Key: ":status", Value: "200"}}
	for _, c := range []struct {
		name, config, outcome string
		request, response     testenv.Headers
		check                 func(t *testing.T, s *testenv.HTTPStream)
	}{
		{"outbound write to a participant acknowledged", `{"mode":"outbound","participants":["orders"],"ack":{"required":true}}`, OutcomeAcked,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42", "x-laneway-synthetic", "1;id=tx-gc"),
			testenv.Headers{{Key: ":status", Value: "200"}, {Key: "x-laneway-synthetic-ack", Value: "tx-gc"}},
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"userid=42,laneway-synthetic=tx-gc"}, s.Request().Headers.Values("baggage"))
			}},
		{"inbound trusted marker forwarded", `{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`, OutcomeAccepted,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42", "x-laneway-synthetic", "1;id=tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"1;id=tx-gc"}, s.Request().Headers.Values("x-laneway-synthetic"))
				assert.Equal(t, []string{"userid=42,laneway-synthetic=tx-gc"}, s.Request().Headers.Values("baggage"))
			}},
		{"inbound trusted marker without id gets one", `{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`, OutcomeAccepted,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42", "x-laneway-synthetic", "1"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				marker := s.Request().Headers.Values("x-laneway-synthetic")
				require.Len(t, marker, 1)
				id, ok := strings.CutPrefix(marker[0], "1;id=")
				require.True(t, ok, marker[0])
				assert.Regexp(t, "^[0-9a-f]{32}$", id)
				assert.Equal(t, []string{"userid=42,laneway-synthetic=" + id}, s.Request().Headers.Values("baggage"))
			}},
		// The fail-closed baggage paths: evicting from full baggage, removing a hidden marker member.
		{"inbound trusted marker in full baggage forwarded", `{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`, OutcomeAccepted,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "big="+strings.Repeat("x", 8186), "x-laneway-synthetic", "1;id=tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"laneway-synthetic=tx-gc"}, s.Request().Headers.Values("baggage"))
			}},
		{"inbound trusted marker with a hidden member forwarded", `{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`, OutcomeAccepted,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42,laneway-synthetic=tx-gc,laneway-synthetic=x\u00a0", "x-laneway-synthetic", "1;id=tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"userid=42,laneway-synthetic=tx-gc"}, s.Request().Headers.Values("baggage"))
			}},
		{"outbound write to a non-participant refused", `{"mode":"outbound","participants":["orders"]}`, OutcomeRefused,
			testenv.RequestHeaders("POST", "payments", "/api/charge", "x-laneway-synthetic", "1;id=tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				require.NotNil(t, s.LocalResponse())
				assert.Equal(t, "laneway synthetic transaction tx-gc: POST to payments refused: the destination is not declared rollback-capable\n", string(s.LocalResponse().Body))
				assert.Equal(t, []string{"1;id=tx-gc"}, s.LocalResponse().Headers.Values("x-laneway-synthetic"))
			}},
		{"edge untrusted baggage marker stripped", `{"mode":"edge"}`, OutcomeStripped,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42,laneway-synthetic=tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"userid=42"}, s.Request().Headers.Values("baggage"))
			}},
		// Issue 17: keys other propagators decode, their carrier headers, and a trailing comma.
		{"edge untrusted encoded baggage marker stripped", `{"mode":"edge"}`, OutcomeStripped,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42,laneway%2Dsynthetic=tx-gc,laneway-synthetic+=x"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"userid=42"}, s.Request().Headers.Values("baggage"))
			}},
		{"edge untrusted carrier marker headers stripped", `{"mode":"edge"}`, OutcomeStripped,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42", "uberctx-laneway-synthetic", "tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Empty(t, s.Request().Headers.Values("uberctx-laneway-synthetic"))
			}},
		{"inbound trusted marker after a trailing comma forwarded", `{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`, OutcomeAccepted,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42,", "x-laneway-synthetic", "1;id=tx-gc"), nil,
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"userid=42,laneway-synthetic=tx-gc"}, s.Request().Headers.Values("baggage"))
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(c.config), LogLevel: testenv.LogInfo, Env: testenv.GCProbeEnv(),
				Properties: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(sa)}})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			run := func(n int) {
				for i := 0; i < n; i++ {
					s := vm.NewHTTPStream()
					s.RequestHeaders(c.request, true)
					if s.LocalResponse() == nil {
						resp := c.response
						if resp == nil {
							resp = ok
						}
						s.ResponseHeaders(resp, true)
					}
					s.Complete()
				}
			}
			n0 := counterValue(vm, c.outcome)
			run(1000)
			testenvtest.AssertNoGC(t, vm, func() { run(testenv.GCProbeRequests) }, "the GC ran: a request allocates")
			assert.Equal(t, uint64(1000+testenv.GCProbeRequests), counterValue(vm, c.outcome)-n0, "every request was %s", c.outcome)
			s := vm.NewHTTPStream()
			s.RequestHeaders(c.request, true)
			c.check(t, s)
		})
	}
}

// A marker header that is already `1;id=<id>` (once) is left as it is: no host call to rewrite it.
func TestWasmNormalisedMarkerHeaderIsNotRewritten(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	ctx := context.Background()
	const sa = "spiffe://cluster.local/ns/shop/sa/checkout"
	vm, err := testenvtest.Runtime(t).LoadVM(ctx, wasm, testenv.VMOptions{
		PluginConfig: []byte(`{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`),
		Properties:   map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(sa)}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(ctx) })
	for _, tt := range []struct {
		marker   string
		rewrites int
	}{{"1;id=tx-1", 0}, {" 1 ; id=tx-1", 1}, {"1", 1}} {
		before := vm.HostCalls()["env.proxy_replace_header_map_value"]
		s := vm.NewHTTPStream()
		// The baggage already carries the id, so only the marker header may need a rewrite.
		s.RequestHeaders(testenv.RequestHeaders("POST", "orders", "/", "x-laneway-synthetic", tt.marker, "baggage", "laneway-synthetic=tx-1"), true)
		assert.Equal(t, tt.rewrites, int(vm.HostCalls()["env.proxy_replace_header_map_value"]-before), "marker %q", tt.marker)
		got := s.Request().Headers.Values("x-laneway-synthetic")
		require.Len(t, got, 1)
		if tt.marker != "1" {
			assert.Equal(t, "1;id=tx-1", got[0])
		}
		s.Complete()
	}
	require.NoError(t, vm.Err())
}

// Values built in reused memory reach the host intact when a long one is followed by shorter ones
// on interleaved streams, and when one is far larger than the memory kept.
func TestWasmRewrittenValuesDoNotBleedAcrossRequests(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	ctx := context.Background()
	const sa = "spiffe://cluster.local/ns/shop/sa/checkout"
	ids := []string{strings.Repeat("L", 64), "s", "m-2"}
	bags := []string{"userid=" + strings.Repeat("x", 300), "k=v", "pad=" + strings.Repeat("h", 7<<10)}

	t.Run("inbound forwarded markers", func(t *testing.T) {
		vm, err := testenvtest.Runtime(t).LoadVM(ctx, wasm, testenv.VMOptions{
			PluginConfig: []byte(`{"mode":"inbound","trust":{"principals":["` + sa + `"]}}`),
			Properties:   map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(sa)}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = vm.Close(ctx) })
		var streams []*testenv.HTTPStream
		for i := range ids {
			s := vm.NewHTTPStream()
			s.RequestHeaders(testenv.RequestHeaders("GET", "orders", "/", "baggage", bags[i], "x-laneway-synthetic", " 1 ; id="+ids[i]), true)
			streams = append(streams, s)
		}
		for i, s := range streams {
			assert.Equal(t, []string{"1;id=" + ids[i]}, s.Request().Headers.Values("x-laneway-synthetic"), "request %d", i)
			assert.Equal(t, []string{bags[i] + ",laneway-synthetic=" + ids[i]}, s.Request().Headers.Values("baggage"), "request %d", i)
			s.Complete()
		}
		require.NoError(t, vm.Err())
	})

	t.Run("refusals", func(t *testing.T) {
		vm, err := testenvtest.Runtime(t).LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(`{"mode":"outbound","participants":["orders"],"refuse":{"body":"{id}|{method}|{host}"}}`)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = vm.Close(ctx) })
		hosts := []string{"payments-" + strings.Repeat("p", 200), "a", "b.example"}
		var streams []*testenv.HTTPStream
		for i := range ids {
			s := vm.NewHTTPStream()
			s.RequestHeaders(testenv.RequestHeaders("DELETE", hosts[i], "/", "x-laneway-synthetic", "1;id="+ids[i]), true)
			streams = append(streams, s)
		}
		for i, s := range streams {
			require.NotNil(t, s.LocalResponse(), "request %d", i)
			assert.Equal(t, ids[i]+"|DELETE|"+hosts[i], string(s.LocalResponse().Body), "request %d", i)
			assert.Equal(t, []string{"1;id=" + ids[i]}, s.LocalResponse().Headers.Values("x-laneway-synthetic"), "request %d", i)
			s.Complete()
		}
		require.NoError(t, vm.Err())
	})
}
