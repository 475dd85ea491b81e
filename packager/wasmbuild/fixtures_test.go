package wasmbuild

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
)

func TestBuildRefusesAFixtureUnlessAskedAndWritesItApartFromTheShippedModules(t *testing.T) {
	root, out := repoRoot(t), t.TempDir()
	_, err := Build(context.Background(), Options{Root: root, OutDir: out, Filters: []string{"noop"}})
	require.Error(t, err, "laneway build never builds a fixture")
	assert.Contains(t, err.Error(), `"noop" is a test fixture`)

	arts, err := Build(context.Background(), Options{Root: root, OutDir: out, Filters: []string{"noop"}, Fixtures: true})
	require.NoError(t, err)
	require.Len(t, arts, 1)
	assert.Equal(t, filters.ModulePath(root, "noop"), arts[0].Path, "fixtures go to the fixtures folder")
	assert.FileExists(t, arts[0].Path)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing lands in the output folder for users")
}
