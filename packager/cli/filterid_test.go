package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/internal/registrytest"
	"github.com/laneway/laneway/packager/wasmbuild/filterid"
	"github.com/laneway/laneway/testenv/wasmtest"
)

// writeNamedModule writes a module whose laneway.filter section names filter, as `laneway build` does.
func writeNamedModule(t *testing.T, dir, file, filter string) string {
	t.Helper()
	b, err := filterid.Append(wasmtest.GoFilter().Bytes(), filter)
	require.NoError(t, err)
	p := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func TestCommandsRefuseAnImageOrModuleHoldingAnotherFilter(t *testing.T) {
	reg := registrytest.InMemory(t, false)
	dir := t.TempDir()
	tr := writeNamedModule(t, dir, "tenantroute.wasm", "tenantroute")
	plain := writeModule(t, "custom.wasm", wasmtest.GoFilter())
	ref := reg.Host + "/laneway/tenantroute:v1"
	require.Equal(t, 0, run(t, "", "push", tr, ref).code)
	plainRef := reg.Host + "/laneway/custom:v1"
	require.Equal(t, 0, run(t, "", "push", plain, plainRef).code)

	t.Run("inspect names the filter a module holds", func(t *testing.T) {
		r := run(t, "", "inspect", tr)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Filter: tenantroute\n")
	})
	t.Run("wasmplugin: the right filter is written", func(t *testing.T) {
		r := run(t, "", "wasmplugin", "tenantroute", "--image", ref)
		require.Equal(t, 0, r.code, r.stderr)
	})
	t.Run("wasmplugin: another filter's image is refused, naming both", func(t *testing.T) {
		cfg := writeFile(t, "shadow.json", `{"mode":"inbound"}`)
		r := run(t, "", "wasmplugin", "shadowtag", "--image", ref, "--config", cfg)
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "image "+ref+" holds filter tenantroute, not shadowtag")
	})
	t.Run("wasmplugin: an image naming no filter is refused", func(t *testing.T) {
		r := run(t, "", "wasmplugin", "tenantroute", "--image", plainRef)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "image "+plainRef+" names no filter")
	})
	t.Run("verify prints the filter and refuses another with --filter", func(t *testing.T) {
		r := run(t, "", "verify", ref)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Filter: tenantroute\n")
		r = run(t, "", "verify", ref, "--filter", "tenantroute")
		require.Equal(t, 0, r.code, r.stderr)
		r = run(t, "", "verify", ref, "--filter", "shadowtag")
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "image "+ref+" holds filter tenantroute, not shadowtag")
	})
	t.Run("verify reads the filter from an OCI layout too", func(t *testing.T) {
		layout := filepath.Join(t.TempDir(), "oci")
		require.Equal(t, 0, run(t, "", "push", tr, "v1", "--oci-layout", layout).code)
		r := run(t, "", "verify", "v1", "--oci-layout", layout, "--filter", "synthetic")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "image v1 holds filter tenantroute, not synthetic")
	})
	t.Run("run refuses a chain entry whose module is another filter", func(t *testing.T) {
		for _, tc := range []struct{ name, filters, want string }{
			{"by entry name", "[{name: shadowtag, wasm: tenantroute.wasm, config: {mode: inbound}}]",
				"holds filter tenantroute, not shadowtag (the entry's name)"},
			{"by file name", "[{name: route, wasm: shadowtag.wasm}]",
				"holds filter tenantroute, not shadowtag (its file name)"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				cdir := t.TempDir()
				writeNamedModule(t, cdir, "tenantroute.wasm", "tenantroute")
				writeNamedModule(t, cdir, "shadowtag.wasm", "tenantroute") // a renamed copy
				cfg := filepath.Join(cdir, "mesh.yaml")
				require.NoError(t, os.WriteFile(cfg, []byte("listeners:\n- name: a\n  filters: "+tc.filters+"\n  routes: [{upstream: 127.0.0.1:1}]\n"), 0o644))
				r := run(t, "", "run", "-c", cfg)
				assert.Equal(t, 1, r.code)
				assert.Contains(t, r.stderr, tc.want)
				assert.Contains(t, r.stderr, `listeners[0].filters[0] (listener "a"`)
			})
		}
	})
}
