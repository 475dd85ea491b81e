package combined

import (
	"strings"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/tenantroute"
	"github.com/tidwall/gjson"
)

// The role keys of the combined configuration, as the error messages list them.
const (
	KeyTenantroute = "tenantroute"
	KeyShadowtag   = "shadowtag"
	KeySynthetic   = "synthetic"
)

// keys are the fields of the combined configuration, in the order messages name them.
var keys = []string{KeyTenantroute, KeyShadowtag, KeySynthetic}

// allowedText is what an empty or role-less configuration is told.
const allowedText = `a JSON object with at least one of the fields tenantroute, shadowtag, synthetic, each holding the ` +
	`configuration that filter takes alone, e.g. {"tenantroute":{"allow":["acme"]},"synthetic":{"mode":"inbound"}}; ` +
	`a missing field turns that role off`

// Config is the validated configuration of the combined module: one parsed configuration per role that is
// on, nil for a role that is off. Each role's Config is parsed by that filter's own ParseConfig (for
// shadowtag, as the plain module parses it: no compare section). Keep it by pointer: the role configs hold
// memory their filters reuse for values handed to the host.
type Config struct {
	Synthetic   *synthetic.Config
	Shadowtag   *shadowtag.Config
	Tenantroute *tenantroute.Config
}

// ParseConfig validates the combined plugin configuration
// {"tenantroute":{...},"shadowtag":{...},"synthetic":{...}}. An absent, empty or role-less configuration
// is refused naming the three keys; unknown and repeated keys are refused; each role's object is parsed
// by its filter's own parser and its errors keep that filter's field names.
func ParseConfig(data []byte) (Config, error) {
	text := strings.TrimSpace(string(data))
	if text == "" {
		return Config{}, &pluginconfig.Error{Filter: "laneway", Got: "an empty configuration", Allowed: allowedText}
	}
	if !gjson.Valid(text) {
		return Config{}, &pluginconfig.Error{Filter: "laneway", Got: "invalid JSON", Allowed: allowedText}
	}
	doc := gjson.Parse(text)
	if !doc.IsObject() {
		return Config{}, &pluginconfig.Error{Filter: "laneway", Got: pluginconfig.Describe(doc), Allowed: allowedText}
	}
	var c Config
	err := pluginconfig.Walk("laneway", "", doc, keys, func(field, name string, v gjson.Result) error {
		if !v.IsObject() {
			return &pluginconfig.Error{Filter: "laneway", Field: field, Got: pluginconfig.Describe(v),
				Allowed: "a JSON object: the configuration the " + name + " filter takes alone ({} for its defaults)"}
		}
		raw := []byte(v.Raw)
		switch name {
		case KeyTenantroute:
			cfg, err := tenantroute.ParseConfig(raw)
			if err != nil {
				return roleErr(name, err)
			}
			c.Tenantroute = &cfg
		case KeyShadowtag:
			cfg, err := parseShadowtag(raw)
			if err != nil {
				return roleErr(name, err)
			}
			c.Shadowtag = &cfg
		case KeySynthetic:
			cfg, err := synthetic.ParseConfig(raw)
			if err != nil {
				return roleErr(name, err)
			}
			c.Synthetic = &cfg
		}
		return nil
	})
	if err != nil {
		return Config{}, err
	}
	if c.Synthetic == nil && c.Shadowtag == nil && c.Tenantroute == nil {
		return Config{}, &pluginconfig.Error{Filter: "laneway", Got: "no role (" + text + ")", Allowed: allowedText}
	}
	return c, nil
}

// parseShadowtag parses shadowtag's section as the plain shadowtag module does: the combined module sees
// no response bodies, so a compare section is refused with plain shadowtag's own message.
func parseShadowtag(raw []byte) (shadowtag.Config, error) {
	if gjson.GetBytes(raw, "compare").Exists() {
		return shadowtag.ParseModuleConfig("shadowtag", raw)
	}
	return shadowtag.ParseConfig(raw)
}

// RoleError is an error in one role's section: the role's key and its filter's own error.
type RoleError struct {
	Role string
	Err  error
	_    [0]func() // not comparable: spares the module an equality function
}

// Error renders `laneway config: role <role>: <the filter's message>`.
func (e *RoleError) Error() string { return "laneway config: role " + e.Role + ": " + e.Err.Error() }

// Unwrap returns the filter's error.
func (e *RoleError) Unwrap() error { return e.Err }

func roleErr(role string, err error) error { return &RoleError{Role: role, Err: err} }

// Roles returns the names of the roles that are on, in the order they run (see the package comment).
func (c *Config) Roles() []string {
	var out []string
	if c.Synthetic != nil {
		out = append(out, KeySynthetic)
	}
	if c.Shadowtag != nil {
		out = append(out, KeyShadowtag)
	}
	if c.Tenantroute != nil {
		out = append(out, KeyTenantroute)
	}
	return out
}

// Summary returns the roles in their order; each role logs its own summary at start-up.
func (c *Config) Summary() string {
	return "laneway: roles " + strings.Join(c.Roles(), " -> ") + " (in this order, over one header read per request)"
}
