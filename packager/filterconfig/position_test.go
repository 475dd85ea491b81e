package filterconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckPositionRefusesSettingsThatCannotWorkThere(t *testing.T) {
	tests := []struct {
		filter, config string
		pos            Position
		errHas         string // "" = accepted
	}{
		{"tenantroute", `{}`, Waypoint, ""},
		{"tenantroute", `{"trustBoundary":true,"allow":["a"]}`, Waypoint, "trustBoundary: got true for a waypoint"},
		{"tenantroute", `{"trustBoundary":true,"allow":["a"]}`, Sidecar, ""},
		{"tenantroute", `{"workloadTenant":"sbx-1"}`, Waypoint, "a waypoint serves every caller"},
		{"tenantroute", `{"workloadTenant":"sbx-1"}`, Sidecar, ""},
		{"shadowtag", `{"mode":"waypoint","detect":{"principals":["spiffe://cluster.local/ns/shop/sa/c"]}}`, Waypoint, ""},
		{"shadowtag", `{"mode":"auto"}`, Waypoint, `mode: got "auto" for a waypoint`},
		{"shadowtag", `{}`, Waypoint, `mode: got "auto" for a waypoint`},
		{"shadowtag", `{}`, Sidecar, ""},
		{"shadowtag", `{"mode":"outbound"}`, Waypoint, "would not contain the candidate's writes"},
		{"shadowtag", `{"mode":"inbound"}`, Waypoint, "never sees a mirrored copy"},
		{"shadowtag", `{"mode":"waypoint"}`, Sidecar, `mode: got "waypoint" for a sidecar`},
		{"shadowtag", `{"mode":"outbound"}`, Sidecar, ""},
		{"synthetic", `{"mode":"waypoint"}`, Waypoint, ""},
		{"synthetic", `{"mode":"edge"}`, Waypoint, `mode: got "edge" for a waypoint`},
		{"synthetic", `{"mode":"inbound"}`, Waypoint, "expected \"waypoint\""},
		{"synthetic", `{"mode":"waypoint"}`, Sidecar, "--waypoint NAME"},
		{"synthetic", `{"mode":"mystery"}`, Waypoint, "mode"},
		{"synthetic", `{}`, Waypoint, "mode: got none for a waypoint, expected \"waypoint\""},
		{"synthetic", `{}`, Sidecar, ""},
	}
	for _, tc := range tests {
		t.Run(tc.filter+" "+tc.config, func(t *testing.T) {
			f, err := Lookup(tc.filter)
			require.NoError(t, err)
			err = f.CheckPosition([]byte(tc.config), tc.pos)
			if tc.errHas == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.errHas)
		})
	}
}
