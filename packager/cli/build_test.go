package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildCompilesAFilterThatEnvoyCanLoad(t *testing.T) {
	out := t.TempDir()
	r := run(t, "", "build", "tenantroute", "--out-dir", out, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var arts []struct {
		Filter   string `json:"filter"`
		Path     string `json:"path"`
		Size     int64  `json:"size"`
		MinEnvoy string `json:"minEnvoy"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &arts), r.stdout)
	require.Len(t, arts, 1)
	assert.Equal(t, "tenantroute", arts[0].Filter)
	assert.Equal(t, "1.33", arts[0].MinEnvoy)
	st, err := os.Stat(arts[0].Path)
	require.NoError(t, err)
	assert.Equal(t, arts[0].Size, st.Size())
	assert.Contains(t, r.stderr, "Built 1 module(s)")

	insp := run(t, "", "inspect", arts[0].Path)
	assert.Equal(t, 0, insp.code, insp.stderr)
}

func TestBuildNamesTheKnownFiltersForAnUnknownOne(t *testing.T) {
	r := run(t, "", "build", "nosuch", "--out-dir", t.TempDir())
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `unknown filter "nosuch"`)
	assert.Contains(t, r.stderr, "tenantroute")
}

func TestBuildRefusesATestFixture(t *testing.T) {
	out := t.TempDir()
	r := run(t, "", "build", "conformance", "--out-dir", out)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, `"conformance" is a test fixture (filters/fixtures/conformance), not a shipped filter: expected one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute`)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing is built")
}

func TestBuildOutDirIsRelativeToTheWorkingDirectory(t *testing.T) {
	// The test runs in packager/cli, a subdirectory of the checkout; go build itself runs in the checkout's
	// root, so a relative --out-dir must be resolved against the working directory first.
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel := "testout-" + filepath.Base(t.TempDir())
	t.Cleanup(func() {
		_ = os.RemoveAll(filepath.Join(wd, rel))
		_ = os.RemoveAll(filepath.Join(wd, "..", "..", rel))
	})
	r := run(t, "", "build", "tenantroute", "--out-dir", rel, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.FileExists(t, filepath.Join(wd, rel, "tenantroute.wasm"))
	assert.NoFileExists(t, filepath.Join(wd, "..", "..", rel, "tenantroute.wasm"), "written relative to the checkout's root")
}
