package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	clientext "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/filters/combined"
)

// TestWasmPluginLanewayCarriesEveryRoleInOnePlugin writes the combined module's WasmPlugin from the files each
// role's own command takes (golden), from the whole document with --config (the same resource), and checks
// the pluginConfig it carries starts the module: combined.ParseConfig turns on exactly the given roles.
func TestWasmPluginLanewayCarriesEveryRoleInOnePlugin(t *testing.T) {
	tr := writeFile(t, "tenantroute.yaml", "tenantHeader: x-laneway-tenant\nbaggageKeys: [laneway-tenant, sd-routing-key]\n")
	st := writeFile(t, "shadowtag.json", `{"mode":"outbound"}`)
	sy := writeFile(t, "synthetic.yaml", "mode: outbound\nparticipants: [svc-a, svc-b]\n")
	whole := writeFile(t, "laneway.yaml", "tenantroute:\n  tenantHeader: x-laneway-tenant\n  baggageKeys: [laneway-tenant, sd-routing-key]\n"+
		"shadowtag: {mode: outbound}\nsynthetic: {mode: outbound, participants: [svc-a, svc-b]}\n")
	common := []string{"wasmplugin", "laneway", "--image", "registry.example.com/laneway/laneway:v1", "--sha256", pinned, "-n", "shop", "--selector", "app=svc-a"}

	r := run(t, "", append(common, "--tenantroute-config", tr, "--shadowtag-config", st, "--synthetic-config", sy)...)
	require.Equal(t, 0, r.code, r.stderr)
	golden(t, "wasmplugin_laneway", r.stdout)
	var wp clientext.WasmPlugin
	require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
	assert.Equal(t, "laneway", wp.Name)
	assert.Equal(t, "laneway", wp.Spec.PluginName)
	require.Len(t, wp.Spec.Match, 1, "every role is caller-side: CLIENT traffic")
	assert.Equal(t, "CLIENT", wp.Spec.Match[0].Mode.String())

	cfgJSON, err := wp.Spec.PluginConfig.MarshalJSON()
	require.NoError(t, err)
	c, err := combined.ParseConfig(cfgJSON)
	require.NoError(t, err, "the module starts with the config the resource carries")
	assert.Equal(t, []string{"synthetic", "shadowtag", "tenantroute"}, c.Roles())
	assert.Equal(t, []string{"laneway-tenant", "sd-routing-key"}, c.Tenantroute.BaggageKeys)

	w := run(t, "", append(common, "--config", whole)...)
	require.Equal(t, 0, w.code, w.stderr)
	var fromWhole clientext.WasmPlugin
	require.NoError(t, yaml.UnmarshalStrict([]byte(w.stdout), &fromWhole))
	assert.True(t, proto.Equal(&wp.Spec, &fromWhole.Spec), "--config with the whole document writes the same WasmPlugin")
}

func TestWasmPluginLanewayMatchModeFollowsItsRoles(t *testing.T) {
	for _, tc := range []struct {
		name      string
		flags     map[string]string
		matchMode string
	}{
		{"tenantroute alone", map[string]string{"--tenantroute-config": `{}`}, "CLIENT"},
		{"the gateway's edge roles", map[string]string{"--tenantroute-config": `{"trustBoundary":true}`, "--synthetic-config": `{"mode":"edge","trust":{"principals":["spiffe://cluster.local/ns/a/sa/b"]}}`}, "CLIENT"},
		{"an inbound role", map[string]string{"--tenantroute-config": `{}`, "--shadowtag-config": `{"mode":"inbound"}`}, ""},
		{"a role taking its mode from the listener", map[string]string{"--tenantroute-config": `{}`, "--shadowtag-config": `{"mode":"auto"}`}, ""},
	} {
		t.Run(tc.name+" matches "+orAllTraffic(tc.matchMode), func(t *testing.T) {
			args := []string{"wasmplugin", "laneway", "--image", "r.example.com/laneway/laneway:v1", "--sha256", pinned}
			for flag, cfg := range tc.flags {
				args = append(args, flag, writeFile(t, "c.json", cfg))
			}
			r := run(t, "", args...)
			require.Equal(t, 0, r.code, r.stderr)
			var wp clientext.WasmPlugin
			require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
			if tc.matchMode == "" {
				assert.Empty(t, wp.Spec.Match)
			} else {
				require.Len(t, wp.Spec.Match, 1)
				assert.Equal(t, tc.matchMode, wp.Spec.Match[0].Mode.String())
			}
		})
	}
}

func TestWasmPluginLanewayRefusesBadConfigsNamingTheRole(t *testing.T) {
	badTenant := writeFile(t, "tr.yaml", "tenantHeader: x-laneway-tenant\nbogusField: 1\n")
	noMode := writeFile(t, "st.json", `{"mode":"sideways"}`)
	outbound := writeFile(t, "st-out.json", `{"mode":"outbound"}`)
	ok := writeFile(t, "ok.json", `{}`)
	empty := writeFile(t, "empty.json", `{}`)
	unknownRole := writeFile(t, "whole.json", `{"tenantroute":{},"compare":{}}`)
	tests := []struct {
		name   string
		args   []string
		errHas []string
	}{
		{"an unknown field in a role's file", []string{"laneway", "--tenantroute-config", badTenant}, []string{"rejected by laneway.ParseConfig", "tenantroute", `"bogusField"`}},
		{"a bad mode in a role's file", []string{"laneway", "--shadowtag-config", noMode}, []string{"shadowtag", `"sideways"`}},
		{"no role at all", []string{"laneway"}, []string{"tenantroute, shadowtag, synthetic"}},
		{"an empty document", []string{"laneway", "--config", empty}, []string{"tenantroute, shadowtag, synthetic"}},
		{"an unknown role key", []string{"laneway", "--config", unknownRole}, []string{`"compare"`}},
		{"--config with role files", []string{"laneway", "--config", unknownRole, "--tenantroute-config", ok}, []string{"--config and --tenantroute-config: got both"}},
		{"role files for another filter", []string{"tenantroute", "--tenantroute-config", ok}, []string{"--tenantroute-config: got them for filter tenantroute, expected them only for laneway"}},
		{"a missing role file", []string{"laneway", "--synthetic-config", "/nonexistent/synthetic.yaml"}, []string{"--synthetic-config", "/nonexistent/synthetic.yaml"}},
		{"a sidecar mode on a waypoint", []string{"laneway", "--shadowtag-config", outbound, "--waypoint", "waypoint", "-n", "shop"}, []string{"role shadowtag: mode", "waypoint"}},
		{"a waypoint-only tenantroute setting", []string{"laneway", "--tenantroute-config", writeFile(t, "tb.json", `{"trustBoundary":true}`), "--waypoint", "waypoint", "-n", "shop"}, []string{"role tenantroute: trustBoundary"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			args := append([]string{"wasmplugin"}, tc.args...)
			r := run(t, "", append(args, "--image", "r.example.com/laneway/laneway:v1", "--sha256", pinned)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout, "nothing is written on failure")
			for _, s := range tc.errHas {
				assert.Contains(t, r.stderr, s)
			}
		})
	}
}
