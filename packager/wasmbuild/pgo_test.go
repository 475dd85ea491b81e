package wasmbuild_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// Every shipped filter is built with its profile (filters/<name>/default.pgo, written by make pgo): go build
// applies it to the main package beside it and records it in the module's build settings.
func TestShippedModulesAreBuiltWithTheirProfile(t *testing.T) {
	root := repoRoot(t)
	for _, name := range filters.Shipped() {
		t.Run(name, func(t *testing.T) {
			info, err := os.Stat(filepath.Join(root, filepath.FromSlash(filters.SourceDir(name)), "default.pgo"))
			require.NoError(t, err, "no profile for %s: run make pgo", name)
			assert.Positive(t, info.Size())
			assert.True(t, bytes.Contains(testenvtest.DistModule(t, name), []byte("\nbuild\t-pgo=default.pgo\n")),
				"dist/%s.wasm was not built with its default.pgo", name)
		})
	}
	// The fixtures are the baselines the filters are measured against: built as they are, without a profile.
	for _, name := range filters.Fixtures() {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(filters.SourceDir(name)), "default.pgo"))
		assert.True(t, os.IsNotExist(err), "fixture %s has a profile", name)
	}
}
