// Package filters is the one list of laneway's filter modules and says where they live. The shipped
// filters have a main package under filters/<name> and are built to dist/<name>.wasm; only they are built
// by `laneway build`, pushed, turned into WasmPlugins and run by the demo. The test fixtures (a no-op
// baseline, the host conformance probe, the cost probe) have theirs under filters/fixtures/<name> and are
// built for tests only, to .build/fixtures/<name>.wasm, never into dist/. The package imports nothing but
// the standard library, so the build, the CLI and tests share it.
package filters

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The module lists, sorted.
var (
	shipped  = []string{"laneway", "shadowtag", "shadowtag-compare", "synthetic", "tenantroute"}
	fixtures = []string{"conformance", "costprobe", "noop"}
)

// Shipped returns the names of the shipped filters, sorted.
func Shipped() []string { return slices.Clone(shipped) }

// Fixtures returns the names of the test fixtures, sorted.
func Fixtures() []string { return slices.Clone(fixtures) }

// IsShipped reports whether name is a shipped filter.
func IsShipped(name string) bool { return slices.Contains(shipped, name) }

// IsFixture reports whether name is a test fixture.
func IsFixture(name string) bool { return slices.Contains(fixtures, name) }

// CheckShipped returns nil for a shipped filter, else an error naming the shipped ones (and saying so when
// name is a test fixture).
func CheckShipped(name string) error {
	switch {
	case IsShipped(name):
		return nil
	case IsFixture(name):
		return fmt.Errorf("%q is a test fixture (filters/fixtures/%s), not a shipped filter: expected one of %s", name, name, strings.Join(shipped, ", "))
	default:
		return fmt.Errorf("unknown filter %q: expected one of %s", name, strings.Join(shipped, ", "))
	}
}

// SourceDir returns the directory of the main package of the module name, relative to the module root
// (slash-separated): filters/<name> or filters/fixtures/<name>.
func SourceDir(name string) string {
	if IsFixture(name) {
		return "filters/fixtures/" + name
	}
	return "filters/" + name
}

// ModulePath returns where the build writes the module name in the checkout at root: dist/<name>.wasm for a
// shipped filter, .build/fixtures/<name>.wasm for a test fixture.
func ModulePath(root, name string) string {
	if IsFixture(name) {
		return filepath.Join(FixturesDir(root), name+".wasm")
	}
	return filepath.Join(root, "dist", name+".wasm")
}

// FixturesDir returns the directory the build writes the test fixtures to, in the checkout at root.
func FixturesDir(root string) string { return filepath.Join(root, ".build", "fixtures") }

// FindRoot walks up from dir to the directory whose go.mod declares the laneway module.
func FindRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/laneway/laneway\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no laneway checkout above %s: run the build from inside the laneway repository (the directory with go.mod and filters/)", dir)
		}
	}
}
