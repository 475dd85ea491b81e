package testenv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestXDSAttributesAreAnsweredInStreamContextsOnly holds testenv to Envoy (>= 1.33): xds.* attributes other than
// xds.node come from a stream's info, so the root context (on_configure, on_tick) gets NOT_FOUND for them while
// every stream of the same VM reads the value; xds.node and attributes outside xds stay visible everywhere.
func TestXDSAttributesAreAnsweredInStreamContextsOnly(t *testing.T) {
	for _, p := range []Profile{Envoy133, Envoy139} {
		t.Run(p.String(), func(t *testing.T) {
			vm := conformanceVM(t, newTestRuntime(t), p)
			vm.props["xds\x00node"] = StringValue("node-proto")
			vm.props["xds\x00cluster_name"] = StringValue("outbound|80||b")

			vm.effective = vm.root
			for _, path := range []string{"xds\x00listener_direction", "xds\x00cluster_name"} {
				_, ok := vm.property(path)
				assert.False(t, ok, "%q in the root context", path)
			}
			v, ok := vm.property("xds\x00node")
			assert.True(t, ok, "xds.node in the root context")
			assert.Equal(t, "node-proto", string(v))
			_, ok = vm.property("source\x00principal")
			assert.True(t, ok, "source.principal in the root context")
			vm.effective = nil
			_, ok = vm.property("xds\x00listener_direction")
			assert.False(t, ok, "xds.listener_direction without any context")

			s := vm.NewHTTPStream()
			s.RequestHeaders(conformanceRequest("properties"), true)
			require.NoError(t, vm.Err())
			assert.Equal(t, "2", get(t, s.Request().Headers, "x-conformance-direction"), "xds.listener_direction in a stream")
		})
	}
}
