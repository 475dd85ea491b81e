package routegroup

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const featureX = `
namespace: shop
header: x-team-tenant
gateways: [istio-system/edge]
services:
- name: svc-b
  port: 8080
  subsetLabel: laneway.dev/tenant
  baselineLabels: {version: v1}
  objectName: svc-b-routes
tenants:
- name: feature-x
  routes:
  - service: svc-b
    subset: feature-x
  - service: svc-a
    host: svc-a-feature-x
- name: sbx-1
  routes:
  - {service: svc-b, subset: sbx-1-pods}
`

func TestParseBuildsOneServicePerBaselineWithEachTenantsBackend(t *testing.T) {
	g, err := Parse([]byte(featureX))
	require.NoError(t, err)
	assert.Equal(t, Group{
		Namespace: "shop", Header: "x-team-tenant", Gateways: []string{"istio-system/edge"},
		Services: []Service{
			{Name: "svc-a", Backends: []Backend{{Tenant: "feature-x", Host: "svc-a-feature-x"}}},
			{Name: "svc-b", Port: 8080, SubsetLabel: "laneway.dev/tenant", BaselineLabels: map[string]string{"version": "v1"}, ObjectName: "svc-b-routes",
				Backends: []Backend{{Tenant: "feature-x", Subset: "feature-x"}, {Tenant: "sbx-1", Subset: "sbx-1-pods"}}},
		},
	}, g)
}

func TestParseAcceptsJSON(t *testing.T) {
	g, err := Parse([]byte(`{"tenants":[{"name":"t1","routes":[{"service":"svc-b","host":"svc-b-t1"}]}]}`))
	require.NoError(t, err)
	assert.Equal(t, []Service{{Name: "svc-b", Backends: []Backend{{Tenant: "t1", Host: "svc-b-t1"}}}}, g.Services)
}

func TestParseRefusesBadFilesWithTheFieldAndTheFix(t *testing.T) {
	route := func(r string) string { return "tenants:\n- name: t1\n  routes:\n  - " + r + "\n" }
	tests := []struct {
		name   string
		doc    string
		errHas []string
	}{
		{"an empty file", "  \n", []string{"got an empty file", "tenants list"}},
		{"not YAML", "tenants: [", []string{"route group:", "expected a YAML document"}},
		{"a list at the top", "- a\n- b\n", []string{"cannot unmarshal", "expected the shape"}},
		{"an unknown top-level field", "tenant: []\n", []string{`unknown field "tenant"`, "top: namespace, header, gateways, services, tenants"}},
		{"an unknown route field", route("{service: svc-b, hosts: x}"), []string{`unknown field "hosts"`, "tenants[].routes[]: service, host, subset"}},
		{"an unknown service field", "services: [{name: svc-b, subset: x}]\n" + route("{service: svc-b, host: h}"), []string{`unknown field "subset"`, "services[]: name, port"}},
		{"a duplicate key", "namespace: a\nnamespace: b\n" + route("{service: svc-b, host: h}"), []string{`"namespace"`, "route group:"}},
		{"no tenants", "namespace: shop\n", []string{"tenants: got none"}},
		{"a tenant that is not a DNS label", "tenants: [{name: Feature_X, routes: [{service: svc-b, host: h}]}]\n", []string{`tenants[0].name: got "Feature_X", expected a DNS label`}},
		{"a tenant twice", "tenants:\n- {name: t1, routes: [{service: svc-a, host: a}]}\n- {name: t1, routes: [{service: svc-b, host: b}]}\n", []string{`tenants[1].name: got "t1", already tenants[0]`}},
		{"a tenant without routes", "tenants: [{name: t1}]\n", []string{"tenants[0].routes: got none for tenant t1"}},
		{"a route without service", route("{host: h}"), []string{`tenants[0].routes[0].service: got ""`}},
		{"a service that is not a host", route("{service: Svc_B, host: h}"), []string{`tenants[0].routes[0].service: got "Svc_B"`}},
		{"host and subset", route("{service: svc-b, host: h, subset: s}"), []string{`got host "h" and subset "s", expected one of them`}},
		{"neither host nor subset", route("{service: svc-b}"), []string{"got neither host nor subset for service svc-b"}},
		{"a bad sandbox host", route("{service: svc-b, host: 'svc b'}"), []string{`tenants[0].routes[0].host: got "svc b"`, "svc-b-t1"}},
		{"the baseline as its own sandbox", route("{service: svc-b, host: svc-b}"), []string{"the baseline service itself"}},
		{"a bad subset name", "services: [{name: svc-b, subsetLabel: k, baselineLabels: {v: '1'}}]\n" + route("{service: svc-b, subset: Sub.1}"), []string{`tenants[0].routes[0].subset: got "Sub.1", expected a DNS label`}},
		{"a subset without subsetLabel", route("{service: svc-b, subset: s1}"), []string{`routes svc-b to subset "s1", but services has no subsetLabel for svc-b`}},
		{"the same service twice for a tenant", "tenants:\n- name: t1\n  routes:\n  - {service: svc-b, host: h}\n  - {service: svc-b, host: h}\n",
			[]string{"tenants[0].routes[1]: got service svc-b again for tenant t1 (already tenants[0].routes[0])"}},
		{"conflicting sandboxes for a tenant and service", "services: [{name: svc-b, subsetLabel: k, baselineLabels: {v: '1'}}]\ntenants:\n- name: t1\n  routes:\n  - {service: svc-b, host: h}\n  - {service: svc-b, subset: t1}\n",
			[]string{"conflicting sandboxes for tenant t1 and service svc-b: subset t1 here, host h at tenants[0].routes[0]"}},
		{"a service listed twice in services", "services: [{name: svc-b}, {name: svc-b, port: 80}]\n" + route("{service: svc-b, host: h}"), []string{`services[1].name: got "svc-b" a second time`}},
		{"settings for a service no tenant routes", "services: [{name: svc-c, port: 80}]\n" + route("{service: svc-b, host: h}"), []string{"got settings for svc-c, but no tenant routes it"}},
		{"a bad namespace", "namespace: Shop\n" + route("{service: svc-b, host: h}"), []string{`namespace: got "Shop"`}},
		{"a bad object name", "services: [{name: svc-b, objectName: 'A B'}]\n" + route("{service: svc-b, host: h}"), []string{`services[0].objectName: got "A B"`}},
		{"a mirror without host", "services: [{name: svc-b, mirrors: [{percent: 5}]}]\n" + route("{service: svc-b, host: h}"), []string{`services[0].mirrors[0].host: got ""`, "svc-b-candidate"}},
		{"a mirror to the baseline itself", "services: [{name: svc-b, mirrors: [{host: svc-b}]}]\n" + route("{service: svc-b, host: h}"), []string{`services[0].mirrors[0].host: got "svc-b", the baseline service itself`}},
		{"a mirror twice", "services: [{name: svc-b, mirrors: [{host: c}, {host: c, percent: 5}]}]\n" + route("{service: svc-b, host: h}"), []string{`services[0].mirrors[1].host: got "c", already services[0].mirrors[0]`}},
		{"a mirror percent above 100", "services: [{name: svc-b, mirrors: [{host: c, percent: 101}]}]\n" + route("{service: svc-b, host: h}"), []string{"services[0].mirrors[0].percent: got 101, expected 0 to 100"}},
		{"an unknown mirror field", "services: [{name: svc-b, mirrors: [{host: c, fraction: 1}]}]\n" + route("{service: svc-b, host: h}"), []string{`unknown field "fraction"`, "services[].mirrors[]: host, percent"}},
		{"a negative port", "services: [{name: svc-b, port: -1}]\n" + route("{service: svc-b, host: h}"), []string{"cannot unmarshal", "route group:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			require.Error(t, err)
			for _, w := range tc.errHas {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseReadsMirrorsWithTheirDefaultPercent(t *testing.T) {
	g, err := Parse([]byte("services: [{name: svc-b, mirrors: [{host: svc-b-candidate, percent: 10}, {host: svc-b-replay}]}]\ntenants: [{name: t1, routes: [{service: svc-b, host: svc-b-t1}]}]\n"))
	require.NoError(t, err)
	require.Len(t, g.Services, 1)
	assert.Equal(t, []Mirror{{Host: "svc-b-candidate", Percent: 10}, {Host: "svc-b-replay", Percent: 100}}, g.Services[0].Mirrors)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(featureX))
	f.Add([]byte(`{"tenants":[{"name":"t1","routes":[{"service":"svc-b","host":"svc-b-t1"}]}]}`))
	f.Add([]byte("tenants:\n- name: t1\n  routes:\n  - {service: svc-b, subset: s}\n"))
	f.Add([]byte("services: [{name: svc-b, mirrors: [{host: c, percent: 7}]}]\ntenants: [{name: t1, routes: [{service: svc-b, host: h}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		require.NotEmpty(t, g.Services, "a valid group routes at least one service")
		for _, s := range g.Services {
			require.NotEmpty(t, s.Backends, s.Name)
			for _, b := range s.Backends {
				require.True(t, (b.Host == "") != (b.Subset == ""), "exactly one of host and subset: %+v", b)
				require.True(t, b.Subset == "" || s.SubsetLabel != "", "a subset backend has a subset label")
			}
			for _, m := range s.Mirrors {
				require.True(t, m.Percent >= 0 && m.Percent <= 100 && m.Host != s.Name, "mirror %+v of %s", m, s.Name)
			}
		}
	})
}

// A compare setup mirrors a service to a candidate and a secondary with no sandbox: a file with mirrors and
// no tenants is a group; without tenants and without mirrors it is refused as before.
func TestParseAcceptsMirrorsWithoutTenants(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		want   []Service
		errHas []string
	}{
		{"mirrors alone", "services:\n- {name: orders, port: 8080, mirrors: [{host: orders-candidate}, {host: orders-secondary, percent: 50}]}\n",
			[]Service{{Name: "orders", Port: 8080, Mirrors: []Mirror{{Host: "orders-candidate", Percent: 100}, {Host: "orders-secondary", Percent: 50}}}}, nil},
		{"a mirrored service next to a tenant's routes", "services:\n- {name: orders, mirrors: [{host: orders-candidate}]}\ntenants:\n- {name: t1, routes: [{service: svc-b, host: svc-b-t1}]}\n",
			[]Service{{Name: "orders", Mirrors: []Mirror{{Host: "orders-candidate", Percent: 100}}}, {Name: "svc-b", Backends: []Backend{{Tenant: "t1", Host: "svc-b-t1"}}}}, nil},
		{"neither tenants nor mirrors", "services:\n- {name: orders, port: 8080}\n", nil, []string{"tenants: got none and no services[].mirrors", "mirrors: [{host: svc-b-candidate}]"}},
		{"settings without tenants or mirrors next to a mirrored service", "services:\n- {name: orders, mirrors: [{host: orders-candidate}]}\n- {name: svc-c, port: 80}\n",
			nil, []string{"got settings for svc-c, but no tenant routes it and it has no mirrors"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Parse([]byte(tc.doc))
			if tc.errHas != nil {
				require.Error(t, err)
				for _, w := range tc.errHas {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, g.Services)
		})
	}
}
