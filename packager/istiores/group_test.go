package istiores

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/packager/routegroup"
)

func TestGroupRoutesMatchGoldenAndRoundTrip(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "examples", "route-groups.yaml"))
	require.NoError(t, err)
	tests := []struct {
		name  string
		doc   []byte
		kinds []string
	}{
		{"group_example", example, []string{"VirtualService", "VirtualService", "DestinationRule"}},
		{"group_every_setting", []byte(`
namespace: shop
header: x-team-tenant
gateways: [istio-system/edge]
services:
- {name: svc-b.shop.svc.cluster.local, port: 8080, subsetLabel: laneway.dev/tenant, baselineLabels: {version: v1, app: svc-b}, objectName: svc-b-routes}
- {name: svc-a, port: 9090}
tenants:
- name: feature-x
  routes:
  - {service: svc-a, host: svc-a-feature-x}
  - {service: svc-b.shop.svc.cluster.local, host: svc-b-feature-x}
- name: feature-y
  routes:
  - {service: svc-b.shop.svc.cluster.local, subset: feature-y-pods}
`), []string{"VirtualService", "VirtualService", "DestinationRule"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := routegroup.Parse(tc.doc)
			require.NoError(t, err)
			objs, err := GroupRoutes(g)
			require.NoError(t, err)
			out, err := ToYAML(objs...)
			require.NoError(t, err)
			golden(t, tc.name, out)
			docs := splitDocs(out)
			require.Len(t, docs, len(tc.kinds))
			for i, d := range docs {
				var meta struct{ Kind string }
				require.NoError(t, yaml.Unmarshal(d, &meta))
				assert.Equal(t, tc.kinds[i], meta.Kind)
				switch meta.Kind {
				case "VirtualService":
					var vs clientnet.VirtualService
					require.NoError(t, yaml.UnmarshalStrict(d, &vs), "Istio's type reads it back")
				case "DestinationRule":
					var dr clientnet.DestinationRule
					require.NoError(t, yaml.UnmarshalStrict(d, &dr))
				}
			}
		})
	}
}

func TestGroupRoutesGiveEachServiceWhatRoutesGivesItAlone(t *testing.T) {
	g, err := routegroup.Parse([]byte(`
services: [{name: svc-b, subsetLabel: k, baselineLabels: {v: "1"}}]
tenants:
- {name: t1, routes: [{service: svc-a, host: svc-a-t1}, {service: svc-b, subset: t1}]}
- {name: t2, routes: [{service: svc-b, subset: t2}]}
`))
	require.NoError(t, err)
	objs, err := GroupRoutes(g)
	require.NoError(t, err)
	var want []any
	for _, o := range []RouteOptions{
		{Service: "svc-a", Sandboxes: []Sandbox{{Tenant: "t1", Host: "svc-a-t1"}}},
		{Service: "svc-b", SubsetLabel: "k", BaselineLabels: map[string]string{"v": "1"}, Sandboxes: []Sandbox{{Tenant: "t1", Subset: "t1"}, {Tenant: "t2", Subset: "t2"}}},
	} {
		vs, dr, err := Routes(o)
		require.NoError(t, err)
		want = append(want, vs)
		if dr != nil {
			want = append(want, dr)
		}
	}
	wantYAML, err := ToYAML(want...)
	require.NoError(t, err)
	gotYAML, err := ToYAML(objs...)
	require.NoError(t, err)
	assert.Equal(t, string(wantYAML), string(gotYAML))
}

func TestGroupRoutesNameTheServiceOfARenderingError(t *testing.T) {
	g, err := routegroup.Parse([]byte(`
services: [{name: svc-b, subsetLabel: "bad key!", baselineLabels: {v: "1"}}]
tenants: [{name: t1, routes: [{service: svc-b, subset: t1}]}]
`))
	require.NoError(t, err, "label syntax is the renderer's check")
	_, err = GroupRoutes(g)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "service svc-b: subset label: got label key \"bad key!\"")
}
