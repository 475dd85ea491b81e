package instrcount

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// TestInstrumentedTenantrouteRoutesAndCountsTheSame instruments the built tenantroute module (make build):
// it routes the peer benchmarks' request as the original does, and after the warm-up two batches of 1,000
// streams run the same number of Wasm instructions (within 1%: the Go runtime's background work is the
// only thing that could differ).
func TestInstrumentedTenantrouteRoutesAndCountsTheSame(t *testing.T) {
	orig := testenvtest.DistModule(t, "tenantroute")
	counted, funcs, err := Instrument(orig)
	require.NoError(t, err)
	require.NotEmpty(t, funcs)

	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	// costbench.PeerRequest's routed request (costbench imports this package, so it is spelled out here).
	req := testenv.RequestHeaders("GET", "svc-b.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"x-request-id", "7f1c2a9e-3b4d-4e5f-8a6b-9c0d1e2f3a4b", "baggage", "userid=42,laneway-tenant=sbx-1")
	resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	stream := func(vm *testenv.VM) *testenv.HTTPStream {
		st := vm.NewHTTPStream()
		st.RequestHeaders(req, true)
		st.ResponseHeaders(resp, true)
		st.Complete()
		return st
	}
	vms := map[string]*testenv.VM{}
	for name, wasm := range map[string][]byte{"original": orig, "instrumented": counted} {
		vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte("")})
		require.NoError(t, err, name)
		t.Cleanup(func() { _ = vm.Close(ctx) })
		vms[name] = vm
	}
	want, got := stream(vms["original"]).Request().Headers, stream(vms["instrumented"]).Request().Headers
	tenant, _ := got.Get("x-laneway-tenant")
	assert.Equal(t, "sbx-1", tenant, "the instrumented module routes")
	assert.Equal(t, want, got, "the instrumented module leaves the request as the original does")

	vm := vms["instrumented"]
	total := func() uint64 {
		vs, err := Snapshot(funcs, vm.ExportedGlobal)
		require.NoError(t, err)
		var sum uint64
		for _, v := range vs {
			sum += v
		}
		return sum
	}
	batch := func(n int) uint64 {
		before := total()
		for i := 0; i < n; i++ {
			stream(vm)
		}
		return total() - before
	}
	batch(20000) // the warm-up: the linear memory grows over the first ~16,000 streams
	a, b := batch(1000), batch(1000)
	require.NoError(t, vm.Err())
	t.Logf("Wasm instructions per stream: %.1f, then %.1f", float64(a)/1000, float64(b)/1000)
	assert.Greater(t, a, uint64(0))
	assert.InEpsilon(t, float64(a), float64(b), 0.01, "two batches of 1,000 streams: %d and %d instructions", a, b)
}
