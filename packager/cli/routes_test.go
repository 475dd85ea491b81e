package cli

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

func TestRoutesOutputMatchesGoldenAndRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		args []string
		docs int
	}{
		{"routes_sandbox_host", []string{"routes", "--service", "svc-b", "--tenant", "sbx-1", "--sandbox-host", "svc-b-sbx-1", "-n", "shop"}, 1},
		{"routes_subsets", []string{"routes", "--service", "svc-b", "--tenant", "sbx-1", "--tenant", "sbx-2",
			"--subset-label", "laneway.dev/tenant", "--baseline-label", "version=v1", "-n", "shop"}, 2},
	}
	for _, tc := range tests {
		for _, format := range []string{"yaml", "json"} {
			t.Run(tc.name+" as "+format, func(t *testing.T) {
				r := run(t, "", append(tc.args, "--format", format)...)
				require.Equal(t, 0, r.code, r.stderr)
				name := tc.name
				if format == "json" {
					name += "_json"
				}
				golden(t, name, r.stdout)
				objs := kubectlObjects(t, r.stdout)
				require.Len(t, objs, tc.docs)
				var vs clientnet.VirtualService
				require.NoError(t, yaml.UnmarshalStrict(objs[0], &vs))
				assert.Equal(t, "sbx-1", vs.Spec.Http[0].Match[0].Headers["x-laneway-tenant"].GetExact())
				assert.Equal(t, "baseline", vs.Spec.Http[len(vs.Spec.Http)-1].Name)
				if tc.docs == 2 {
					var dr clientnet.DestinationRule
					require.NoError(t, yaml.UnmarshalStrict(objs[1], &dr))
					assert.Len(t, dr.Spec.Subsets, 3)
				}
			})
		}
	}
}

// TestRoutesOutputHasOneShapeWhateverTheFlags: YAML is one document per object, JSON one List, whether
// the flags make one object (sandbox hosts) or two (subsets add a DestinationRule).
func TestRoutesOutputHasOneShapeWhateverTheFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--service", "svc-b", "--tenant", "sbx-1", "--sandbox-host", "svc-b-sbx-1"},
		{"--service", "svc-b", "--tenant", "sbx-1", "--subset-label", "laneway.dev/tenant", "--baseline-label", "version=v1"},
	} {
		r := run(t, "", append(append([]string{"routes"}, args...), "--format", "json")...)
		require.Equal(t, 0, r.code, r.stderr)
		var list struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Items      []json.RawMessage `json:"items"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &list), "one JSON object, never a bare array")
		assert.Equal(t, "v1", list.APIVersion)
		assert.Equal(t, "List", list.Kind)
		assert.NotEmpty(t, list.Items)

		y := run(t, "", append([]string{"routes"}, args...)...)
		require.Equal(t, 0, y.code, y.stderr)
		assert.Len(t, strings.Split(y.stdout, "\n---\n"), len(list.Items), "one YAML document per List item")
	}
}

// kubectlObjects decodes a YAML or JSON stream the way kubectl's resource builder does (the YAML-or-JSON
// decoder, Lists expanded into their items) and returns each object as JSON.
func kubectlObjects(t *testing.T, stream string) [][]byte {
	t.Helper()
	dec := k8syaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var out [][]byte
	for {
		var u unstructured.Unstructured
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if u.IsList() {
			l, err := u.ToList()
			require.NoError(t, err)
			for _, item := range l.Items {
				b, err := item.MarshalJSON()
				require.NoError(t, err)
				out = append(out, b)
			}
			continue
		}
		require.NotEmpty(t, u.GetKind(), "every document is an object with a kind")
		b, err := u.MarshalJSON()
		require.NoError(t, err)
		out = append(out, b)
	}
}

func TestRoutesRejectsInconsistentFlags(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		errHas string
	}{
		{"more tenants than sandbox hosts", []string{"--service", "svc-b", "--tenant", "a", "--tenant", "b", "--sandbox-host", "h"}, "got 1 for 2 --tenant"},
		{"hosts and subsets together", []string{"--service", "svc-b", "--tenant", "a", "--sandbox-host", "h", "--subset-label", "k"}, "got both"},
		{"a malformed baseline label", []string{"--service", "svc-b", "--tenant", "a", "--subset-label", "k", "--baseline-label", "v1"}, `--baseline-label: got "v1", expected KEY=VALUE`},
		{"no tenant", []string{"--service", "svc-b"}, "--tenant: got none"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			r := run(t, "", append([]string{"routes"}, tc.args...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tc.errHas)
		})
	}
}

func TestRoutesFromAGroupFileEqualThePerServiceFlags(t *testing.T) {
	group := run(t, "", "routes", "-f", filepath.Join("..", "examples", "route-groups.yaml"))
	require.Equal(t, 0, group.code, group.stderr)
	svcA := run(t, "", "routes", "--service", "svc-a", "--tenant", "feature-x", "--sandbox-host", "svc-a-feature-x", "-n", "shop")
	require.Equal(t, 0, svcA.code, svcA.stderr)
	svcB := run(t, "", "routes", "--service", "svc-b", "--tenant", "feature-x", "--tenant", "sbx-1",
		"--subset-label", "laneway.dev/tenant", "--baseline-label", "version=v1", "-n", "shop")
	require.Equal(t, 0, svcB.code, svcB.stderr)
	assert.Equal(t, svcA.stdout+"---\n"+svcB.stdout, group.stdout,
		"one YAML stream: svc-a's objects, then svc-b's, each exactly as its flags write them")
	assert.Equal(t, 3, len(strings.Split(group.stdout, "---\n")))
}

func TestRoutesFromAGroupFileRefusesMixedInputAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("tenants:\n- name: t1\n  routes:\n  - {service: svc-b, host: h, hots: x}\n"), 0o644))
	tests := []struct {
		name   string
		args   []string
		errHas []string
	}{
		{"a file and --service", []string{"-f", bad, "--service", "svc-b"}, []string{"--service: got it with -f", "either a route-group file or the per-service flags"}},
		{"a file and -n", []string{"-f", bad, "-n", "shop"}, []string{"--namespace: got it with -f"}},
		{"a missing file", []string{"-f", filepath.Join(dir, "nope.yaml")}, []string{"-f: open", "no such file", "expected a route-group file"}},
		{"an unknown field", []string{"-f", bad}, []string{bad + `: route group: unknown field "hots"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			r := run(t, "", append([]string{"routes"}, tc.args...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			for _, w := range tc.errHas {
				assert.Contains(t, r.stderr, w)
			}
		})
	}
}

func TestRoutesGatewayAPIWritesHTTPRoutesLikeTheRendererFromFlagsAndFiles(t *testing.T) {
	r := run(t, "", "routes", "--api", "gateway", "--service", "svc-b", "--port", "8080", "--tenant", "sbx-1",
		"--sandbox-host", "svc-b-sbx-1", "--mirror", "svc-b-candidate", "--mirror-percent", "10", "-n", "shop")
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "routes_gateway_mirror", r.stdout)
	var route gwv1.HTTPRoute
	require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &route))
	assert.Equal(t, "Service", string(*route.Spec.ParentRefs[0].Kind))
	require.Len(t, route.Spec.Rules, 2)
	assert.Equal(t, int32(10), *route.Spec.Rules[1].Filters[0].RequestMirror.Percent)

	gw := run(t, "", "routes", "--api", "gateway", "--service", "svc-b", "--port", "8080", "--tenant", "sbx-1",
		"--sandbox-host", "svc-b-sbx-1", "--parent-gateway", "istio-ingress/public", "-n", "shop")
	require.Equal(t, 0, gw.code, gw.stderr)
	assert.Contains(t, gw.stdout, "parentRefs:\n  - name: public\n    namespace: istio-ingress\n")

	dir := t.TempDir()
	file := filepath.Join(dir, "groups.yaml")
	require.NoError(t, os.WriteFile(file, []byte("namespace: shop\nservices:\n- {name: svc-b, port: 8080, mirrors: [{host: svc-b-candidate, percent: 10}]}\ntenants:\n- {name: sbx-1, routes: [{service: svc-b, host: svc-b-sbx-1}]}\n"), 0o644))
	fromFile := run(t, "", "routes", "--api", "gateway", "-f", file)
	require.Equal(t, 0, fromFile.code, fromFile.stderr)
	assert.Equal(t, r.stdout, fromFile.stdout, "the file and the flags write the same HTTPRoute")
	vs := run(t, "", "routes", "-f", file)
	require.Equal(t, 0, vs.code, vs.stderr)
	assert.Contains(t, vs.stdout, "mirrors:\n    - destination:\n        host: svc-b-candidate\n        port:\n          number: 8080\n      percentage:\n        value: 10\n", "the VirtualService rendering mirrors too")
}

func TestRoutesGatewayAPIRefusesWhatItCannotWrite(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		errHas []string
	}{
		{"an unknown API", []string{"--api", "smi", "--service", "svc-b"}, []string{`--api: got "smi"`, "istio", "gateway"}},
		{"--gateway with the gateway API", []string{"--api", "gateway", "--gateway", "edge", "--service", "svc-b"}, []string{"--gateway: got it with --api gateway", "--parent-gateway"}},
		{"--parent-gateway with the istio API", []string{"--parent-gateway", "edge", "--service", "svc-b"}, []string{"--parent-gateway: got it with --api istio"}},
		{"no port", []string{"--api", "gateway", "--service", "svc-b", "--tenant", "a", "--sandbox-host", "h"}, []string{"port: got 0", "--port"}},
		{"subsets", []string{"--api", "gateway", "--service", "svc-b", "--port", "80", "--tenant", "a", "--subset-label", "k", "--baseline-label", "v=1"}, []string{"not DestinationRule subsets"}},
		{"a bad parent gateway", []string{"--api", "gateway", "--service", "svc-b", "--port", "80", "--tenant", "a", "--sandbox-host", "h", "--parent-gateway", "a/b/c"}, []string{"--parent-gateway: gateway: got \"a/b/c\""}},
		{"more percents than mirrors", []string{"--service", "svc-b", "--tenant", "a", "--sandbox-host", "h", "--mirror", "m", "--mirror-percent", "5", "--mirror-percent", "6"}, []string{"--mirror-percent: got 2 for 1 --mirror"}},
		{"a mirror percent above 100", []string{"--service", "svc-b", "--tenant", "a", "--sandbox-host", "h", "--mirror", "m", "--mirror-percent", "500"}, []string{"mirror percent for m: got 500"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			r := run(t, "", append([]string{"routes"}, tc.args...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			for _, w := range tc.errHas {
				assert.Contains(t, r.stderr, w)
			}
		})
	}
}

// A pure compare setup mirrors a service to a candidate and a secondary with no sandbox: --mirror without
// --tenant writes a VirtualService (or, with --api gateway, an HTTPRoute) whose only rule is the baseline
// route with its mirrors, and a route-group file with services[].mirrors and no tenants writes the same.
func TestRoutesMirrorsAloneForCompare(t *testing.T) {
	flags := []string{"--service", "orders", "--port", "8080", "--mirror", "orders-candidate", "--mirror", "orders-secondary", "-n", "shop"}
	file := filepath.Join(t.TempDir(), "compare.yaml")
	require.NoError(t, os.WriteFile(file, []byte("namespace: shop\nservices:\n- {name: orders, port: 8080, mirrors: [{host: orders-candidate}, {host: orders-secondary}]}\n"), 0o644))

	vs := run(t, "", append([]string{"routes"}, flags...)...)
	require.Equal(t, 0, vs.code, vs.stderr)
	golden(t, "routes_mirrors_only", vs.stdout)
	objs := kubectlObjects(t, vs.stdout)
	require.Len(t, objs, 1, "no DestinationRule: no subset")
	var v clientnet.VirtualService
	require.NoError(t, yaml.UnmarshalStrict(objs[0], &v))
	require.Len(t, v.Spec.Http, 1, "the baseline route is the only rule")
	assert.Equal(t, "baseline", v.Spec.Http[0].Name)
	assert.Empty(t, v.Spec.Http[0].Match)
	require.Len(t, v.Spec.Http[0].Mirrors, 2)
	for i, host := range []string{"orders-candidate", "orders-secondary"} {
		assert.Equal(t, host, v.Spec.Http[0].Mirrors[i].Destination.Host)
		assert.Equal(t, 100.0, v.Spec.Http[0].Mirrors[i].Percentage.Value)
	}
	fromFile := run(t, "", "routes", "-f", file)
	require.Equal(t, 0, fromFile.code, fromFile.stderr)
	assert.Equal(t, vs.stdout, fromFile.stdout, "the file and the flags write the same VirtualService")

	hr := run(t, "", append([]string{"routes", "--api", "gateway"}, flags...)...)
	require.Equal(t, 0, hr.code, hr.stderr)
	golden(t, "routes_gateway_mirrors_only", hr.stdout)
	var route gwv1.HTTPRoute
	require.NoError(t, yaml.UnmarshalStrict([]byte(hr.stdout), &route))
	require.Len(t, route.Spec.Rules, 1)
	require.Len(t, route.Spec.Rules[0].Filters, 2)
	assert.Equal(t, "orders-secondary", string(route.Spec.Rules[0].Filters[1].RequestMirror.BackendRef.Name))
	hrFile := run(t, "", "routes", "--api", "gateway", "-f", file)
	require.Equal(t, 0, hrFile.code, hrFile.stderr)
	assert.Equal(t, hr.stdout, hrFile.stdout, "the file and the flags write the same HTTPRoute")

	for _, args := range [][]string{{"routes", "--service", "orders"}, {"routes", "--api", "gateway", "--service", "orders", "--port", "8080"}} {
		none := run(t, "", args...)
		assert.Equal(t, 1, none.code, "neither tenants nor mirrors: %v", args)
		assert.Empty(t, none.stdout)
		assert.Contains(t, none.stderr, "got none and no mirror, expected at least one")
		assert.Contains(t, none.stderr, "mirror")
	}
	assert.Contains(t, run(t, "", "routes", "--service", "orders").stderr, "--tenant: got none and no mirror, expected at least one --tenant")
}
