package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestARepeatedKeyInAPluginConfigIsRefusedNamingIt(t *testing.T) {
	t.Run("wasmplugin, JSON", func(t *testing.T) {
		cfg := writeFile(t, "shadow.json", "{\"mode\": \"inbound\",\n \"mode\": \"edge\"}")
		r := run(t, "", "wasmplugin", "shadowtag", "--image", "r.example.com/laneway/shadowtag:v1", "--sha256", pinned, "--config", cfg)
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, `key "mode" is given twice (the second time at line 2, column 2)`)
	})
	t.Run("wasmplugin, YAML", func(t *testing.T) {
		cfg := writeFile(t, "shadow.yaml", "mode: inbound\ndetect:\n  hostSuffix: true\n  hostSuffix: false\n")
		r := run(t, "", "wasmplugin", "shadowtag", "--image", "r.example.com/laneway/shadowtag:v1", "--sha256", pinned, "--config", cfg)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, `"hostSuffix" already set in map`)
	})
	t.Run("run, in a listener's filter config", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "mesh.json")
		require.NoError(t, os.WriteFile(cfg, []byte(`{"listeners":[{"name":"a","filters":[{"name":"tr","wasm":"tenantroute.wasm","config":{"allow":["a"],"allow":["b"]}}],"routes":[{"upstream":"127.0.0.1:1"}]}]}`), 0o644))
		r := run(t, "", "run", "-c", cfg)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, `field "listeners[0].filters[0].config.allow": got the key a second time`)
	})
}
