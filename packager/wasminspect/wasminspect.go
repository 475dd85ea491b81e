// Package wasminspect reads a proxy-wasm module's ABI version, imports and exports
// with wazero and checks them against what each Envoy generation links.
package wasminspect

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/packager/wasmbuild/filterid"
	"github.com/laneway/laneway/testenv/envoyabi"
)

// Function is one imported or exported function.
type Function struct {
	Module    string `json:"module,omitempty"`
	Name      string `json:"name"`
	Signature string `json:"signature"`
}

// Support is whether one Envoy generation loads the module.
type Support struct {
	Generation string `json:"generation"`
	MinEnvoy   string `json:"minEnvoy"`
	MinIstio   string `json:"minIstio"`
	Loads      bool   `json:"loads"`
	Reason     string `json:"reason,omitempty"`
}

// Report is what inspect prints.
type Report struct {
	// Filter is the laneway filter the module names in its laneway.filter section ("" if none).
	Filter     string     `json:"filter,omitempty"`
	Size       int        `json:"size"`
	ABIVersion string     `json:"abiVersion"`
	Imports    []Function `json:"imports"`
	Exports    []Function `json:"exports"`
	Support    []Support  `json:"support"`
	// MinEnvoy and MinIstio are the oldest releases that load the module ("" if none).
	MinEnvoy string `json:"minEnvoy"`
	MinIstio string `json:"minIstio"`
	// Notes are runtime caveats that do not stop the load.
	Notes []string `json:"notes,omitempty"`
}

// generationInfo maps envoyabi generations to the oldest Envoy and Istio releases in them.
var generationInfo = map[envoyabi.Generation]struct{ envoy, istio string }{
	envoyabi.Envoy133: {envoy: "1.33", istio: "1.25"},
	envoyabi.Envoy139: {envoy: "1.39", istio: "1.31 (the first Istio built on Envoy 1.39; check `istioctl version`)"},
}

// Inspect compiles module with wazero (no code runs) and checks it against every
// Envoy generation. The error is non-nil when the bytes are not a valid Wasm module.
func Inspect(ctx context.Context, module []byte) (*Report, error) {
	if len(module) < 8 || string(module[:4]) != "\x00asm" {
		return nil, fmt.Errorf("not a Wasm binary: got %d bytes starting with %q, expected the \\0asm magic; pass a .wasm built by `laneway build`", len(module), head(module))
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, module)
	if err != nil {
		return nil, fmt.Errorf("invalid Wasm module: %w (expected a module that validates as WebAssembly 2.0)", err)
	}
	defer cm.Close(ctx)

	m := envoyabi.Describe(cm)
	rep := &Report{Size: len(module)}
	if rep.Filter, err = filterid.Read(module); err != nil {
		rep.Notes = append(rep.Notes, "the module's filter name cannot be read: "+err.Error())
	}
	// A module may import one host function more than once (Go's runtime and its syscall package each
	// import fd_write); the host links each the same way, so the report lists it once.
	seen := map[Function]bool{}
	for _, im := range m.Imports {
		f := Function{Module: im.Module, Name: im.Name, Signature: im.Sig.String()}
		if !seen[f] {
			seen[f] = true
			rep.Imports = append(rep.Imports, f)
		}
	}
	for _, ex := range m.Exports {
		rep.Exports = append(rep.Exports, Function{Name: ex.Name, Signature: ex.Sig.String()})
	}
	sort.Slice(rep.Imports, func(i, j int) bool {
		if rep.Imports[i].Module != rep.Imports[j].Module {
			return rep.Imports[i].Module < rep.Imports[j].Module
		}
		return rep.Imports[i].Name < rep.Imports[j].Name
	})

	for _, g := range envoyabi.Generations {
		info := generationInfo[g]
		s := Support{Generation: g.String(), MinEnvoy: info.envoy, MinIstio: info.istio, Loads: true}
		v, err := envoyabi.Check(g, m)
		if v != "" {
			rep.ABIVersion = string(v)
		}
		if err != nil {
			s.Loads, s.Reason = false, err.Error()
		} else if rep.MinEnvoy == "" {
			rep.MinEnvoy, rep.MinIstio = info.envoy, info.istio
		}
		rep.Support = append(rep.Support, s)
	}
	if rep.MinEnvoy == "1.33" && imports(m, "poll_oneoff") {
		rep.Notes = append(rep.Notes, "Envoy 1.33-1.38 answer poll_oneoff with NOSYS: the module loads, but the Go runtime dies once a timer exists (time.Sleep/AfterFunc, context deadlines, crypto/rand); laneway filters create none")
	}
	return rep, nil
}

// Loadable reports whether at least one Envoy generation loads the module.
func (r *Report) Loadable() bool { return r.MinEnvoy != "" }

// Refusal explains why no Envoy generation loads the module, with a fix.
func (r *Report) Refusal() error {
	if r.Loadable() {
		return nil
	}
	var reasons []string
	for _, s := range r.Support {
		reasons = append(reasons, s.Reason)
	}
	return fmt.Errorf("no supported Envoy can load this module: %s; expected only the proxy-wasm 0.2.x and WASI imports Envoy provides, an ABI marker export and proxy_on_memory_allocate or malloc; rebuild it with `laneway build` (standard Go, GOOS=wasip1, -buildmode=c-shared) and avoid packages that import other host functions", strings.Join(reasons, "; "))
}

func imports(m envoyabi.Module, name string) bool {
	for _, i := range m.Imports {
		if i.Name == name {
			return true
		}
	}
	return false
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}
