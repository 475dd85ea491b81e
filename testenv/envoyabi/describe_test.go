package envoyabi_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/testenv/envoyabi"
	"github.com/laneway/laneway/testenv/testenvtest"
)

func TestDescribeListsTheBuiltModulesImportsAndSortedExportsWithSignatures(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, testenvtest.DistModule(t, "noop"))
	require.NoError(t, err)

	m := envoyabi.Describe(cm)
	require.NotEmpty(t, m.Exports)
	assert.True(t, slices.IsSortedFunc(m.Exports, func(a, b envoyabi.Export) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	}), "exports sorted by name")
	exports := map[string]string{}
	for _, e := range m.Exports {
		exports[e.Name] = e.Sig.String()
	}
	assert.Equal(t, "(i32)->(i32)", exports["proxy_on_memory_allocate"])
	assert.Equal(t, "(i32,i32)->()", exports["proxy_on_context_create"])
	assert.Contains(t, exports, "_initialize")
	var sawWrite bool
	for _, i := range m.Imports {
		if i.Module == "wasi_snapshot_preview1" && i.Name == "fd_write" {
			sawWrite = true
			assert.Equal(t, "(i32,i32,i32,i32)->(i32)", i.Sig.String())
		}
	}
	assert.True(t, sawWrite, "the Go runtime imports wasi_snapshot_preview1.fd_write")
	_, err = envoyabi.Check(envoyabi.Envoy139, m)
	assert.NoError(t, err)
}
