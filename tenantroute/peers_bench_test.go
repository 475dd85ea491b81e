package tenantroute

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// peerScenario is one row of the Go vs C++ SDK vs hand-written C comparison: the Go module and its two
// peers (see costbench.PeersDir) on the same exchange.
type peerScenario struct {
	name             string
	goMod, cpp, c    string
	req              testenv.Headers
	resp             testenv.Headers
	tenant           string // the x-laneway-tenant every contender must leave on the request; "" for none
	routeCacheClears int    // clear_route_cache calls every contender must make
}

func peerScenarios() []peerScenario {
	resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	return []peerScenario{
		// The no-op stream: what hosting each kind of module costs per stream (context bookkeeping, entries).
		{name: "noop-stream", goMod: "noop", cpp: "cpp-noop", c: "c-noop",
			req:  testenv.RequestHeaders("GET", "svc.ns.svc.cluster.local", "/api", "baggage", "laneway-tenant=t1"),
			resp: testenv.Headers{{Key: ":status", Value: "200"}}},
		{name: "tenantroute-routed", goMod: "tenantroute", cpp: "cpp-tenantroute", c: "c-tenantroute",
			req: costRequest("userid=42,laneway-tenant=sbx-1"), resp: resp, tenant: "sbx-1", routeCacheClears: 1},
		{name: "tenantroute-baseline", goMod: "tenantroute", cpp: "cpp-tenantroute", c: "c-tenantroute",
			req: costRequest("userid=42"), resp: resp},
	}
}

// check holds every contender to the scenario's outcome, so that a peer is only timed doing the work it is
// compared for (a peer that skipped the header edit would look cheaper for the wrong reason).
func (sc peerScenario) check(name string, _ *testenv.VM, s *testenv.HTTPStream) error {
	if s.LocalResponse() != nil {
		return fmt.Errorf("%s: unexpected local reply %d", name, s.LocalResponse().StatusCode)
	}
	got, ok := s.Request().Headers.Get("x-laneway-tenant")
	switch {
	case sc.tenant != "" && got != sc.tenant:
		return fmt.Errorf("%s: x-laneway-tenant is %q (present %v), expected %q", name, got, ok, sc.tenant)
	case sc.tenant == "" && ok:
		return fmt.Errorf("%s: x-laneway-tenant %q set on a request without a tenant", name, got)
	}
	if n := s.RouteCacheClears(); n != sc.routeCacheClears {
		return fmt.Errorf("%s: %d route cache clears, expected %d", name, n, sc.routeCacheClears)
	}
	if sc.goMod == "noop" && len(s.Request().Headers) != len(sc.req) {
		return fmt.Errorf("%s: a no-op changed the request headers: %v", name, s.Request().Headers)
	}
	return nil
}

func (sc peerScenario) contenders(tb testing.TB) ([]costbench.Contender, error) {
	out := []costbench.Contender{{Name: "go", Wasm: testenvtest.DistModule(tb, sc.goMod)}}
	for _, p := range [][2]string{{"cpp", sc.cpp}, {"c", sc.c}} {
		wasm, err := costbench.Peer(tb, p[1])
		if err != nil {
			return nil, err
		}
		out = append(out, costbench.Contender{Name: p[0], Wasm: wasm})
	}
	return out, nil
}

func (sc peerScenario) costCase() costbench.Case {
	return costbench.Case{Module: sc.goMod, Request: sc.req, Response: sc.resp}
}

// TestPeersDoTheComparedWork runs each comparison's Go module and peers once and checks they did the same:
// the tenant header on a routed request, none on a baseline one, one route cache clear when routed, the
// routed/baseline counter, headers untouched by the no-ops.
func TestPeersDoTheComparedWork(t *testing.T) {
	cache := wazero.NewCompilationCache() // one compilation per module across the runtimes below
	t.Cleanup(func() { _ = cache.Close(context.Background()) })
	for _, sc := range peerScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			cs, err := sc.contenders(t)
			if err != nil {
				t.Skip(err) // the peers live outside the repository; BenchmarkPeers reports the same absence
			}
			for _, ct := range cs {
				rt, err := testenv.NewRuntime(context.Background(), testenv.RuntimeOptions{CompilationCache: cache})
				require.NoError(t, err)
				t.Cleanup(func() { _ = rt.Close(context.Background()) }) // one runtime each: counters are per runtime
				vm, err := rt.LoadVM(context.Background(), ct.Wasm, testenv.VMOptions{Profile: testenv.Envoy139})
				require.NoError(t, err, ct.Name)
				s := vm.NewHTTPStream()
				s.RequestHeaders(sc.req.Clone(), true)
				s.ResponseHeaders(sc.resp.Clone(), true)
				s.Complete()
				require.NoError(t, vm.Err(), ct.Name)
				assert.NoError(t, sc.check(ct.Name, vm, s))
				if sc.goMod == "tenantroute" {
					outcome := "baseline"
					if sc.tenant != "" {
						outcome = "routed"
					}
					m, ok := vm.Metric("laneway_tenantroute_" + outcome + "_total")
					assert.True(t, ok && m.Value == 1, "%s: laneway_tenantroute_%s_total = %v (defined %v), expected 1", ct.Name, outcome, m.Value, ok)
				}
			}
		})
	}
}

// peerResults keeps each scenario's comparison: go test calls a benchmark function once per b.N it tries,
// and the interleaved rounds (several seconds) need to run only once.
var peerResults sync.Map

// peerCache compiles the Go module of BenchmarkPeers' own loop once for all the calls.
var peerCache = wazero.NewCompilationCache()

// BenchmarkPeers sets the Go module beside the C++ SDK and hand-written C peers on the same exchange, in
// interleaved rounds of one run (median of 5): go-ns/cpp-ns/c-ns per full stream (thread CPU time), x-cpp and
// x-c the Go module's time over each peer's (and the same by wall clock). ns/op is the Go module's own loop.
// Without the peers only the Go loop runs and the benchmark logs where it looked (the report says so).
func BenchmarkPeers(b *testing.B) {
	for _, sc := range peerScenarios() {
		b.Run(sc.name, func(b *testing.B) {
			cs, err := sc.contenders(b)
			var cmp costbench.Comparison
			if err != nil {
				b.Log(err)
				cs = []costbench.Contender{{Name: "go", Wasm: testenvtest.DistModule(b, sc.goMod)}}
			} else if v, ok := peerResults.Load(sc.name); ok {
				cmp = v.(costbench.Comparison)
			} else {
				b.StopTimer()
				cmp, err = costbench.Compare(context.Background(), sc.costCase(), cs, costbench.CompareOptions{Check: sc.check, Instructions: true})
				if err != nil {
					b.Fatal(err)
				}
				peerResults.Store(sc.name, cmp)
				b.StartTimer()
			}
			rt, err := testenv.NewRuntime(context.Background(), testenv.RuntimeOptions{CompilationCache: peerCache})
			require.NoError(b, err)
			b.Cleanup(func() { _ = rt.Close(context.Background()) })
			vm, err := rt.LoadVM(context.Background(), cs[0].Wasm, testenv.VMOptions{Profile: testenv.Envoy139, LogLevel: testenv.LogInfo})
			require.NoError(b, err)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := vm.NewHTTPStream()
				s.RequestHeaders(sc.req, true)
				s.ResponseHeaders(sc.resp, true)
				s.Complete()
			}
			b.StopTimer()
			require.NoError(b, vm.Err())
			if cmp.Names != nil {
				cmp.Report(b)
			}
		})
	}
}
