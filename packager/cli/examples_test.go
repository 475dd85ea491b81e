package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/istiores"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/tenantroute"
	"github.com/laneway/laneway/testenv/proxy"
)

// TestExampleFilesAreValid checks the sample files without building or starting anything (the
// README walk-through test runs them for real): the mesh file loads and its plugin configs pass
// their filters' parsers, and the plugin config is what wasmplugin accepts.
func TestExampleFilesAreValid(t *testing.T) {
	examples := filepath.Join("..", "examples")
	cfg, err := proxy.LoadFile(filepath.Join(examples, "mesh.yaml"))
	require.NoError(t, err)
	require.NoError(t, validatePluginConfigs(newPrinter(Streams{Err: &testWriter{t}}, ""), "packager/examples/mesh.yaml", cfg))
	assert.Equal(t, filepath.Join(examples, "..", "..", "dist", "tenantroute.wasm"), cfg.Listeners[0].Filters[0].Wasm, "the module `laneway build tenantroute` writes")

	raw, err := os.ReadFile(filepath.Join(examples, "tenantroute.yaml"))
	require.NoError(t, err)
	js, err := istiores.ConfigToJSON(raw)
	require.NoError(t, err)
	f, err := filterconfig.Lookup("tenantroute")
	require.NoError(t, err)
	require.NoError(t, f.Validate(js))
	c, err := tenantroute.ParseConfig(js)
	require.NoError(t, err)
	assert.Equal(t, []string{"laneway-tenant", "sd-routing-key"}, c.BaggageKeys)
	assert.JSONEq(t, string(js), string(cfg.Listeners[0].Filters[0].PluginConfig), "the local mesh runs tenantroute with the same config as the WasmPlugin")
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// The compare sample mesh loads, each shadowtag-compare config passes the module's parser, and the three
// roles report to one cluster of two collector replicas (TestRunThreeRolesShardCapturesOverTwoCollectorReplicas
// runs the same layout).
func TestCompareExampleMeshHasTheThreeRoles(t *testing.T) {
	cfg, err := proxy.LoadFile(filepath.Join("..", "examples", "compare-mesh.yaml"))
	require.NoError(t, err)
	require.NoError(t, validatePluginConfigs(newPrinter(Streams{Err: &testWriter{t}}, ""), "packager/examples/compare-mesh.yaml", cfg))
	const cluster = "outbound|8080||laneway-compare.shop.svc.cluster.local"
	require.Len(t, cfg.Clusters[cluster], 2, "two collector replicas")
	var roles []string
	for _, l := range cfg.Listeners[1:] {
		require.Len(t, l.Filters, 1, l.Name)
		f := l.Filters[0]
		assert.Equal(t, filepath.Join("..", "examples", "..", "..", "dist", "shadowtag-compare.wasm"), f.Wasm)
		c, err := shadowtag.ParseModuleConfig("shadowtag-compare", f.PluginConfig)
		require.NoError(t, err)
		assert.Equal(t, cluster, c.Compare.Cluster)
		roles = append(roles, c.Compare.Role.String())
	}
	assert.Equal(t, []string{"primary", "secondary", "candidate"}, roles)
	require.Len(t, cfg.Listeners[0].Routes[0].Mirrors, 2, "the edge mirrors to the secondary and the candidate")
}
