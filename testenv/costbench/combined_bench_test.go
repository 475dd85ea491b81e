package costbench_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
	"github.com/laneway/laneway/testenv/testenvtest"
)

func combinedScenario(tb testing.TB) costbench.CombinedScenario {
	tb.Helper()
	s, err := costbench.Combined()
	require.NoError(tb, err)
	return s
}

// combinedContenders are the combined module, the three separate modules as one chain, tenantroute alone and
// the combined module with only its tenantroute role (together: what the combined module adds to the role
// the C++ peer does, and what the other two roles cost inside it) and, when present, the C++ SDK tenantroute
// peer; peerErr says why the peer is missing.
func combinedContenders(tb testing.TB, s costbench.CombinedScenario) (cs []costbench.Contender, peerErr error) {
	tb.Helper()
	cs = []costbench.Contender{{Name: "combined", Wasm: testenvtest.DistModule(tb, s.Combined.Module), PluginConfig: string(s.Combined.Config)}}
	sep := costbench.Contender{Name: "separate"}
	for _, m := range s.Separate {
		sep.Chain = append(sep.Chain, costbench.Contender{Name: m.Module, Wasm: testenvtest.DistModule(tb, m.Module), PluginConfig: string(m.Config)})
	}
	cs = append(cs, sep)
	tr, ok := s.Role("tenantroute")
	require.True(tb, ok, "combined.json has a tenantroute stage")
	cs = append(cs,
		costbench.Contender{Name: "tenantroute", Wasm: testenvtest.DistModule(tb, tr.Module), PluginConfig: string(tr.Config)},
		costbench.Contender{Name: "combined-tenantroute", Wasm: cs[0].Wasm, PluginConfig: `{"tenantroute":` + string(tr.Config) + `}`})
	if wasm, err := costbench.Peer(tb, s.Peer); err != nil {
		peerErr = err
	} else {
		cs = append(cs, costbench.Contender{Name: "cpp", Wasm: wasm, PluginConfig: `{}`})
	}
	return cs, peerErr
}

// combinedCheck holds every contender to the same outcome on one stream: the combined module raises every
// role's counter once, sets the tenant and clears the route cache RouteCacheClears times; the chain of
// separate modules does the same between them (each module raises its own counters); the C++ peer sets the
// tenant. Counters live in the runtime, shared by all contenders, so the check compares with the values it
// saw last.
func combinedCheck(s costbench.CombinedScenario) func(name string, vm *testenv.VM, st *testenv.HTTPStream) error {
	seen := map[string]int64{}
	chainClears := 0
	raised := func(vm *testenv.VM, names []string) error {
		for _, n := range names {
			m, ok := vm.Metric(n)
			if !ok {
				return fmt.Errorf("counter %s is not defined", n)
			}
			if d := m.Value - seen[n]; d != 1 {
				return fmt.Errorf("counter %s rose by %v, expected 1", n, d)
			}
			seen[n] = m.Value
		}
		return nil
	}
	tenant := func(st *testenv.HTTPStream) error {
		if got, _ := st.Request().Headers.Get("x-laneway-tenant"); got != s.Tenant {
			return fmt.Errorf("x-laneway-tenant is %q, expected %q", got, s.Tenant)
		}
		return nil
	}
	return func(name string, vm *testenv.VM, st *testenv.HTTPStream) error {
		if lr := st.LocalResponse(); lr != nil {
			return fmt.Errorf("unexpected local reply %d", lr.StatusCode)
		}
		switch contender, module, _ := strings.Cut(name, "/"); contender {
		case "combined":
			if n := st.RouteCacheClears(); n != s.RouteCacheClears {
				return fmt.Errorf("%d route cache clears, expected %d", n, s.RouteCacheClears)
			}
			if err := raised(vm, s.Counters()); err != nil {
				return err
			}
			return tenant(st)
		case "separate":
			for i, m := range s.Separate {
				if m.Module != module {
					continue
				}
				chainClears += st.RouteCacheClears()
				if err := raised(vm, m.Counters); err != nil {
					return err
				}
				if i < len(s.Separate)-1 {
					return nil
				}
				if chainClears != s.RouteCacheClears {
					return fmt.Errorf("the chain cleared the route cache %d times, expected %d", chainClears, s.RouteCacheClears)
				}
				return tenant(st)
			}
			return fmt.Errorf("module %q is not one of the scenario's separate modules", module)
		case "tenantroute", "combined-tenantroute":
			tr, _ := s.Role("tenantroute")
			if n := st.RouteCacheClears(); n != s.RouteCacheClears {
				return fmt.Errorf("%d route cache clears, expected %d", n, s.RouteCacheClears)
			}
			if err := raised(vm, tr.Counters); err != nil {
				return err
			}
			return tenant(st)
		default:
			if n := st.RouteCacheClears(); n != s.RouteCacheClears {
				return fmt.Errorf("%d route cache clears, expected %d", n, s.RouteCacheClears)
			}
			return tenant(st)
		}
	}
}

// TestCombinedContendersDoTheSameWork runs the comparison's check on one stream of each contender (without
// timing anything): the combined module must do on the scenario's request exactly what the three separate
// modules do together, with one route cache clear; a missing dist/laneway.wasm fails it.
func TestCombinedContendersDoTheSameWork(t *testing.T) {
	s := combinedScenario(t)
	cs, peerErr := combinedContenders(t, s)
	if peerErr != nil {
		t.Log(peerErr, "(the C++ peer is left out)")
	}
	_, err := costbench.Compare(context.Background(), s.Case(s.Combined), cs, costbench.CompareOptions{
		Rounds: 1, RoundTime: 1, Check: combinedCheck(s),
	})
	require.NoError(t, err)
}

// TestCombinedCheckCatchesAContenderThatSkipsARole holds the check to failing: a "combined" module
// configured with tenantroute only does not count shadowtag's passed request. (The unmarked request
// raises no synthetic counter, alone or combined.)
func TestCombinedCheckCatchesAContenderThatSkipsARole(t *testing.T) {
	s := combinedScenario(t)
	cs := []costbench.Contender{{Name: "combined", Wasm: testenvtest.DistModule(t, s.Combined.Module), PluginConfig: `{"tenantroute":{}}`}}
	_, err := costbench.Compare(context.Background(), s.Case(s.Combined), cs, costbench.CompareOptions{Rounds: 1, RoundTime: 1, Check: combinedCheck(s)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "laneway_shadowtag_passed_total")
}

// BenchmarkCombined sets the combined module, with all three roles configured, beside the three separate
// modules as one filter chain and the C++ SDK tenantroute peer, on one request that exercises every role,
// in interleaved rounds of one run (costbench.Compare, median of 5): combined-ns, separate-ns and cpp-ns per
// full stream (thread CPU time), x-separate (combined over the chain; target at most 0.5) and x-cpp (combined
// over the peer; target at most 2), and the same by wall clock; tenantroute-ns and combined-tenantroute-ns
// (tenantroute alone, and the combined module with only that role) say where the combined module's time goes.
// ns/op is the combined module's own loop.
func BenchmarkCombined(b *testing.B) {
	s := combinedScenario(b)
	// The comparison runs once per -count: go test calls the sub-benchmark again for each b.N it tries,
	// and starts each count (a fresh run of the sub-benchmark) with b.N = 1.
	var cmp *costbench.Comparison
	b.Run(s.Name, func(b *testing.B) {
		if cmp == nil || b.N == 1 {
			cs, peerErr := combinedContenders(b, s)
			if peerErr != nil {
				b.Log(peerErr)
			}
			b.StopTimer()
			c, err := costbench.Compare(context.Background(), s.Case(s.Combined), cs, costbench.CompareOptions{Check: combinedCheck(s), Instructions: true})
			require.NoError(b, err)
			cmp = &c
			b.StartTimer()
		}
		rt := testenvtest.Runtime(b)
		c := s.Case(s.Combined)
		vm, err := rt.LoadVM(context.Background(), testenvtest.DistModule(b, c.Module), testenv.VMOptions{
			Profile: testenv.Envoy139, PluginConfig: []byte(c.PluginConfig), LogLevel: testenv.LogInfo,
		})
		require.NoError(b, err)
		b.Cleanup(func() { _ = vm.Close(context.Background()) })
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			st := vm.NewHTTPStream()
			st.RequestHeaders(c.Request, true)
			st.ResponseHeaders(c.Response, true)
			st.Complete()
		}
		b.StopTimer()
		require.NoError(b, vm.Err())
		cmp.Report(b)
	})
}
