package gatewayres

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/packager/internal/crdtest"
	"github.com/laneway/laneway/packager/istiores"
	"github.com/laneway/laneway/packager/routegroup"
)

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

var (
	crdOnce sync.Once
	crd     *crdtest.Validator
	crdErr  error
)

// httpRouteCRD is the Gateway API module's own standard-channel HTTPRoute CRD, version v1.
func httpRouteCRD(t *testing.T) *crdtest.Validator {
	t.Helper()
	crdOnce.Do(func() {
		dir, err := crdtest.ModuleDir("sigs.k8s.io/gateway-api")
		if err != nil {
			crdErr = err
			return
		}
		crd, crdErr = crdtest.Load(filepath.Join(dir, "config", "crd", "standard", "gateway.networking.k8s.io_httproutes.yaml"), "v1")
	})
	require.NoError(t, crdErr)
	return crd
}

// requireValid checks every document of a YAML stream against the HTTPRoute CRD.
func requireValid(t *testing.T, stream []byte) {
	t.Helper()
	v := httpRouteCRD(t)
	for i, d := range strings.Split(string(stream), "---\n") {
		errs := v.Validate([]byte(d))
		require.Empty(t, errs, "document %d is rejected by the HTTPRoute CRD:\n%s", i, d)
	}
}

const groupFile = `
namespace: shop
services:
- name: svc-a
  port: 8080
- name: svc-b
  port: 9090
  mirrors: [{host: svc-b-candidate, percent: 25}]
tenants:
- name: feature-x
  routes:
  - {service: svc-a, host: svc-a-feature-x}
  - {service: svc-b, host: svc-b-feature-x}
- name: sbx-1
  routes:
  - {service: svc-b, host: svc-b-sbx-1.team}
`

func TestHTTPRoutesMatchGoldenAndPassTheCRDsSchemaAndCEL(t *testing.T) {
	one := func(o RouteOptions) func() ([]any, error) {
		return func() ([]any, error) {
			r, err := HTTPRoute(o)
			return []any{r}, err
		}
	}
	group := func(doc string) func() ([]any, error) {
		return func() ([]any, error) {
			g, err := routegroup.Parse([]byte(doc))
			if err != nil {
				return nil, err
			}
			return GroupRoutes(g)
		}
	}
	tests := []struct {
		name   string
		render func() ([]any, error)
		rules  []int // rules per route
	}{
		{"httproute_single_tenant", one(RouteOptions{Service: "svc-b", Namespace: "shop", Port: 8080, Backends: []Backend{{Tenant: "sbx-1", Host: "svc-b-sbx-1"}}}), []int{2}},
		{"httproute_mirrors", one(RouteOptions{
			Service: "svc-b.shop.svc.cluster.local", Port: 8080,
			Backends: []Backend{{Tenant: "sbx-1", Host: "svc-b-sbx-1"}},
			Mirrors:  []Mirror{{Host: "svc-b-candidate", Percent: 10}, {Host: "svc-b-replay.qa", Percent: 100}},
		}), []int{2}},
		{"httproute_gateway_parent", one(RouteOptions{
			Service: "svc-b", Namespace: "shop", Port: 8080, Header: "x-team-tenant", Name: "svc-b-edge",
			Backends: []Backend{{Tenant: "sbx-1", Host: "svc-b-sbx-1"}, {Tenant: "sbx-2", Host: "svc-b-sbx-2"}},
			Gateways: []GatewayRef{{Namespace: "istio-ingress", Name: "public"}, {Name: "internal"}},
		}), []int{3}},
		{"httproute_group", group(groupFile), []int{2, 3}},
		{"httproute_group_gateways", group("gateways: [istio-ingress/public]\n" + groupFile), []int{2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := tc.render()
			require.NoError(t, err)
			out, err := istiores.ToYAML(objs...)
			require.NoError(t, err)
			golden(t, tc.name, out)
			requireValid(t, out)
			docs := strings.Split(string(out), "---\n")
			require.Len(t, docs, len(tc.rules))
			for i, d := range docs {
				var r gwv1.HTTPRoute
				require.NoError(t, yaml.UnmarshalStrict([]byte(d), &r), "the Gateway API type reads it back")
				assert.Len(t, r.Spec.Rules, tc.rules[i])
				last := r.Spec.Rules[len(r.Spec.Rules)-1]
				assert.Equal(t, BaselineRule, string(*last.Name))
				assert.Empty(t, last.Matches, "the baseline rule matches everything")
				for _, rule := range r.Spec.Rules[:len(r.Spec.Rules)-1] {
					require.Len(t, rule.Matches, 1)
					require.Len(t, rule.Matches[0].Headers, 1)
					assert.Equal(t, gwv1.HeaderMatchExact, *rule.Matches[0].Headers[0].Type)
					assert.Empty(t, rule.Filters, "tenant requests are not mirrored")
				}
			}
		})
	}
}

// TestTheCRDValidatorRejectsWhatKubernetesRejects proves the validator runs the CRD's schema and CEL
// rules: each object here is one edit away from a valid route and is refused for that edit.
func TestTheCRDValidatorRejectsWhatKubernetesRejects(t *testing.T) {
	r, err := HTTPRoute(RouteOptions{Service: "svc-b", Namespace: "shop", Port: 8080, Backends: []Backend{{Tenant: "sbx-1", Host: "svc-b-sbx-1"}}, Mirrors: []Mirror{{Host: "svc-b-candidate", Percent: 10}}})
	require.NoError(t, err)
	valid, err := istiores.ToYAML(r)
	require.NoError(t, err)
	require.Empty(t, httpRouteCRD(t).Validate(valid))
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, yaml.Unmarshal(valid, &m))
		f(m)
		b, err := yaml.Marshal(m)
		require.NoError(t, err)
		return b
	}
	spec := func(m map[string]any) map[string]any { return m["spec"].(map[string]any) }
	rule := func(m map[string]any, i int) map[string]any { return spec(m)["rules"].([]any)[i].(map[string]any) }
	tests := []struct {
		name, want string
		doc        []byte
	}{
		{"a Service backend without port (CEL)", "Must have port for Service reference", edit(func(m map[string]any) {
			delete(rule(m, 0)["backendRefs"].([]any)[0].(map[string]any), "port")
		})},
		{"a mirror with percent and fraction (CEL)", "Only one of percent or fraction may be specified", edit(func(m map[string]any) {
			f := rule(m, 1)["filters"].([]any)[0].(map[string]any)["requestMirror"].(map[string]any)
			f["fraction"] = map[string]any{"numerator": 1, "denominator": 10}
		})},
		{"a mirror percent above 100 (schema)", "less than or equal to 100", edit(func(m map[string]any) {
			rule(m, 1)["filters"].([]any)[0].(map[string]any)["requestMirror"].(map[string]any)["percent"] = 150
		})},
		{"a header match with a bad name (schema)", "spec.rules[0].matches[0].headers[0].name", edit(func(m map[string]any) {
			rule(m, 0)["matches"].([]any)[0].(map[string]any)["headers"].([]any)[0].(map[string]any)["name"] = "x laneway"
		})},
		{"the same parent twice (CEL)", "sectionName must be unique when parentRefs includes 2 or more references to the same parent", edit(func(m map[string]any) {
			refs := spec(m)["parentRefs"].([]any)
			spec(m)["parentRefs"] = append(refs, refs[0])
		})},
		{"a fraction above its denominator (CEL)", "numerator must be less than or equal to denominator", edit(func(m map[string]any) {
			f := rule(m, 1)["filters"].([]any)[0].(map[string]any)["requestMirror"].(map[string]any)
			delete(f, "percent")
			f["fraction"] = map[string]any{"numerator": 11, "denominator": 10}
		})},
		{"an unknown field", "spec.rules[0].mirror", edit(func(m map[string]any) { rule(m, 0)["mirror"] = true })},
		{"an object name Kubernetes refuses", "metadata.name", edit(func(m map[string]any) { m["metadata"].(map[string]any)["name"] = "Svc_B" })},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is rejected", func(t *testing.T) {
			errs := httpRouteCRD(t).Validate(tc.doc)
			require.NotEmpty(t, errs)
			assert.Contains(t, errs.ToAggregate().Error(), tc.want)
		})
	}
}

func TestHTTPRouteRefusesWhatGatewayAPICannotExpress(t *testing.T) {
	base := func() RouteOptions {
		return RouteOptions{Service: "svc-b", Namespace: "shop", Port: 8080, Backends: []Backend{{Tenant: "sbx-1", Host: "svc-b-sbx-1"}}}
	}
	tests := []struct {
		name   string
		edit   func(o *RouteOptions)
		errHas []string
	}{
		{"no port", func(o *RouteOptions) { o.Port = 0 }, []string{"port: got 0", "requires a port on every Service backend"}},
		{"a subset sandbox", func(o *RouteOptions) { o.Backends = []Backend{{Tenant: "sbx-1", Subset: "sbx-1"}} }, []string{`tenant sbx-1: got subset "sbx-1"`, "expected a Service for the sandbox"}},
		{"baseline labels", func(o *RouteOptions) { o.BaselineLabels = map[string]string{"version": "v1"} }, []string{"not DestinationRule subsets", "baseline Service that selects only baseline pods"}},
		{"a host that is not a Service", func(o *RouteOptions) { o.Backends[0].Host = "api.example.com.other" }, []string{`sandbox host for tenant sbx-1: got "api.example.com.other"`, "name.namespace"}},
		{"a service in another namespace than the route", func(o *RouteOptions) { o.Service = "svc-b.team" }, []string{"consumer route", "expected -n team"}},
		{"the baseline as sandbox", func(o *RouteOptions) { o.Backends[0].Host = "svc-b" }, []string{"the baseline service itself"}},
		{"a tenant twice", func(o *RouteOptions) { o.Backends = append(o.Backends, o.Backends[0]) }, []string{`tenant: got "sbx-1" twice`}},
		{"a tenant that is not a DNS label", func(o *RouteOptions) { o.Backends[0].Tenant = "Sbx_1" }, []string{`tenant: got "Sbx_1"`}},
		{"no tenants", func(o *RouteOptions) { o.Backends = nil }, []string{"tenants: got none and no mirror"}},
		{"a mirror to the baseline", func(o *RouteOptions) { o.Mirrors = []Mirror{{Host: "svc-b", Percent: 5}} }, []string{"the baseline service itself"}},
		{"a mirror percent above 100", func(o *RouteOptions) { o.Mirrors = []Mirror{{Host: "c", Percent: 101}} }, []string{"mirror percent for c: got 101"}},
		{"a bad header", func(o *RouteOptions) { o.Header = "x tenant" }, []string{`header: got "x tenant"`}},
		{"a bad gateway", func(o *RouteOptions) { o.Gateways = []GatewayRef{{Name: "Public"}} }, []string{"expected [NAMESPACE/]NAME of a Gateway"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			o := base()
			tc.edit(&o)
			_, err := HTTPRoute(o)
			require.Error(t, err)
			for _, w := range tc.errHas {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := ParseGateway("istio-ingress/")
	assert.ErrorContains(t, err, "expected [NAMESPACE/]NAME")
}

func TestGroupRoutesRefuseSubsetRoutesNamingTheService(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "examples", "route-groups.yaml"))
	require.NoError(t, err)
	g, err := routegroup.Parse(example)
	require.NoError(t, err)
	_, err = GroupRoutes(g)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "service svc-a: port: got 0")
}

func TestTheCLIsHTTPRouteGoldenFilesPassTheCRD(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "cli", "testdata", "routes_gateway*.golden"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		requireValid(t, b)
	}
}

// Mirrors alone (compare: a candidate and a secondary, no sandbox): one rule, the baseline, with a
// RequestMirror filter per mirror.
func TestHTTPRouteWithMirrorsAloneHasOnlyTheBaselineRule(t *testing.T) {
	r, err := HTTPRoute(RouteOptions{Service: "orders", Namespace: "shop", Port: 8080,
		Mirrors: []Mirror{{Host: "orders-candidate", Percent: 100}, {Host: "orders-secondary", Percent: 100}}})
	require.NoError(t, err)
	require.Len(t, r.Spec.Rules, 1)
	rule := r.Spec.Rules[0]
	assert.Equal(t, BaselineRule, string(*rule.Name))
	assert.Empty(t, rule.Matches)
	assert.Equal(t, "orders", string(rule.BackendRefs[0].Name))
	require.Len(t, rule.Filters, 2)
	assert.Equal(t, "orders-candidate", string(rule.Filters[0].RequestMirror.BackendRef.Name))
	assert.Equal(t, "orders-secondary", string(rule.Filters[1].RequestMirror.BackendRef.Name))
}
