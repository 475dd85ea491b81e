package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunChecksEachRoleOfTheCombinedModuleBeforeStarting: a laneway entry's config is checked by the combined
// module's parser, which names the role and the field its filter refused, before any module is loaded; an
// empty config (no role) is refused too, naming the three keys.
func TestRunChecksEachRoleOfTheCombinedModuleBeforeStarting(t *testing.T) {
	for _, tc := range []struct {
		name, filters string
		want          []string
	}{
		{"a bad field in a role", "[{name: laneway, wasm: /nonexistent/laneway.wasm, config: {synthetic: {mode: outbound}, tenantroute: {tenantHeadr: x}}}]",
			[]string{`listeners[0].filters[0].config (listener "a", filter "laneway") is rejected by laneway.ParseConfig`, "role tenantroute", `"tenantHeadr"`}},
		{"a config without a role", "[{name: sidecar, wasm: /nonexistent/laneway.wasm, config: {}}]",
			[]string{"rejected by laneway.ParseConfig", "tenantroute, shadowtag, synthetic"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "mesh.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte("listeners:\n- name: a\n  filters: "+tc.filters+"\n  routes: [{upstream: 127.0.0.1:1}]\n"), 0o644))
			r := run(t, "", "run", "-c", cfg)
			assert.Equal(t, 1, r.code)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.NotContains(t, r.stderr, "make build", "validation comes before loading modules")
		})
	}
}
