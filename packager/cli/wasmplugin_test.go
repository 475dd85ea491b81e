package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	clientext "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/packager/internal/registrytest"
	"github.com/laneway/laneway/packager/ociimage"
	"github.com/laneway/laneway/packager/wasmbuild/filterid"
	"github.com/laneway/laneway/testenv/wasmtest"
)

const pinned = "4f89072bb1bb9bd62cf4e30efac23e7d11cfdf29a8e5e3fc3e0f58394a50f291"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestWasmPluginOutputMatchesGoldenAndRoundTrips(t *testing.T) {
	cfg := writeFile(t, "tenantroute.yaml", "tenantHeader: x-laneway-tenant\nbaggageKeys: [laneway-tenant, sd-routing-key]\n")
	edge := writeFile(t, "shadowtag.json", `{"mode":"edge"}`)
	tests := []struct {
		name string
		args []string
	}{
		{"wasmplugin_tenantroute", []string{"wasmplugin", "tenantroute", "--image", "registry.example.com/laneway/tenantroute:v1",
			"--sha256", pinned, "--config", cfg, "-n", "shop", "--selector", "app=svc-a", "--pull-secret", "regcred", "--priority", "10"}},
		{"wasmplugin_shadowtag_gateway", []string{"wasmplugin", "shadowtag", "--image", "registry.example.com/laneway/shadowtag@sha256:" + pinned,
			"--sha256", "sha256:" + pinned, "--config", edge, "-n", "istio-ingress", "--target-ref", "Gateway/public", "--fail-strategy", "FAIL_CLOSE", "--phase", "AUTHN", "--port", "8080"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			require.Equal(t, 0, r.code, r.stderr)
			golden(t, tc.name, r.stdout)
			var wp clientext.WasmPlugin
			require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
			assert.Equal(t, pinned, wp.Spec.Sha256)

			j := run(t, "", append(tc.args, "--format", "json")...)
			require.Equal(t, 0, j.code, j.stderr)
			var fromJSON clientext.WasmPlugin
			require.NoError(t, yaml.UnmarshalStrict([]byte(j.stdout), &fromJSON))
			assert.True(t, proto.Equal(&wp.Spec, &fromJSON.Spec), "YAML and JSON output describe the same WasmPlugin")
		})
	}
}

func TestWasmPluginDefaultsSuitNonSecurityFilters(t *testing.T) {
	for _, tc := range []struct {
		filter    string
		config    string
		matchMode string
	}{{"tenantroute", `{}`, "CLIENT"}, {"shadowtag", `{"mode":"inbound"}`, ""}, {"synthetic", `{"mode":"outbound"}`, ""}} {
		t.Run(tc.filter+" fails open and matches "+orAllTraffic(tc.matchMode), func(t *testing.T) {
			cfg := writeFile(t, "config.json", tc.config)
			r := run(t, "", "wasmplugin", tc.filter, "--image", "r.example.com/laneway/x:v1", "--sha256", pinned, "--config", cfg)
			require.Equal(t, 0, r.code, r.stderr)
			var wp clientext.WasmPlugin
			require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
			assert.Equal(t, "FAIL_OPEN", wp.Spec.FailStrategy.String())
			assert.Equal(t, tc.filter, wp.Name)
			assert.Equal(t, tc.filter, wp.Spec.PluginName)
			if tc.matchMode == "" {
				assert.Empty(t, wp.Spec.Match)
			} else {
				require.Len(t, wp.Spec.Match, 1)
				assert.Equal(t, tc.matchMode, wp.Spec.Match[0].Mode.String())
			}
		})
	}
}

func orAllTraffic(mode string) string {
	if mode == "" {
		return "all traffic"
	}
	return mode + " traffic"
}

func TestWasmPluginRejectsInvalidInputBeforeWritingAnything(t *testing.T) {
	unknownField := writeFile(t, "bad.yaml", "tenantHeader: x-laneway-tenant\nbogusField: 1\n")
	notObject := writeFile(t, "list.json", "[1, 2]")
	tests := []struct {
		name   string
		args   []string
		errHas []string
	}{
		{"an unknown config field is named", []string{"tenantroute", "--config", unknownField}, []string{"rejected by tenantroute.ParseConfig", `"bogusField"`}},
		{"an empty config that cannot work at the target is named", []string{"shadowtag", "--waypoint", "w"}, []string{"the empty plugin config is rejected by shadowtag.ParseConfig", `mode: got "auto" for a waypoint`}},
		{"a config that is not an object", []string{"tenantroute", "--config", notObject}, []string{"expected a JSON/YAML object"}},
		{"an unknown filter", []string{"nosuch"}, []string{`unknown filter "nosuch"`, "laneway, shadowtag, shadowtag-compare, synthetic, tenantroute"}},
		{"a test fixture", []string{"conformance"}, []string{`"conformance" is a test fixture`, "laneway, shadowtag, shadowtag-compare, synthetic, tenantroute"}},
		{"a bad digest", []string{"tenantroute", "--sha256", "abc"}, []string{"sha256: got \"abc\""}},
		{"selector with targetRefs", []string{"tenantroute", "--selector", "app=a", "--target-ref", "Gateway/gw"}, []string{"at most one"}},
		{"a bad target kind", []string{"tenantroute", "--target-ref", "Deployment/a"}, []string{"expected Gateway, GatewayClass, Service or ServiceEntry"}},
		{"a bad fail strategy", []string{"tenantroute", "--fail-strategy", "OPEN"}, []string{"--fail-strategy: got \"OPEN\""}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			args := append([]string{"wasmplugin"}, tc.args...)
			args = append(args, "--image", "r.example.com/laneway/x:v1")
			if !strings.Contains(strings.Join(tc.args, " "), "--sha256") {
				args = append(args, "--sha256", pinned)
			}
			r := run(t, "", args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout, "nothing is written on failure")
			for _, s := range tc.errHas {
				assert.Contains(t, r.stderr, s)
			}
		})
	}
}

func TestWasmPluginPinsTheDigestByPullingWhenNoneIsGiven(t *testing.T) {
	reg := registrytest.InMemory(t, false)
	path := writeNamedModule(t, t.TempDir(), "tenantroute.wasm", "tenantroute")
	p := decodePush(t, run(t, "", "push", path, reg.Host+"/laneway/tenantroute:v1", "--format", "json"))

	r := run(t, "", "wasmplugin", "tenantroute", "--image", reg.Host+"/laneway/tenantroute:v1")
	require.Equal(t, 0, r.code, r.stderr)
	var wp clientext.WasmPlugin
	require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
	assert.Equal(t, p.SHA256, wp.Spec.Sha256)
	assert.Contains(t, r.stderr, "pulling")

	r = run(t, "", "wasmplugin", "tenantroute", "--image", reg.Host+"/laneway/absent:v1", "--retries", "1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "or pass --sha256")
}

func TestWasmPluginChecksADigestPinnedInTheImageByPulling(t *testing.T) {
	reg := registrytest.InMemory(t, false)
	mod, err := filterid.Append(wasmtest.GoFilter().Bytes(), "tenantroute")
	require.NoError(t, err)
	img, err := ociimage.Build(mod, ociimage.BuildOptions{})
	require.NoError(t, err)
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img,
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	ref, err := ociimage.ParseReference(reg.Host+"/laneway/indexed:v1", ociimage.RemoteOptions{})
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))
	idxDigest, err := idx.Digest()
	require.NoError(t, err)
	child := img.ManifestDigest()
	require.NotEqual(t, child, idxDigest)

	t.Run("the image's own digest: pulled, checked and written", func(t *testing.T) {
		r := run(t, "", "wasmplugin", "tenantroute", "--image", reg.Host+"/laneway/indexed@"+child.String())
		require.Equal(t, 0, r.code, r.stderr)
		var wp clientext.WasmPlugin
		require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
		assert.Equal(t, child.Hex, wp.Spec.Sha256)
		assert.Contains(t, r.stderr, "pulling")
	})
	t.Run("an index's digest: refused, naming the digest Istio checks", func(t *testing.T) {
		r := run(t, "", "wasmplugin", "tenantroute", "--image", reg.Host+"/laneway/indexed@"+idxDigest.String())
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "pins an image index")
		assert.Contains(t, r.stderr, reg.Host+"/laneway/indexed@"+child.String())
	})
}
