// Package filterconfig is the CLI's registry of laneway filters: each entry validates
// a plugin config with the filter's own ParseConfig and carries the filter's
// WasmPlugin defaults.
package filterconfig

import (
	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/tenantroute"
)

// Filter is what the CLI knows about one filter.
type Filter struct {
	// Name is the filter's directory under filters/ and its default WasmPlugin name.
	Name string
	// Summary is a one-line description for help text.
	Summary string
	// MatchMode is the default WasmPlugin traffic mode ("" means all traffic).
	MatchMode string
	// Validate parses a JSON plugin config exactly as the filter does on configure.
	Validate func(config []byte) error
}

// registry holds what the CLI knows about each shipped filter (filters.Shipped, the one list of them; a
// test holds the two to the same names).
var registry = map[string]Filter{
	// laneway is the combined module: each role's section is checked by that filter's own parser.
	"laneway":     {Summary: "synthetic, shadowtag and tenantroute in one module (one VM, one header read)", Validate: validator(combined.ParseConfig)},
	"tenantroute": {Summary: "tenant routing from W3C baggage (caller side)", MatchMode: "CLIENT", Validate: validator(tenantroute.ParseConfig)},
	"shadowtag":   {Summary: "shadow/mirror traffic detection and containment", Validate: shadowtagModule("shadowtag")},
	// shadowtag-compare is shadowtag's module with compare captures and body redaction: the same config,
	// checked as that module reads it (the plain module refuses compare and jsonFields).
	"shadowtag-compare": {Summary: "shadowtag plus compare captures for a collector and JSON body redaction of shadow copies", Validate: shadowtagModule("shadowtag-compare")},
	"synthetic":         {Summary: "synthetic transaction marking and refusal of unsafe calls", Validate: validator(synthetic.ParseConfig)},
}

// shadowtagModule validates a config as the named shadowtag module does on configure.
func shadowtagModule(module string) func([]byte) error {
	return func(b []byte) error {
		_, err := shadowtag.ParseModuleConfig(module, b)
		return err
	}
}

func validator[C any](parse func([]byte) (C, error)) func([]byte) error {
	return func(b []byte) error {
		_, err := parse(b)
		return err
	}
}

// Names lists the known filters, sorted: the shipped ones.
func Names() []string { return filters.Shipped() }

// Lookup returns the named filter or an error listing the known ones (test fixtures are not among them).
func Lookup(name string) (Filter, error) {
	if err := filters.CheckShipped(name); err != nil {
		return Filter{}, err
	}
	f := registry[name]
	f.Name = name
	return f, nil
}
