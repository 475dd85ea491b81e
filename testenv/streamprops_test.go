package testenv_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// TestStreamPropertiesAreTheStreamsOwn runs synthetic in mode waypoint, which trusts a marker only from
// the caller identity in filter_state io.istio.peer_principal: two streams on one VM with different
// identities get different decisions, and a VM-wide value is overridden by the stream's.
func TestStreamPropertiesAreTheStreamsOwn(t *testing.T) {
	wasm := testenvtest.DistModule(t, "synthetic")
	rt := testenvtest.Runtime(t)
	const trusted = "spiffe://cluster.local/ns/qa/sa/driver"
	vm, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{
		Profile:      testenv.Envoy139,
		PluginConfig: []byte(`{"mode":"waypoint","trust":{"principals":["` + trusted + `"]},"participants":["orders"]}`),
		Properties:   map[string][]byte{"filter_state\x00io.istio.peer_principal": testenv.StringValue("spiffe://cluster.local/ns/shop/sa/other")},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(context.Background()) })
	send := func(peer string) testenv.Headers {
		s := vm.NewHTTPStream()
		if peer != "" {
			s.SetProperty("filter_state\x00io.istio.peer_principal", []byte(peer))
		}
		s.RequestHeaders(testenv.Headers{{Key: ":authority", Value: "orders"}, {Key: ":method", Value: "GET"}, {Key: ":path", Value: "/"}, {Key: "x-laneway-synthetic", Value: "1;id=tx-1"}}, true)
		h := s.Request().Headers
		s.Complete()
		require.NoError(t, vm.Err())
		return h
	}
	assert.Equal(t, []string{"1;id=tx-1"}, send(trusted).Values("x-laneway-synthetic"), "the stream's identity is trusted")
	assert.Empty(t, send("").Values("x-laneway-synthetic"), "without its own, the stream sees the VM's identity, which is not trusted")
	assert.Equal(t, []string{"1;id=tx-1"}, send(trusted).Values("x-laneway-synthetic"))
}
