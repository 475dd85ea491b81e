package wasminspect

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/wasmbuild/filterid"
	"github.com/laneway/laneway/testenv/wasmtest"
)

func wasi(name string, params ...byte) wasmtest.Import {
	return wasmtest.Import{Module: "wasi_snapshot_preview1", Name: name, Type: wasmtest.Func{Params: params, Results: []byte{wasmtest.I32}}}
}

func TestInspectTellsWhichEnvoyLoadsTheModule(t *testing.T) {
	i32, i64 := wasmtest.I32, wasmtest.I64
	tests := []struct {
		name      string
		module    wasmtest.Module
		minEnvoy  string
		minIstio  string
		refusedBy []string // reason substrings expected in the refusal
	}{
		{name: "a standard Go filter loads on Envoy 1.33 and later", module: wasmtest.GoFilter(), minEnvoy: "1.33", minIstio: "1.25"},
		{name: "a module importing fd_advise needs Envoy 1.39", module: wasmtest.GoFilter().With(wasi("fd_advise", i32, i64, i64, i32)), minEnvoy: "1.39", minIstio: "1.31"},
		{name: "an unsupported WASI import is refused by every Envoy", module: wasmtest.GoFilter().With(wasi("sock_open", i32, i32, i32)), refusedBy: []string{"missing import wasi_snapshot_preview1.sock_open"}},
		{name: "an ABI 0.1.0-only import is refused", module: wasmtest.GoFilter().With(wasmtest.Import{Module: "env", Name: "proxy_clear_route_cache", Type: wasmtest.Func{Results: []byte{i32}}}), refusedBy: []string{"missing import env.proxy_clear_route_cache"}},
		{name: "an import with the wrong signature is refused", module: wasmtest.GoFilter().With(wasmtest.Import{Module: "env", Name: "proxy_done", Type: wasmtest.Func{Params: []byte{i32}, Results: []byte{i32}}}), refusedBy: []string{"bad signature for import env.proxy_done"}},
		{name: "a module without an ABI marker export is refused", module: wasmtest.GoFilter().Without("proxy_abi_version_0_2_0"), refusedBy: []string{"no ABI marker export"}},
		{name: "a module without an allocator export is refused", module: wasmtest.GoFilter().Without("proxy_on_memory_allocate"), refusedBy: []string{"no malloc or proxy_on_memory_allocate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Inspect(context.Background(), tc.module.Bytes())
			require.NoError(t, err)
			assert.Equal(t, tc.minEnvoy, rep.MinEnvoy)
			if tc.minIstio != "" {
				assert.Contains(t, rep.MinIstio, tc.minIstio)
			}
			if tc.refusedBy == nil {
				assert.True(t, rep.Loadable())
				assert.NoError(t, rep.Refusal())
				assert.Equal(t, "0.2.0", rep.ABIVersion)
				return
			}
			assert.False(t, rep.Loadable())
			err = rep.Refusal()
			require.Error(t, err)
			for _, s := range tc.refusedBy {
				assert.Contains(t, err.Error(), s)
			}
			assert.Contains(t, err.Error(), "laneway build", "the refusal says how to fix it")
		})
	}
}

func TestInspectListsImportsAndExportsWithSignatures(t *testing.T) {
	rep, err := Inspect(context.Background(), wasmtest.GoFilter().Bytes())
	require.NoError(t, err)
	assert.Contains(t, rep.Imports, Function{Module: "wasi_snapshot_preview1", Name: "clock_time_get", Signature: "(i32,i64,i32)->(i32)"})
	assert.Contains(t, rep.Imports, Function{Module: "env", Name: "proxy_log", Signature: "(i32,i32,i32)->(i32)"})
	assert.Contains(t, rep.Exports, Function{Name: "proxy_on_context_create", Signature: "(i32,i32)->()"})
	assert.Len(t, rep.Imports, 18)
	assert.Equal(t, "env", rep.Imports[0].Module, "imports are sorted by module then name")
	require.Len(t, rep.Support, 2)
	assert.True(t, rep.Support[0].Loads)
	assert.NotEmpty(t, rep.Notes, "Go modules import poll_oneoff, which Envoy 1.33-1.38 stub with NOSYS")
}

func TestInspectRejectsBytesThatAreNotAModule(t *testing.T) {
	_, err := Inspect(context.Background(), []byte("PK\x03\x04 a zip file"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a Wasm binary")

	_, err = Inspect(context.Background(), []byte("\x00asm\x01\x00\x00\x00\x01\xff"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid Wasm module")
}

func TestInspectListsAnImportOnceWhenTheModuleImportsItTwice(t *testing.T) {
	i32 := wasmtest.I32
	mod := wasmtest.GoFilter().With(wasi("fd_write", i32, i32, i32, i32)) // as Go's runtime and syscall both do
	rep, err := Inspect(context.Background(), mod.Bytes())
	require.NoError(t, err)
	n := 0
	for _, f := range rep.Imports {
		if f.Name == "fd_write" {
			n++
		}
	}
	assert.Equal(t, 1, n)
	assert.Len(t, rep.Imports, len(wasmtest.GoFilter().Imports))
}

func TestInspectReadsTheFilterName(t *testing.T) {
	named, err := filterid.Append(wasmtest.GoFilter().Bytes(), "shadowtag")
	require.NoError(t, err)
	rep, err := Inspect(context.Background(), named)
	require.NoError(t, err)
	assert.Equal(t, "shadowtag", rep.Filter)
	rep, err = Inspect(context.Background(), wasmtest.GoFilter().Bytes())
	require.NoError(t, err)
	assert.Empty(t, rep.Filter)
}
