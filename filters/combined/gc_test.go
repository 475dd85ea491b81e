package combined_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// TestWasmCombinedRequestsDoNotStartTheGC holds the combined module's request path to what each filter's
// own is held to: in the steady state a request allocates nothing, so with GOGC=1 (testenv.GCProbeEnv) the
// Go GC never starts (each cycle reads the clock, which the test counts).
func TestWasmCombinedRequestsDoNotStartTheGC(t *testing.T) {
	const runner = "spiffe://cluster.local/ns/synthetics/sa/runner"
	wasm := testenvtest.DistModule(t, "laneway")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	peer := map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(runner)}
	for _, c := range []struct {
		name, config string
		props        map[string][]byte
		request      testenv.Headers
		check        func(t *testing.T, s *testenv.HTTPStream)
	}{
		{"outbound sidecar: routed tenant, ordinary request, unmarked synthetic",
			`{"synthetic":{"mode":"outbound","participants":["orders"]},"shadowtag":{"mode":"outbound"},"tenantroute":{}}`, nil,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "baggage", "userid=42,laneway-tenant=acme"),
			func(t *testing.T, s *testenv.HTTPStream) {
				assert.Equal(t, []string{"acme"}, s.Request().Headers.Values("x-laneway-tenant"))
			}},
		{"inbound sidecar: trusted synthetic marker, shadow copy marked, tenant routed over a spoofed header",
			`{"synthetic":{"mode":"inbound","trust":{"principals":["` + runner + `"]}},"shadowtag":{"mode":"inbound"},"tenantroute":{}}`, peer,
			testenv.RequestHeaders("POST", "orders-shadow:8080", "/api/orders", "x-laneway-synthetic", "1;id=tx-gc",
				"baggage", "userid=42,laneway-tenant=acme", "x-laneway-tenant", "spoofed"),
			func(t *testing.T, s *testenv.HTTPStream) {
				h := s.Request().Headers
				assert.Equal(t, []string{"acme"}, h.Values("x-laneway-tenant"))
				assert.Equal(t, []string{"1"}, h.Values("x-laneway-shadow"))
				assert.Equal(t, []string{"1;id=tx-gc"}, h.Values("x-laneway-synthetic"))
				assert.Equal(t, []string{"userid=42,laneway-tenant=acme,laneway-synthetic=tx-gc,laneway-shadow=1"}, h.Values("baggage"))
			}},
		{"gateway: trusted marker kept through the trust boundary, spoofed header stripped, tenant routed",
			`{"synthetic":{"mode":"edge","trust":{"principals":["` + runner + `"]},"participants":["orders"]},"shadowtag":{"mode":"edge"},` +
				`"tenantroute":{"trustBoundary":true,"allow":["acme"]}}`, peer,
			testenv.RequestHeaders("GET", "orders", "/api/orders", "x-laneway-synthetic", "1;id=tx-gc", "x-laneway-debug", "1",
				"baggage", "laneway-tenant=acme,laneway-synthetic=tx-gc"),
			func(t *testing.T, s *testenv.HTTPStream) {
				h := s.Request().Headers
				assert.Equal(t, []string{"1;id=tx-gc"}, h.Values("x-laneway-synthetic"))
				assert.Empty(t, h.Values("x-laneway-debug"))
				assert.Equal(t, []string{"acme"}, h.Values("x-laneway-tenant"))
			}},
		{"outbound sidecar: a synthetic shadow write suppressed by shadowtag",
			`{"synthetic":{"mode":"outbound","participants":["orders"]},"shadowtag":{"mode":"outbound"},"tenantroute":{}}`, nil,
			testenv.RequestHeaders("POST", "orders", "/api/orders", "x-laneway-synthetic", "1;id=tx-gc", "x-laneway-shadow", "1"),
			func(t *testing.T, s *testenv.HTTPStream) {
				require.NotNil(t, s.LocalResponse())
				assert.Equal(t, uint32(202), s.LocalResponse().StatusCode)
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(c.config), Properties: c.props, LogLevel: testenv.LogInfo, Env: testenv.GCProbeEnv()})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			run := func(n int) {
				for i := 0; i < n; i++ {
					s := vm.NewHTTPStream()
					s.RequestHeaders(c.request, true)
					s.Complete()
				}
			}
			run(1000) // warm-up: the reused buffers reach their size
			testenvtest.AssertNoGC(t, vm, func() { run(testenv.GCProbeRequests) }, "the GC ran: a request allocates")
			s := vm.NewHTTPStream()
			s.RequestHeaders(c.request, true)
			c.check(t, s)
			s.Complete()
		})
	}
}
