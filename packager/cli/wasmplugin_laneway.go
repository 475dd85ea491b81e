package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/istiores"
)

// roleConfigOptions is the flag group --<role>-config, one per role of the combined module: each takes the
// file that filter's own `wasmplugin FILTER --config` takes.
type roleConfigOptions struct {
	paths map[string]*string
	// json holds each given role's config as JSON, read by validate.
	json map[string]json.RawMessage
}

func (o *roleConfigOptions) applyFlags(fs *pflag.FlagSet) {
	o.paths = map[string]*string{}
	for _, role := range filterconfig.Roles {
		p := new(string)
		o.paths[role] = p
		fs.StringVar(p, role+"-config", "", "with FILTER "+filterconfig.Combined+": turn the "+role+" role on with this config file, what `wasmplugin "+role+" --config` takes (JSON or YAML; an empty file for its defaults)")
	}
}

// validate reads the given role files as --config reads its file.
func (o *roleConfigOptions) validate(*cobra.Command, []string) error {
	o.json = map[string]json.RawMessage{}
	for _, role := range filterconfig.Roles {
		path := *o.paths[role]
		if path == "" {
			continue
		}
		flag := "--" + role + "-config"
		raw, err := readFlagFile(flag, path, "the "+role+" config file (JSON or YAML), what `laneway wasmplugin "+role+" --config` takes")
		if err != nil {
			return err
		}
		if o.json[role], err = istiores.ConfigToJSON(raw); err != nil {
			return fmt.Errorf("%s %s: %w", flag, path, err)
		}
	}
	return nil
}

// flags names the role flags given, in role order.
func (o *roleConfigOptions) flags() []string {
	var out []string
	for _, role := range filterconfig.Roles {
		if _, ok := o.json[role]; ok {
			out = append(out, "--"+role+"-config")
		}
	}
	return out
}

// combinedConfig builds the combined module's config {"<role>": <config>, ...} from the role files; ok is
// false when none was given. They are only for the combined module, and not together with --config.
func (o *roleConfigOptions) combinedConfig(filter, configPath string) (config []byte, ok bool, err error) {
	given := o.flags()
	switch {
	case len(given) == 0:
		return nil, false, nil
	case filter != filterconfig.Combined:
		return nil, false, fmt.Errorf("%s: got them for filter %s, expected them only for %s (the combined module); for %s alone pass its config with --config",
			strings.Join(given, ", "), filter, filterconfig.Combined, filter)
	case configPath != "":
		return nil, false, fmt.Errorf("--config and %s: got both, expected one way to give the config: either --config with the whole {\"tenantroute\":{...},\"shadowtag\":{...},\"synthetic\":{...}} document, or one --<role>-config file per role",
			strings.Join(given, ", "))
	}
	b, err := json.Marshal(o.json)
	return b, true, err
}
