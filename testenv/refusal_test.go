package testenv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var getProperty = wimport{"env", "proxy_get_property", i32x(4), i32}

func TestLoadRefusals(t *testing.T) {
	tests := []struct {
		name    string
		mod     wmodule
		profile Profile
		err     string
	}{
		{
			name:    "an ABI 0.1.0 import is refused, naming it",
			mod:     wmodule{imports: []wimport{{"env", "proxy_get_configuration", i32x(2), i32}}, funcs: baseFuncs()},
			profile: Envoy139,
			err:     "missing import env.proxy_get_configuration",
		},
		{
			name:    "an import Envoy does not provide is refused",
			mod:     wmodule{imports: []wimport{{"env", "proxy_make_coffee", nil, i32}}, funcs: baseFuncs()},
			profile: Envoy139,
			err:     "missing import env.proxy_make_coffee",
		},
		{
			name:    "a WASI function missing from Envoy 1.33–1.38 is refused there",
			mod:     wmodule{imports: []wimport{{"wasi_snapshot_preview1", "fd_tell", i32x(2), i32}}, funcs: baseFuncs()},
			profile: Envoy133,
			err:     "missing import wasi_snapshot_preview1.fd_tell",
		},
		{
			name:    "an import with the wrong signature is refused",
			mod:     wmodule{imports: []wimport{{"env", "proxy_log", i32x(2), i32}}, funcs: baseFuncs()},
			profile: Envoy133,
			err:     "bad signature for import env.proxy_log",
		},
		{
			name:    "a module without an ABI marker export is refused",
			mod:     wmodule{funcs: baseFuncs()[1:]},
			profile: Envoy139,
			err:     "no ABI marker export",
		},
		{
			name:    "a callback export with the wrong signature is refused",
			mod:     wmodule{funcs: append(baseFuncs(), wfunc{export: "proxy_on_tick", params: i32, results: i32, body: i32c(0)})},
			profile: Envoy139,
			err:     "bad function signature for export proxy_on_tick",
		},
		{
			name: "a proxy call inside _initialize traps as V8's restricted callback",
			mod: wmodule{imports: []wimport{getProperty}, funcs: []wfunc{
				{export: "proxy_abi_version_0_2_0"},
				{export: "proxy_on_memory_allocate", params: i32, results: i32, body: i32c(4096)},
				{export: "_initialize", body: cat(i32c(0), i32c(0), i32c(0), i32c(0), call(0), []byte{opDrop})},
			}},
			profile: Envoy133,
			err:     "restricted_callback: env.proxy_get_property called inside _initialize",
		},
		{
			name: "sched_yield inside _initialize traps on Envoy >= 1.39",
			mod: wmodule{imports: []wimport{{"wasi_snapshot_preview1", "sched_yield", nil, i32}}, funcs: []wfunc{
				{export: "proxy_abi_version_0_2_0"},
				{export: "proxy_on_memory_allocate", params: i32, results: i32, body: i32c(4096)},
				{export: "_initialize", body: cat(call(0), []byte{opDrop})},
			}},
			profile: Envoy139,
			err:     "restricted_callback: wasi_snapshot_preview1.sched_yield called inside _initialize",
		},
		{
			name: "poll_oneoff inside _initialize traps on Envoy 1.33–1.38 only",
			mod: wmodule{imports: []wimport{{"wasi_snapshot_preview1", "poll_oneoff", i32x(4), i32}}, funcs: []wfunc{
				{export: "proxy_abi_version_0_2_0"},
				{export: "proxy_on_memory_allocate", params: i32, results: i32, body: i32c(4096)},
				{export: "_initialize", body: cat(i32c(0), i32c(0), i32c(0), i32c(64), call(0), []byte{opDrop})},
			}},
			profile: Envoy133,
			err:     "restricted_callback: wasi_snapshot_preview1.poll_oneoff called inside _initialize",
		},
	}
	rt := newTestRuntime(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rt.LoadVM(context.Background(), tt.mod.bytes(), VMOptions{Profile: tt.profile})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestTheSameModulesLoadWhereEnvoyLinksTheirImports(t *testing.T) {
	rt := newTestRuntime(t)
	fdTell := wmodule{imports: []wimport{{"wasi_snapshot_preview1", "fd_tell", i32x(2), i32}}, funcs: baseFuncs()}
	_, err := rt.LoadVM(context.Background(), fdTell.bytes(), VMOptions{Profile: Envoy139})
	require.NoError(t, err)
	poll := wmodule{imports: []wimport{{"wasi_snapshot_preview1", "poll_oneoff", i32x(4), i32}}, funcs: []wfunc{
		{export: "proxy_abi_version_0_2_0"},
		{export: "proxy_on_memory_allocate", params: i32, results: i32, body: i32c(4096)},
		{export: "_initialize", body: cat(i32c(0), i32c(0), i32c(0), i32c(64), call(0), []byte{opDrop})},
	}}
	_, err = rt.LoadVM(context.Background(), poll.bytes(), VMOptions{Profile: Envoy139})
	require.NoError(t, err, "poll_oneoff is allowed inside _initialize on Envoy >= 1.39")
}

func TestARestrictedCallInsideTheAllocatorFailsTheVM(t *testing.T) {
	// "go" asks for plugin_name; the host allocates through proxy_on_memory_allocate,
	// which itself calls proxy_get_property: V8 traps with restricted_callback.
	path := []byte("plugin_name")
	mod := wmodule{imports: []wimport{getProperty}, data: path, funcs: []wfunc{
		{export: "proxy_abi_version_0_2_0"},
		{export: "proxy_on_memory_allocate", params: i32, results: i32, body: cat(i32c(0), i32c(0), i32c(0), i32c(0), call(0), []byte{opDrop}, i32c(4096))},
		{export: "_initialize"},
		{export: "go", results: i32, body: cat(i32c(0), i32c(int32(len(path))), i32c(100), i32c(104), call(0))},
	}}
	rt := newTestRuntime(t)
	for _, p := range []Profile{Envoy133, Envoy139} {
		vm, err := rt.LoadVM(context.Background(), mod.bytes(), VMOptions{Profile: p, PluginName: "x"})
		require.NoError(t, err)
		_, err = vm.CallExport("go")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "restricted_callback: env.proxy_get_property called inside proxy_on_memory_allocate")
		assert.ErrorIs(t, vm.Err(), err)
		_, err = vm.CallExport("go")
		assert.Error(t, err, "the VM stays failed")
	}
}

func TestTheAllocatorIsUsedForReturnedValues(t *testing.T) {
	path := []byte("plugin_name")
	mod := wmodule{imports: []wimport{getProperty}, data: path, funcs: []wfunc{
		{export: "proxy_abi_version_0_2_0"},
		{export: "proxy_on_memory_allocate", params: i32, results: i32, body: i32c(4096)},
		{export: "_initialize"},
		{export: "go", results: i32, body: cat(i32c(0), i32c(int32(len(path))), i32c(100), i32c(104), call(0))},
	}}
	rt := newTestRuntime(t)
	vm, err := rt.LoadVM(context.Background(), mod.bytes(), VMOptions{PluginName: "my-plugin"})
	require.NoError(t, err)
	r, err := vm.CallExport("go")
	require.NoError(t, err)
	assert.Equal(t, []uint64{0}, r)
	ptr, _ := vm.mem.ReadUint32Le(100)
	n, _ := vm.mem.ReadUint32Le(104)
	assert.Equal(t, uint32(4096), ptr)
	got, _ := vm.mem.Read(ptr, n)
	assert.Equal(t, "my-plugin", string(got))
	assert.Equal(t, uint32(65536), vm.MemorySize())
}
