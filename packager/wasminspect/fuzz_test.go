package wasminspect

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/wasmtest"
)

// FuzzInspect feeds arbitrary bytes to Inspect: no panic, and a loadable verdict
// always comes with an ABI version and a minimum Envoy.
func FuzzInspect(f *testing.F) {
	f.Add(wasmtest.GoFilter().Bytes())
	f.Add(wasmtest.GoFilter().Without("proxy_abi_version_0_2_0").Bytes())
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, module []byte) {
		rep, err := Inspect(context.Background(), module)
		if err != nil {
			return
		}
		if rep.Loadable() {
			assert.NotEmpty(t, rep.ABIVersion)
			assert.NoError(t, rep.Refusal())
		} else {
			assert.Error(t, rep.Refusal())
		}
	})
}

func BenchmarkInspectGoShapedModule(b *testing.B) {
	module := wasmtest.GoFilter().Bytes()
	for b.Loop() {
		rep, err := Inspect(context.Background(), module)
		require.NoError(b, err)
		require.True(b, rep.Loadable())
	}
}
