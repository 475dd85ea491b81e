package costbench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/laneway/laneway/testenv"
)

// FileCase is one case of a cases file (filter-requests.json and the like): a named exchange on a module, as
// cmd/instrcount and cmd/abcompare read them.
type FileCase struct {
	Name, Module, Config string
	Props                map[string]string
	Req, Resp            [][2]string // Resp nil: request only
}

// Case returns the exchange as a Case to measure.
func (fc FileCase) Case() Case {
	c := Case{Module: fc.Module, PluginConfig: fc.Config, Request: testenv.HeadersOf(fc.Req), Response: testenv.HeadersOf(fc.Resp)}
	if len(fc.Props) > 0 {
		c.Properties = make(map[string][]byte, len(fc.Props))
		for k, v := range fc.Props {
			c.Properties[k] = []byte(v)
		}
	}
	return c
}

// ReadCases reads and checks a cases file: a JSON list of {"Name", "Module", "Config", "Props", "Req", "Resp"}.
func ReadCases(path string) ([]FileCase, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var cs []FileCase
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("%s: %w: expected a JSON list of {\"Name\",\"Module\",\"Config\",\"Props\",\"Req\",\"Resp\"}", path, err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%s holds no case: expected a JSON list of {\"Name\",\"Module\",\"Config\",\"Props\",\"Req\",\"Resp\"}", path)
	}
	seen := map[string]bool{}
	for i, c := range cs {
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s: case %d has no Name", path, i)
		case seen[c.Name]:
			return nil, fmt.Errorf("%s: case %d: the Name %q is used twice", path, i, c.Name)
		case c.Module == "" || strings.ContainsAny(c.Module, `/\`) || strings.HasSuffix(c.Module, ".wasm"):
			return nil, fmt.Errorf("%s: case %q: Module is %q: expected a module name such as tenantroute (the file is <Module>.wasm in each build's folder)", path, c.Name, c.Module)
		case len(c.Req) == 0:
			return nil, fmt.Errorf("%s: case %q has no Req headers: expected [[\":method\",\"GET\"],...]", path, c.Name)
		}
		seen[c.Name] = true
	}
	return cs, nil
}

// ModuleFile is where a case's module is in one build: DIR/<module>.wasm, or the file itself.
func ModuleFile(build, module string) (string, error) {
	st, err := os.Stat(build)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return filepath.Join(build, module+".wasm"), nil
	}
	return build, nil
}
