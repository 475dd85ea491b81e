package wasmtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// TestModulesCompileAndRun holds every shape the writer makes to wazero's decoder and validator, and runs one.
func TestModulesCompileAndRun(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = rt.Close(ctx) })
	add := Code{Name: "add", Type: Func{Params: []byte{I32, I32}, Results: []byte{I32}},
		Body: []byte{0x20, 0, 0x20, 1, 0x6a, 0x0b}} // local.get 0, local.get 1, i32.add, end
	for name, m := range map[string]Module{
		"go filter":         GoFilter(),
		"without an export": GoFilter().Without("proxy_on_delete"),
		"every section": {
			Imports: []Import{{Module: "env", Name: "g", Global: I64}},
			Exports: []Export{{Name: "zero", Type: Func{Results: []byte{I64}}}},
			Funcs:   []Code{add, {Name: "init", NoExport: true, Locals: []byte{I32}, Body: []byte{0x0b}}},
			Memory:  true, Globals: []byte{I32, I64}, Start: 2, Data: []byte("hi"), Names: true, Custom: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := rt.CompileModule(ctx, m.Bytes())
			require.NoError(t, err)
		})
	}
	mod, err := rt.Instantiate(ctx, Module{Funcs: []Code{add}}.Bytes())
	require.NoError(t, err)
	res, err := mod.ExportedFunction("add").Call(ctx, 2, 3)
	require.NoError(t, err)
	assert.Equal(t, []uint64{5}, res)
}
