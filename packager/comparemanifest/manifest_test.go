package comparemanifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/packager/istiores"
)

// golden compares got with testdata/<name>.golden; REFRESH_GOLDEN=true rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if os.Getenv("REFRESH_GOLDEN") == "true" {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run with REFRESH_GOLDEN=true")
	assert.Equal(t, string(want), string(got))
}

func TestManifestMatchesGoldenAndRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"manifest_defaults", Options{Namespace: "shop", Image: "ghcr.io/acme/laneway:v1"}},
		{"manifest_custom", Options{Name: "diffs", Namespace: "mesh-tools", Image: "registry.example.com/laneway@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			Replicas: 4, Port: 9090, Memory: "2Gi", ServeArgs: []string{"--max-pairs=50000", "--max-age=10m"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dep, svc, dr, err := Objects(tc.opts)
			require.NoError(t, err)
			out, err := istiores.ToYAML(dep, svc, dr)
			require.NoError(t, err)
			golden(t, tc.name, out)

			docs := strings.Split(string(out), "---\n")
			require.Len(t, docs, 3)
			var d appsv1.Deployment
			require.NoError(t, yaml.UnmarshalStrict([]byte(docs[0]), &d))
			assert.Equal(t, dep.Spec, d.Spec)
			var s corev1.Service
			require.NoError(t, yaml.UnmarshalStrict([]byte(docs[1]), &s))
			assert.Equal(t, svc.Spec, s.Spec)
			var r clientnet.DestinationRule
			require.NoError(t, yaml.Unmarshal([]byte(docs[2]), &r))
			assert.Equal(t, HashHeader, r.Spec.GetTrafficPolicy().GetLoadBalancer().GetConsistentHash().GetHttpHeaderName())
			assert.NotNil(t, r.Spec.GetTrafficPolicy().GetLoadBalancer().GetConsistentHash().GetMaglev(),
				"maglev: Istio makes the cluster MAGLEV, which hashes each capture shard's :authority to one replica")
			assert.Contains(t, string(out), "maglev: {}")
			assert.Equal(t, svc.Name+"."+svc.Namespace+".svc.cluster.local", r.Spec.Host)
			for k, v := range svc.Spec.Selector {
				assert.Equal(t, v, d.Spec.Template.Labels[k], "the Service selects the collector's pods")
			}
			assert.Equal(t, d.Spec.Selector.MatchLabels, svc.Spec.Selector)
		})
	}
}

func TestManifestRefusesBadOptions(t *testing.T) {
	ok := Options{Namespace: "shop", Image: "ghcr.io/acme/laneway:v1"}
	tests := []struct {
		name  string
		mut   func(o *Options)
		inMsg string
	}{
		{"no namespace", func(o *Options) { o.Namespace = "" }, "namespace: got \"\""},
		{"a name Kubernetes refuses", func(o *Options) { o.Name = "Compare_1" }, "name: got \"Compare_1\""},
		{"no image", func(o *Options) { o.Image = "" }, "image: got \"\""},
		{"an image with a scheme", func(o *Options) { o.Image = "oci://ghcr.io/x:v1" }, "image reference holding the laneway binary"},
		{"no replicas", func(o *Options) { o.Replicas = -1 }, "replicas: got -1"},
		{"a port out of range", func(o *Options) { o.Port = 70000 }, "port: got 70000"},
		{"a bad memory quantity", func(o *Options) { o.Memory = "lots" }, "memory: got \"lots\""},
		{"a serve arg that is not a flag", func(o *Options) { o.ServeArgs = []string{"max-pairs=1"} }, "serve argument"},
		{"a serve --listen", func(o *Options) { o.ServeArgs = []string{"--listen=:1"} }, "not --listen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.mut(&o)
			_, _, _, err := Objects(o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.inMsg)
		})
	}
}

func TestClusterNameIsIstiosOutboundClusterOfTheService(t *testing.T) {
	_, svc, _, err := Objects(Options{Namespace: "shop", Image: "ghcr.io/acme/laneway:v1"})
	require.NoError(t, err)
	two := svc.DeepCopy()
	two.Spec.Ports = append(two.Spec.Ports, corev1.ServicePort{Name: "grpc", Port: 9090})
	tests := []struct {
		name   string
		svc    *corev1.Service
		port   int32
		domain string
		want   string
		inErr  string
	}{
		{"the only port", svc, 0, "", "outbound|8080||laneway-compare.shop.svc.cluster.local", ""},
		{"a named port and domain", two, 9090, "corp.example", "outbound|9090||laneway-compare.shop.svc.corp.example", ""},
		{"two ports and none chosen", two, 0, "", "", "has 2 ports"},
		{"a port the service lacks", svc, 1234, "", "", "got 1234"},
		{"no namespace", &corev1.Service{}, 0, "", "", "no name or namespace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClusterName(tc.svc, tc.port, tc.domain)
			if tc.inErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.inErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSuggestedShards(t *testing.T) {
	for replicas, want := range map[int32]int{0: 4, 1: 4, 2: 8, 4: 16, 16: 64, 100: 64} {
		assert.Equal(t, want, SuggestedShards(replicas), "replicas %d", replicas)
	}
}
