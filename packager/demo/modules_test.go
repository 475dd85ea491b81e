package demo

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/wasmbuild"
)

// TestStalenessCoversEveryPackageCompiledIntoAModule asks the go command which of laneway's packages each
// filter module is compiled from (as the Wasm build compiles it) and requires every one of them, and the
// build recipe, to lie under a directory newestSource watches: an edit anywhere there must rebuild.
func TestStalenessCoversEveryPackageCompiledIntoAModule(t *testing.T) {
	root, err := wasmbuild.CheckoutRoot()
	require.NoError(t, err)
	covered := func(dir string, watched []string) bool {
		for _, w := range watched {
			if dir == w || strings.HasPrefix(dir, w+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}
	for _, name := range Filters {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-tags", "laneway_glue", "-deps", "-f", "{{.Dir}}", "./filters/"+name)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off")
			out, err := cmd.Output()
			require.NoError(t, err)
			watched := sourceDirs(root, name)
			inModule := 0
			for _, dir := range strings.Fields(string(out)) {
				if !strings.HasPrefix(dir, root+string(filepath.Separator)) {
					continue // the standard library and modules from the module cache
				}
				inModule++
				rel, _ := filepath.Rel(root, dir)
				assert.True(t, covered(dir, watched), "%s is compiled into %s.wasm, but newestSource does not watch it", rel, name)
			}
			assert.Greater(t, inModule, 3, "go list found laneway's own packages")
			assert.True(t, covered(filepath.Join(root, "packager", "wasmbuild"), watched), "the build recipe and its SDK patches")
		})
	}
}

// TestMakeDemoBuildsOnlyTheShippedFilters holds `make demo` to the modules the demo runs: it must not
// build every filter (make build also compiles the test-only noop, conformance and costprobe
// modules), and the demo's Filters are the shipped filters, those built from a logic package at the root
// (shadowtag-compare from shadowtag).
func TestMakeDemoBuildsOnlyTheShippedFilters(t *testing.T) {
	root, err := wasmbuild.CheckoutRoot()
	require.NoError(t, err)
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make is needed to read the Makefile's demo target: %v", err)
	}
	cmd := exec.Command("make", "-n", "demo")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	recipe := string(out)
	assert.Contains(t, recipe, "laneway demo")
	assert.Contains(t, recipe, "still compiling the CLI", "a line every few seconds while the CLI compiles")
	for _, notWanted := range []string{"wasmbuild", "noop", "conformance", "costprobe"} {
		assert.NotContains(t, recipe, notWanted)
	}

	// Every shipped filter runs in the demo: the combined module with each of its roles, and the compare
	// variant; the separate role modules are the same code as the combined module's roles.
	ran := append(append([]string{}, Filters...), filterconfig.Roles...)
	assert.ElementsMatch(t, filters.Shipped(), ran, "the demo runs every shipped filter (package filters), as the combined module's roles or itself")
	assert.Subset(t, filters.Shipped(), Filters)
}
