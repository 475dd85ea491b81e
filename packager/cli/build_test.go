package cli

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildCompilesAFilterThatEnvoyCanLoad(t *testing.T) {
	out := t.TempDir()
	r := run(t, "", "build", "noop", "--out-dir", out, "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var arts []struct {
		Filter   string `json:"filter"`
		Path     string `json:"path"`
		Size     int64  `json:"size"`
		MinEnvoy string `json:"minEnvoy"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &arts), r.stdout)
	require.Len(t, arts, 1)
	assert.Equal(t, "noop", arts[0].Filter)
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
