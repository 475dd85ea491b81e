package filterconfig

import (
	"fmt"

	"github.com/tidwall/gjson"

	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
)

// Combined is the module that runs tenantroute, shadowtag and synthetic in one VM.
const Combined = "laneway"

// Roles are the combined module's config keys, in the order the module runs them; each is also the name of
// the filter whose config that key holds.
var Roles = []string{combined.KeySynthetic, combined.KeyShadowtag, combined.KeyTenantroute}

func init() {
	checkPosition[Combined] = combinedPosition
}

// combinedPosition validates a combined config with the module's own parser (each role's section by its
// filter's ParseConfig), then each role's section for the position exactly as that filter alone would be.
func combinedPosition(b []byte, p Position) error {
	if _, err := combined.ParseConfig(b); err != nil {
		return err
	}
	for _, role := range Roles {
		v := gjson.GetBytes(b, role)
		if !v.Exists() {
			continue
		}
		if err := checkPosition[role]([]byte(v.Raw), p); err != nil {
			return fmt.Errorf("role %s: %w", role, err)
		}
	}
	return nil
}

// MatchModeFor is the default WasmPlugin traffic mode for config: the filter's own, and for the combined
// module CLIENT when every role it runs belongs on the caller's side or at the edge (tenantroute, and
// shadowtag or synthetic in mode outbound or edge), else all traffic: a role without a mode takes it from
// the listener's direction, and an inbound role must see server traffic.
func (f Filter) MatchModeFor(config []byte) string {
	if f.Name != Combined {
		return f.MatchMode
	}
	c, err := combined.ParseConfig(config)
	if err != nil {
		return ""
	}
	if c.Shadowtag != nil && c.Shadowtag.Mode != shadowtag.ModeOutbound && c.Shadowtag.Mode != shadowtag.ModeEdge {
		return ""
	}
	if c.Synthetic != nil && c.Synthetic.Mode != synthetic.ModeOutbound && c.Synthetic.Mode != synthetic.ModeEdge {
		return ""
	}
	return "CLIENT"
}
