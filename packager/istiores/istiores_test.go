package istiores

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	clientext "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/yaml"
)

const digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func int32p(v int32) *int32 { return &v }

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

func splitDocs(b []byte) [][]byte {
	var out [][]byte
	for _, d := range strings.Split(string(b), "---\n") {
		out = append(out, []byte(d))
	}
	return out
}

func TestWasmPluginYAMLMatchesGoldenAndRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		opts WasmPluginOptions
	}{
		{name: "wasmplugin_selector", opts: WasmPluginOptions{
			Name: "tenantroute", Namespace: "shop", Image: "registry.example.com/laneway/tenantroute:v1", Digest: digest,
			PluginName: "tenantroute", Selector: map[string]string{"app": "svc-a"}, MatchMode: "CLIENT",
			FailStrategy: "FAIL_OPEN", Priority: int32p(10), ImagePullSecret: "regcred",
			Config: []byte(`{"tenantHeader":"x-laneway-tenant","allowedTenants":["sbx-1"]}`),
		}},
		{name: "wasmplugin_targetrefs", opts: WasmPluginOptions{
			Name: "tenantroute-gw", Namespace: "istio-ingress", Image: "oci://registry.example.com/laneway/tenantroute@sha256:" + digest,
			TargetRefs: []TargetRef{{Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: "public"}},
			Phase:      "AUTHN", FailStrategy: "FAIL_CLOSE", MatchPorts: []uint32{8080}, PullPolicy: "IfNotPresent",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wp, err := WasmPlugin(tc.opts)
			require.NoError(t, err)
			out, err := ToYAML(wp)
			require.NoError(t, err)
			golden(t, tc.name, out)
			assert.NotContains(t, string(out), "creationTimestamp")
			assert.NotContains(t, string(out), "status")

			var back clientext.WasmPlugin
			require.NoError(t, yaml.UnmarshalStrict(out, &back))
			assert.True(t, proto.Equal(&wp.Spec, &back.Spec), "spec survives YAML and the client-go types")
			assert.Equal(t, wp.Name, back.Name)
			assert.Equal(t, "WasmPlugin", back.Kind)
			assert.Equal(t, digest, back.Spec.Sha256)
			assert.True(t, strings.HasPrefix(back.Spec.Url, "oci://"))
		})
	}
}

func TestWasmPluginRejectsInvalidOptionsNamingTheField(t *testing.T) {
	base := WasmPluginOptions{Name: "tenantroute", Namespace: "shop", Image: "r.example.com/laneway/t:v1", Digest: digest, FailStrategy: "FAIL_OPEN"}
	tests := []struct {
		name   string
		modify func(*WasmPluginOptions)
		errHas string
	}{
		{"a digest with a sha256: prefix is accepted", func(o *WasmPluginOptions) { o.Digest = "sha256:" + digest }, ""},
		{"an upper-case digest is refused", func(o *WasmPluginOptions) { o.Digest = strings.ToUpper(digest) }, "sha256: got"},
		{"a missing digest is refused", func(o *WasmPluginOptions) { o.Digest = "" }, "laneway push"},
		{"a digest disagreeing with the image reference is refused", func(o *WasmPluginOptions) { o.Image = "r.example.com/laneway/t@sha256:" + strings.Repeat("f", 64) }, "must agree"},
		{"selector and targetRefs together are refused", func(o *WasmPluginOptions) {
			o.Selector = map[string]string{"app": "a"}
			o.TargetRefs = []TargetRef{{Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: "gw"}}
		}, "at most one"},
		{"a Deployment target is refused", func(o *WasmPluginOptions) { o.TargetRefs = []TargetRef{{Group: "apps", Kind: "Deployment", Name: "a"}} }, "targetRefs: got group"},
		{"a wildcard selector is refused", func(o *WasmPluginOptions) { o.Selector = map[string]string{"app": "*"} }, "selector"},
		{"an unknown phase is refused with the allowed values", func(o *WasmPluginOptions) { o.Phase = "ROUTING" }, "phase: got \"ROUTING\", expected one of AUTHN, AUTHZ, STATS"},
		{"an unknown fail strategy is refused", func(o *WasmPluginOptions) { o.FailStrategy = "OPEN" }, "failStrategy: got \"OPEN\""},
		{"an unknown match mode is refused", func(o *WasmPluginOptions) { o.MatchMode = "OUTBOUND" }, "match.mode"},
		{"port 0 is refused", func(o *WasmPluginOptions) { o.MatchPorts = []uint32{0} }, "match.ports"},
		{"a config that is not an object is refused", func(o *WasmPluginOptions) { o.Config = []byte(`[1,2]`) }, "pluginConfig"},
		{"an upper-case name is refused", func(o *WasmPluginOptions) { o.Name = "TenantRoute" }, "name: got"},
		{"a sha256: prefix agrees with the same digest in the image reference", func(o *WasmPluginOptions) {
			o.Image, o.Digest = "r.example.com/laneway/t@sha256:"+digest, "sha256:"+digest
		}, ""},
		{"an image with a scheme is refused", func(o *WasmPluginOptions) { o.Image = "https://example.com/tenantroute.wasm" }, "image: got"},
		{"an upper-case repository is refused", func(o *WasmPluginOptions) { o.Image = "r.example.com/Laneway/TenantRoute:v1" }, "image: got"},
		{"a trailing space in the image is refused", func(o *WasmPluginOptions) { o.Image = "r.example.com/laneway/t:v1 " }, "image: got"},
		{"a second tag in the image is refused", func(o *WasmPluginOptions) { o.Image = "r.example.com/laneway/t:v1:v2" }, "image: got"},
		{"a selector label key Kubernetes rejects is refused", func(o *WasmPluginOptions) { o.Selector = map[string]string{"Bad Key": "a"} }, `selector: got label key "Bad Key"`},
		{"a selector label value Kubernetes rejects is refused", func(o *WasmPluginOptions) { o.Selector = map[string]string{"app": "svc a"} }, `selector: got label app="svc a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.modify(&o)
			_, err := WasmPlugin(o)
			if tc.errHas == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errHas)
		})
	}
}

func TestPluginConfigJSONIsWhatThePluginReceives(t *testing.T) {
	j, err := ConfigToJSON([]byte("allowedTenants:\n  - sbx-1\nmaxTenants: 3\n"))
	require.NoError(t, err)
	wp, err := WasmPlugin(WasmPluginOptions{Name: "t", Image: "r.example.com/laneway/t:v1", Digest: digest, FailStrategy: "FAIL_OPEN", Config: j})
	require.NoError(t, err)
	got, err := PluginConfigJSON(wp)
	require.NoError(t, err)
	assert.JSONEq(t, `{"allowedTenants":["sbx-1"],"maxTenants":3}`, string(got))

	_, err = ConfigToJSON([]byte("- just\n- a list\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expected a JSON/YAML object")
}

func TestRoutesYAMLMatchesGoldenAndRoundTrips(t *testing.T) {
	tests := []struct {
		name   string
		opts   RouteOptions
		withDR bool
	}{
		{name: "routes_sandbox_host", opts: RouteOptions{Service: "svc-b", Namespace: "shop", Sandboxes: []Sandbox{{Tenant: "sbx-1", Host: "svc-b-sbx-1"}}}},
		{name: "routes_subsets", withDR: true, opts: RouteOptions{Service: "svc-b", Namespace: "shop", Port: 8080, SubsetLabel: "laneway.dev/tenant",
			BaselineLabels: map[string]string{"version": "v1"}, Sandboxes: []Sandbox{{Tenant: "sbx-2"}, {Tenant: "sbx-1"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs, dr, err := Routes(tc.opts)
			require.NoError(t, err)
			objs := []any{vs}
			if tc.withDR {
				require.NotNil(t, dr)
				objs = append(objs, dr)
			} else {
				assert.Nil(t, dr, "no DestinationRule without subsets")
			}
			out, err := ToYAML(objs...)
			require.NoError(t, err)
			golden(t, tc.name, out)

			docs := splitDocs(out)
			var backVS clientnet.VirtualService
			require.NoError(t, yaml.UnmarshalStrict(docs[0], &backVS))
			assert.True(t, proto.Equal(&vs.Spec, &backVS.Spec))
			last := backVS.Spec.Http[len(backVS.Spec.Http)-1]
			assert.Empty(t, last.Match, "the last route catches everything else")
			assert.Equal(t, "svc-b", last.Route[0].Destination.Host)
			first := backVS.Spec.Http[0]
			assert.NotNil(t, first.Match[0].Headers[DefaultTenantHeader].GetExact())
			if tc.withDR {
				var backDR clientnet.DestinationRule
				require.NoError(t, yaml.UnmarshalStrict(docs[1], &backDR))
				assert.True(t, proto.Equal(&dr.Spec, &backDR.Spec))
				for _, r := range backVS.Spec.Http {
					found := false
					for _, s := range backDR.Spec.Subsets {
						found = found || s.Name == r.Route[0].Destination.Subset
					}
					assert.True(t, found, "route %s points at a subset the DestinationRule defines", r.Name)
				}
			}
		})
	}
}

func TestRoutesRejectInvalidOptionsNamingTheField(t *testing.T) {
	tests := []struct {
		name   string
		opts   RouteOptions
		errHas string
	}{
		{"no tenants", RouteOptions{Service: "svc-b"}, "tenants: got none and no mirror"},
		{"an upper-case tenant", RouteOptions{Service: "svc-b", Sandboxes: []Sandbox{{Tenant: "SBX", Host: "h"}}}, "tenant: got \"SBX\""},
		{"a duplicate tenant", RouteOptions{Service: "svc-b", Sandboxes: []Sandbox{{Tenant: "a", Host: "h"}, {Tenant: "a", Host: "i"}}}, "twice"},
		{"a tenant without host or subset label", RouteOptions{Service: "svc-b", Sandboxes: []Sandbox{{Tenant: "a"}}}, "--sandbox-host"},
		{"the sandbox is the baseline itself", RouteOptions{Service: "svc-b", Sandboxes: []Sandbox{{Tenant: "a", Host: "svc-b"}}}, "baseline service itself"},
		{"subsets without baseline labels", RouteOptions{Service: "svc-b", SubsetLabel: "v", Sandboxes: []Sandbox{{Tenant: "a"}}}, "--baseline-label"},
		{"a bad header name", RouteOptions{Service: "svc-b", Header: "X Tenant", Sandboxes: []Sandbox{{Tenant: "a", Host: "h"}}}, "header: got"},
		{"no service", RouteOptions{Sandboxes: []Sandbox{{Tenant: "a", Host: "h"}}}, "service: got"},
		{"a subset tenant named like the baseline subset", RouteOptions{Service: "svc-b", SubsetLabel: "laneway.dev/tenant",
			BaselineLabels: map[string]string{"version": "v1"}, Sandboxes: []Sandbox{{Tenant: "baseline"}, {Tenant: "sbx-1"}}}, `subset for tenant baseline: got "baseline", the name of the baseline subset`},
		{"two tenants given one subset", RouteOptions{Service: "svc-b", SubsetLabel: "laneway.dev/tenant", BaselineLabels: map[string]string{"version": "v1"},
			Sandboxes: []Sandbox{{Tenant: "a", Subset: "shared"}, {Tenant: "b", Subset: "shared"}}}, "already the subset of tenant a"},
		{"a subset name that is not a DNS label", RouteOptions{Service: "svc-b", SubsetLabel: "laneway.dev/tenant", BaselineLabels: map[string]string{"version": "v1"},
			Sandboxes: []Sandbox{{Tenant: "a", Subset: "Sub_A"}}}, `subset for tenant a: got "Sub_A"`},
		{"a subset label key with a space", RouteOptions{Service: "svc-b", SubsetLabel: "Bad Key", BaselineLabels: map[string]string{"version": "v1"},
			Sandboxes: []Sandbox{{Tenant: "a"}}}, `subset label: got label key "Bad Key"`},
		{"a baseline label value with a space", RouteOptions{Service: "svc-b", SubsetLabel: "laneway.dev/tenant", BaselineLabels: map[string]string{"version": "v 1"},
			Sandboxes: []Sandbox{{Tenant: "a"}}}, `baselineLabels: got label version="v 1"`},
		{"a baseline label key with two slashes", RouteOptions{Service: "svc-b", SubsetLabel: "laneway.dev/tenant", BaselineLabels: map[string]string{"a/b/c": "v1"},
			Sandboxes: []Sandbox{{Tenant: "a"}}}, `baselineLabels: got label key "a/b/c"`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			_, _, err := Routes(tc.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errHas)
		})
	}
}

func TestJSONOutputIsAListForSeveralObjectsNeverABareArray(t *testing.T) {
	vs, dr, err := Routes(RouteOptions{Service: "svc-b", SubsetLabel: "laneway.dev/tenant", BaselineLabels: map[string]string{"version": "v1"},
		Sandboxes: []Sandbox{{Tenant: "sbx-1"}}})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		out  func() ([]byte, error)
		n    int
	}{
		{"ToJSONList of one", func() ([]byte, error) { return ToJSONList(vs) }, 1},
		{"ToJSONList of two", func() ([]byte, error) { return ToJSONList(vs, dr) }, 2},
		{"ToJSON of two", func() ([]byte, error) { return ToJSON(vs, dr) }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.out()
			require.NoError(t, err)
			var list struct {
				APIVersion, Kind string
				Items            []map[string]any
			}
			require.NoError(t, json.Unmarshal(b, &list))
			assert.Equal(t, "v1", list.APIVersion)
			assert.Equal(t, "List", list.Kind)
			require.Len(t, list.Items, tc.n)
			assert.Equal(t, "VirtualService", list.Items[0]["kind"])
			assert.NotContains(t, list.Items[0], "status")
		})
	}
	one, err := ToJSON(vs)
	require.NoError(t, err)
	assert.Contains(t, string(one), `"kind": "VirtualService"`, "one object stays an object")
}

// Mirrors alone (compare: a candidate and a secondary, no sandbox): the only rule is the baseline route,
// without a match, carrying the mirrors; no DestinationRule.
func TestRoutesWithMirrorsAloneHaveOnlyTheBaselineRule(t *testing.T) {
	vs, dr, err := Routes(RouteOptions{Service: "orders", Namespace: "shop", Port: 8080,
		Mirrors: []Mirror{{Host: "orders-candidate", Percent: 100}, {Host: "orders-secondary", Percent: 100}}})
	require.NoError(t, err)
	assert.Nil(t, dr)
	require.Len(t, vs.Spec.Http, 1)
	base := vs.Spec.Http[0]
	assert.Equal(t, BaselineSubset, base.Name)
	assert.Empty(t, base.Match)
	assert.Equal(t, "orders", base.Route[0].Destination.Host)
	require.Len(t, base.Mirrors, 2)
	assert.Equal(t, "orders-candidate", base.Mirrors[0].Destination.Host)
	assert.Equal(t, "orders-secondary", base.Mirrors[1].Destination.Host)
	assert.Equal(t, 100.0, base.Mirrors[1].Percentage.Value)
}
