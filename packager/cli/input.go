package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/packager/wasminspect"
)

var filterName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// module is a Wasm file named on the command line.
type module struct {
	// Filter is the filter name (the file's base name without .wasm).
	Filter string
	Path   string
	Bytes  []byte
}

// distDir returns <repo>/dist when run inside a laneway checkout, else ./dist.
func distDir() string {
	if root, err := wasmbuild.CheckoutRoot(); err == nil {
		return filepath.Join(root, "dist")
	}
	return "dist"
}

// knownFilters lists the filters `laneway build` builds (package filters: the shipped ones).
func knownFilters() []string { return filters.Shipped() }

// loadModule reads FILE.wasm, or dist/FILTER.wasm when arg is the name of a shipped filter (a test fixture's
// name is refused: fixtures are never pushed or deployed).
func loadModule(arg string) (*module, error) {
	st, err := os.Stat(arg)
	switch {
	case err == nil && st.Mode().IsRegular():
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("module %s: %w", arg, err)
		}
		return &module{Filter: strings.TrimSuffix(filepath.Base(arg), ".wasm"), Path: arg, Bytes: b}, nil
	case err == nil && st.IsDir() && !filterName.MatchString(arg): // a folder named like a filter is the filter
		return nil, fmt.Errorf("module %s is a folder; expected a .wasm file or a filter name such as tenantroute", arg)
	case strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) || strings.HasSuffix(arg, ".wasm"):
		return nil, fmt.Errorf("module %s does not exist; expected the path of a .wasm file (relative to the current folder) or a filter name such as tenantroute", arg)
	case !filterName.MatchString(arg):
		return nil, fmt.Errorf("module %q is neither a file here nor a filter name; expected a .wasm file or one of %s", arg, strings.Join(knownFilters(), ", "))
	}
	if filters.IsFixture(arg) {
		return nil, fmt.Errorf("module %q: %w; or pass the path of a .wasm file", arg, filters.CheckShipped(arg))
	}
	path := filepath.Join(distDir(), arg+".wasm")
	b, err := os.ReadFile(path)
	if err == nil {
		return &module{Filter: arg, Path: path, Bytes: b}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("module %q: %w", arg, err)
	}
	known := knownFilters()
	if !slices.Contains(known, arg) {
		if near := closest(arg, known); near != "" {
			return nil, fmt.Errorf("module %q: no filter has that name; did you mean %s? (filters: %s)", arg, near, strings.Join(known, ", "))
		}
		return nil, fmt.Errorf("module %q: no filter has that name and no such file exists; expected a .wasm file or one of %s", arg, strings.Join(known, ", "))
	}
	return nil, fmt.Errorf("module %q: %s does not exist; expected a built filter: run `laneway build %s` (or `make build`) first, or pass the path of a .wasm file", arg, path, arg)
}

// closest returns the candidate nearest to s in edit distance, if it is near enough to be a typo.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkModule inspects a module and refuses it when no supported Envoy loads it. The report is returned
// with the refusal too, for a command that shows it before failing (inspect); name says which module
// the errors are about. This is every command's load → inspect → refusal sequence.
func checkModule(ctx context.Context, name string, b []byte) (*wasminspect.Report, error) {
	rep, err := wasminspect.Inspect(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := rep.Refusal(); err != nil {
		return rep, fmt.Errorf("%s: %w", name, err)
	}
	return rep, nil
}

// envoyNeeds is the oldest Envoy and Istio that load a module, as build, push and verify report it.
type envoyNeeds struct {
	MinEnvoy string `json:"minEnvoy"`
	MinIstio string `json:"minIstio"`
}

func needsOf(rep *wasminspect.Report) envoyNeeds {
	return envoyNeeds{MinEnvoy: rep.MinEnvoy, MinIstio: rep.MinIstio}
}

// imagePin is what pins an image in a WasmPlugin, as push and verify report it.
type imagePin struct {
	// Digest is the manifest digest ("sha256:<hex>").
	Digest string `json:"digest"`
	// SHA256 is the value for WasmPlugin.spec.sha256.
	SHA256 string `json:"sha256"`
}

func pinOf(manifest v1.Hash) imagePin {
	return imagePin{Digest: manifest.String(), SHA256: manifest.Hex}
}

// writePinned writes the lines push and verify end their text result with: the pin and what loads the module.
func writePinned(w io.Writer, pin imagePin, needs envoyNeeds) error {
	_, err := fmt.Fprintf(w, "Digest: %s\nWasmPlugin sha256: %s\nNeeds: Envoy >= %s, Istio >= %s\n", pin.Digest, pin.SHA256, needs.MinEnvoy, needs.MinIstio)
	return err
}

// readFlagFile reads the file a flag names; a missing file or a folder is reported with the flag, the path
// and what the flag expects.
func readFlagFile(flag, path, expected string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: %s does not exist; expected %s (relative paths start in the current folder)", flag, path, expected)
	case isDir(path):
		return nil, fmt.Errorf("%s: %s is a folder; expected %s", flag, path, expected)
	}
	return nil, fmt.Errorf("%s: %w; expected %s", flag, err, expected)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
