package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	clientext "istio.io/client-go/pkg/apis/extensions/v1alpha1"
)

// wasmplugin shadowtag-compare fills the collector's Envoy cluster and authority from its Service, as Istio
// names them, and checks the config with the module's own parser.
func TestWasmPluginShadowtagCompareFillsTheCollectorFromItsService(t *testing.T) {
	cfg := writeFile(t, "candidate.yaml", "mode: inbound\ncompare:\n  role: candidate\n  sampleRate: 0.1\n  shards: 8\n")
	args := []string{"wasmplugin", "shadowtag-compare", "--image", "registry.example.com/laneway/shadowtag-compare:v1",
		"--sha256", pinned, "--config", cfg, "-n", "shop", "--selector", "app=orders", "--collector-service", "laneway-compare.shop:8080"}
	r := run(t, "", args...)
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "wasmplugin_shadowtag_compare", r.stdout)
	var wp clientext.WasmPlugin
	require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
	raw, err := json.Marshal(wp.Spec.PluginConfig)
	require.NoError(t, err)
	var conf struct {
		Compare struct {
			Role      string
			Shards    int
			Collector struct{ Cluster, Authority string }
		}
	}
	require.NoError(t, json.Unmarshal(raw, &conf))
	assert.Equal(t, "outbound|8080||laneway-compare.shop.svc.cluster.local", conf.Compare.Collector.Cluster)
	assert.Equal(t, "laneway-compare.shop.svc.cluster.local:8080", conf.Compare.Collector.Authority)
	assert.Equal(t, "candidate", conf.Compare.Role)
	assert.Equal(t, 8, conf.Compare.Shards)
	assert.Equal(t, "shadowtag-compare", wp.Spec.PluginName)

	agree := writeFile(t, "agree.json", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"outbound|8080||laneway-compare.shop.svc.example.org"}}}`)
	r = run(t, "", "wasmplugin", "shadowtag-compare", "--image", "r.example.com/laneway/x:v1", "--sha256", pinned, "--config", agree,
		"--collector-service", "laneway-compare.shop:8080", "--cluster-domain", "example.org")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "laneway-compare.shop.svc.example.org:8080")
}

func TestWasmPluginShadowtagCompareRefusesBadInput(t *testing.T) {
	withCompare := writeFile(t, "c.json", `{"mode":"inbound","compare":{"role":"primary"}}`)
	noCompare := writeFile(t, "n.json", `{"mode":"inbound"}`)
	other := writeFile(t, "o.json", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"elsewhere","authority":"x:1"}}}`)
	badShards := writeFile(t, "b.json", `{"mode":"inbound","compare":{"role":"primary","shards":0}}`)
	for _, tc := range []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"a plain shadowtag with a compare section", []string{"shadowtag", "--config", withCompare}, []string{"shadowtag.ParseConfig", `field "compare"`, "shadowtag-compare module"}},
		{"no collector for shadowtag-compare", []string{"shadowtag-compare", "--config", withCompare}, []string{`field "compare.collector.cluster"`}},
		{"the flag with another filter", []string{"shadowtag", "--config", noCompare, "--collector-service", "c.shop:8080"}, []string{"--collector-service", "only with shadowtag-compare"}},
		{"a service without namespace", []string{"shadowtag-compare", "--config", withCompare, "--collector-service", "collector:8080"}, []string{`got "collector:8080"`, "NAME.NAMESPACE:PORT"}},
		{"a service without port", []string{"shadowtag-compare", "--config", withCompare, "--collector-service", "c.shop"}, []string{"NAME.NAMESPACE:PORT"}},
		{"a service with a bad port", []string{"shadowtag-compare", "--config", withCompare, "--collector-service", "c.shop:0"}, []string{"NAME.NAMESPACE:PORT"}},
		{"a service with an upper-case name", []string{"shadowtag-compare", "--config", withCompare, "--collector-service", "Collector.shop:8080"}, []string{"a Service name"}},
		{"a config without compare", []string{"shadowtag-compare", "--config", noCompare, "--collector-service", "c.shop:8080"}, []string{"no compare section"}},
		{"no config at all", []string{"shadowtag-compare", "--collector-service", "c.shop:8080"}, []string{"no compare section"}},
		{"a config naming another collector", []string{"shadowtag-compare", "--config", other, "--collector-service", "c.shop:8080"}, []string{"compare.collector.", "remove the field"}},
		{"the filled config still checked by the module's parser", []string{"shadowtag-compare", "--config", badShards, "--collector-service", "c.shop:8080"}, []string{`field "compare.shards"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", append(append([]string{"wasmplugin"}, tc.args...), "--image", "r.example.com/laneway/x:v1", "--sha256", pinned)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			for _, s := range tc.stderr {
				assert.Contains(t, r.stderr, s)
			}
		})
	}
}

// laneway build and push handle shadowtag-compare like the other shipped filters: it builds from
// filters/shadowtag-compare, names itself, pushes, and verifies as that filter and not as plain shadowtag.
func TestBuildAndPushHandleShadowtagCompare(t *testing.T) {
	out := t.TempDir()
	r := run(t, "", "build", "shadowtag-compare", "--out-dir", out, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var arts []struct {
		Filter string `json:"filter"`
		Path   string `json:"path"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &arts), r.stdout)
	require.Len(t, arts, 1)
	assert.Equal(t, "shadowtag-compare", arts[0].Filter)

	insp := run(t, "", "inspect", arts[0].Path)
	require.Equal(t, 0, insp.code, insp.stderr)
	assert.Contains(t, insp.stdout, "Filter: shadowtag-compare")
	assert.Contains(t, insp.stdout, "proxy_http_call", "it sends captures with dispatch_http_call")

	layout := filepath.Join(t.TempDir(), "oci")
	p := decodePush(t, run(t, "", "push", arts[0].Path, "--oci-layout", layout, "--format", "json"))
	assert.Equal(t, "shadowtag-compare", p.Reference, "the tag defaults to the filter name")
	v := run(t, "", "verify", "shadowtag-compare", "--oci-layout", layout, "--filter", "shadowtag-compare", "--expect-sha256", p.SHA256)
	assert.Equal(t, 0, v.code, v.stderr)
	v = run(t, "", "verify", "shadowtag-compare", "--oci-layout", layout, "--filter", "shadowtag")
	assert.Equal(t, 1, v.code)
	assert.Contains(t, v.stderr, "shadowtag-compare")
}
