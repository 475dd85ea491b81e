package envoyabi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEachGenerationLinksTheDocumentedNumberOfWASIFunctions(t *testing.T) {
	assert.Len(t, WASIImports(Envoy133), 18)
	assert.Len(t, WASIImports(Envoy139), 45)
	for name := range WASIImports(Envoy133) {
		_, ok := WASIImports(Envoy139)[name]
		assert.True(t, ok, "%s is in 1.33 but not in 1.39", name)
	}
}

func TestGetLogLevelIsLinkedOnlyForABI021(t *testing.T) {
	_, in020 := ProxyImports(ABI020)["proxy_get_log_level"]
	_, in021 := ProxyImports(ABI021)["proxy_get_log_level"]
	assert.False(t, in020)
	assert.True(t, in021)
	for _, n := range ABI010OnlyImports {
		_, ok := ProxyImports(ABI021)[n]
		assert.False(t, ok, n)
	}
}

func TestCheck(t *testing.T) {
	marker := Export{Name: "proxy_abi_version_0_2_0", Sig: void(0)}
	alloc := Export{Name: "proxy_on_memory_allocate", Sig: status(1)}
	tests := []struct {
		name string
		mod  Module
		gen  Generation
		err  string
	}{
		{"a module without a marker is refused", Module{Exports: []Export{alloc}}, Envoy139, "no ABI marker"},
		{"a module without an allocator is refused", Module{Exports: []Export{marker}}, Envoy139, "no malloc or proxy_on_memory_allocate"},
		{"an unknown WASI import is refused by 1.33", Module{Exports: []Export{marker, alloc}, Imports: []Import{{ModuleWASI, "fd_tell", status(2)}}}, Envoy133, "missing import wasi_snapshot_preview1.fd_tell"},
		{"an ABI 0.1.0 import is refused", Module{Exports: []Export{marker, alloc}, Imports: []Import{{ModuleEnv, "proxy_get_configuration", status(2)}}}, Envoy139, "missing import env.proxy_get_configuration"},
		{"a wrong import signature is refused", Module{Exports: []Export{marker, alloc}, Imports: []Import{{ModuleEnv, "proxy_log", status(2)}}}, Envoy139, "bad signature for import env.proxy_log"},
		{"a wrong callback signature is refused", Module{Exports: []Export{marker, alloc, {Name: "proxy_on_tick", Sig: status(1)}}}, Envoy139, "bad function signature for export proxy_on_tick"},
		{"a well-formed module loads", Module{Exports: []Export{marker, alloc}, Imports: []Import{{ModuleWASI, "poll_oneoff", status(4)}, {ModuleEnv, "proxy_log", status(3)}}}, Envoy133, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(tt.gen, tt.mod)
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestRestrictedPhaseAllowLists(t *testing.T) {
	assert.True(t, InitAllowed(Envoy139, ModuleWASI, "poll_oneoff"))
	assert.False(t, InitAllowed(Envoy133, ModuleWASI, "poll_oneoff"))
	assert.False(t, InitAllowed(Envoy139, ModuleWASI, "sched_yield"))
	assert.False(t, InitAllowed(Envoy139, ModuleEnv, "proxy_get_property"))
	assert.True(t, InitAllowed(Envoy133, ModuleEnv, "proxy_log"))
	assert.True(t, AllocAllowed(Envoy139, ModuleWASI, "poll_oneoff"))
	assert.False(t, AllocAllowed(Envoy133, ModuleWASI, "poll_oneoff"))
	assert.False(t, AllocAllowed(Envoy139, ModuleEnv, "proxy_get_property"))
}
