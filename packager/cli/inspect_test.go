package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/wasmtest"
)

func TestInspectPrintsABIAndMinimumVersions(t *testing.T) {
	path := writeModule(t, "filter.wasm", wasmtest.GoFilter())
	r := run(t, "", "inspect", path)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ABI:    proxy-wasm 0.2.0")
	assert.Contains(t, r.stdout, "Needs:  Envoy >= 1.33, Istio >= 1.25")
	assert.Contains(t, r.stdout, "wasi_snapshot_preview1.poll_oneoff")
	assert.Contains(t, r.stdout, "proxy_on_request_headers")

	r = run(t, "", "inspect", path, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		File       string `json:"file"`
		ABIVersion string `json:"abiVersion"`
		MinEnvoy   string `json:"minEnvoy"`
		Imports    []any  `json:"imports"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, path, got.File)
	assert.Equal(t, "0.2.0", got.ABIVersion)
	assert.Equal(t, "1.33", got.MinEnvoy)
	assert.Len(t, got.Imports, 18)
}

func TestInspectRefusesModulesEnvoyCannotLoad(t *testing.T) {
	tests := []struct {
		name   string
		module wasmtest.Module
		reason string
	}{
		{"an unsupported WASI import", wasmtest.GoFilter().With(wasiImport("sock_open", wasmtest.I32, wasmtest.I32, wasmtest.I32)), "missing import wasi_snapshot_preview1.sock_open"},
		{"a missing ABI marker export", wasmtest.GoFilter().Without("proxy_abi_version_0_2_0"), "no ABI marker export"},
		{"a missing allocator export", wasmtest.GoFilter().Without("proxy_on_memory_allocate"), "proxy_on_memory_allocate"},
	}
	for _, tc := range tests {
		t.Run("a module with "+tc.name+" exits non-zero with the reason", func(t *testing.T) {
			r := run(t, "", "inspect", writeModule(t, "bad.wasm", tc.module))
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, "no supported Envoy can load this module")
			assert.Contains(t, r.stderr, tc.reason)
			assert.Contains(t, r.stdout, "REFUSED", "the report still shows what was checked")
		})
	}
}

func TestInspectExplainsBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	r := run(t, "", "inspect", "tenantroute")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "laneway build tenantroute", "a missing built filter says how to build it")

	notWasm := filepath.Join(dir, "x.wasm")
	require.NoError(t, os.WriteFile(notWasm, []byte("ELF\x02 not wasm at all"), 0o644))
	r = run(t, "", "inspect", notWasm)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not a Wasm binary")

	r = run(t, "", "inspect", notWasm, "--format", "xml")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `--format: got "xml", expected one of text, json, yaml`)
}
