package filters

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func root(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	r, err := FindRoot(wd)
	require.NoError(t, err)
	return r
}

// mains lists the directories under dir holding a main.go.
func mains(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestTheListsNameEveryMainPackageUnderFilters(t *testing.T) {
	r := root(t)
	assert.Equal(t, mains(t, filepath.Join(r, "filters")), Shipped(), "every filters/<name>/main.go is a shipped filter")
	assert.Equal(t, mains(t, filepath.Join(r, "filters", "fixtures")), Fixtures(), "every filters/fixtures/<name>/main.go is a fixture")
	for _, n := range append(Shipped(), Fixtures()...) {
		assert.FileExists(t, filepath.Join(r, filepath.FromSlash(SourceDir(n)), "main.go"))
	}
}

func TestModulePathKeepsFixturesOutOfDist(t *testing.T) {
	assert.Equal(t, filepath.Join("/r", "dist", "tenantroute.wasm"), ModulePath("/r", "tenantroute"))
	assert.Equal(t, filepath.Join("/r", ".build", "fixtures", "noop.wasm"), ModulePath("/r", "noop"))
	assert.Equal(t, "filters/fixtures/conformance", SourceDir("conformance"))
	assert.Equal(t, "filters/synthetic", SourceDir("synthetic"))
}

func TestCheckShipped(t *testing.T) {
	for _, tc := range []struct {
		name, err string
	}{
		{"tenantroute", ""},
		{"conformance", `"conformance" is a test fixture (filters/fixtures/conformance), not a shipped filter: expected one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute`},
		{"tenant-route", `unknown filter "tenant-route": expected one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckShipped(tc.name)
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.err)
		})
	}
}

func TestShippedReturnsACopy(t *testing.T) {
	s := Shipped()
	s[0] = "x"
	assert.Equal(t, "laneway", Shipped()[0])
}

func TestFindRootRefusesADirectoryOutsideACheckout(t *testing.T) {
	_, err := FindRoot(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no laneway checkout above")
}
