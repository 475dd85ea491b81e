package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientext "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	"sigs.k8s.io/yaml"
)

func TestWasmPluginForAWaypointTargetsItAndLeavesTheTrafficModeUnset(t *testing.T) {
	shadow := writeFile(t, "shadowtag.json", `{"mode":"waypoint","detect":{"principals":["spiffe://cluster.local/ns/shop/sa/svc-b-candidate"]}}`)
	tests := []struct {
		name      string
		args      []string
		wantGroup string
		wantKind  string
		wantName  string
	}{
		{"wasmplugin_tenantroute_waypoint", []string{"wasmplugin", "tenantroute", "--image", "registry.example.com/laneway/tenantroute:v1",
			"--sha256", pinned, "-n", "shop", "--waypoint", "waypoint"}, "gateway.networking.k8s.io", "Gateway", "waypoint"},
		{"wasmplugin_shadowtag_waypoint_service", []string{"wasmplugin", "shadowtag", "--image", "registry.example.com/laneway/shadowtag:v1",
			"--sha256", pinned, "-n", "shop", "--target-ref", "Service/payments", "--config", shadow}, "", "Service", "payments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			require.Equal(t, 0, r.code, r.stderr)
			golden(t, tc.name, r.stdout)
			var wp clientext.WasmPlugin
			require.NoError(t, yaml.UnmarshalStrict([]byte(r.stdout), &wp))
			require.Len(t, wp.Spec.TargetRefs, 1)
			assert.Equal(t, tc.wantGroup, wp.Spec.TargetRefs[0].Group)
			assert.Equal(t, tc.wantKind, wp.Spec.TargetRefs[0].Kind)
			assert.Equal(t, tc.wantName, wp.Spec.TargetRefs[0].Name)
			assert.Empty(t, wp.Spec.Match, "no CLIENT mode: a waypoint installs plugins with the SERVER class")
			assert.Nil(t, wp.Spec.Selector)
		})
	}
}

func TestWasmPluginRefusesWhatCannotWorkOnAWaypoint(t *testing.T) {
	cfg := func(name, content string) string { return writeFile(t, name, content) }
	base := func(filter string, extra ...string) []string {
		return append([]string{"wasmplugin", filter, "--image", "registry.example.com/laneway/" + filter + ":v1", "--sha256", pinned, "-n", "shop"}, extra...)
	}
	tests := []struct {
		name   string
		args   []string
		errHas []string
	}{
		{"tenantroute as a trust boundary on a waypoint", base("tenantroute", "--waypoint", "waypoint", "--config", cfg("t.json", `{"trustBoundary":true,"allow":["a"]}`)),
			[]string{"trustBoundary: got true for a waypoint", "ingress gateway"}},
		{"tenantroute with workloadTenant on a waypoint", base("tenantroute", "--target-ref", "Service/svc-b", "--config", cfg("w.json", `{"workloadTenant":"sbx-1"}`)),
			[]string{`workloadTenant: got "sbx-1" for a waypoint`}},
		{"an explicit CLIENT mode on a waypoint", base("tenantroute", "--waypoint", "waypoint", "--match-mode", "CLIENT"),
			[]string{"--match-mode: got CLIENT for a waypoint", "SERVER traffic class"}},
		{"shadowtag's auto mode on a waypoint", base("shadowtag", "--waypoint", "waypoint", "--config", cfg("s.json", `{"mode":"auto"}`)),
			[]string{`mode: got "auto" for a waypoint`, "detect.principals"}},
		{"shadowtag's waypoint mode on a sidecar", base("shadowtag", "--selector", "app=svc-b", "--config", cfg("s2.json", `{"mode":"waypoint"}`)),
			[]string{`mode: got "waypoint" for a sidecar or gateway`}},
		{"synthetic's edge mode on a waypoint", base("synthetic", "--waypoint", "waypoint", "--config", cfg("y.json", `{"mode":"edge"}`)),
			[]string{`mode: got "edge" for a waypoint`}},
		{"a waypoint and a gateway in one plugin", base("tenantroute", "--waypoint", "waypoint", "--target-ref", "Gateway/public"),
			[]string{"got waypoint targets", "one kind per WasmPlugin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			r := run(t, "", tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			for _, w := range tc.errHas {
				assert.Contains(t, r.stderr, w)
			}
		})
	}
}
