package main

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/testenv/costbench"
)

func TestEveryShippedModuleIsProfiledOnItsOwnRequests(t *testing.T) {
	fcs, err := costbench.ReadCases("../../filter-requests.json")
	require.NoError(t, err)
	all, err := costbench.Combined()
	require.NoError(t, err)
	for _, name := range filters.Shipped() {
		cs, err := casesFor(name, fcs, all)
		require.NoError(t, err, name)
		for _, c := range cs {
			require.NotNil(t, c.Native, "%s: case without a native VM context", name)
		}
		switch name {
		case "laneway":
			require.Len(t, cs, len(fcs)+1, "the all-roles request and every case with only its role on")
			assert.Equal(t, string(all.Combined.Config), cs[0].PluginConfig)
			for i, fc := range fcs {
				assert.Contains(t, cs[i+1].PluginConfig, `{"`+fc.Module+`":`, fc.Name)
			}
		case "shadowtag-compare":
			assert.NotEmpty(t, cs, "shadowtag's cases")
		default:
			n := 0
			for _, fc := range fcs {
				if fc.Module == name {
					n++
				}
			}
			assert.Len(t, cs, n, name)
		}
	}
}

func TestAProfileRunsTheCaseNatively(t *testing.T) {
	fcs, err := costbench.ReadCases("../../filter-requests.json")
	require.NoError(t, err)
	all, err := costbench.Combined()
	require.NoError(t, err)
	cs, err := casesFor("laneway", fcs, all)
	require.NoError(t, err)
	path := t.TempDir() + "/case.pprof"
	require.NoError(t, profileCase(cs[0], 50*time.Millisecond, path))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Positive(t, info.Size(), "an empty profile")
	// A plugin that does not start is an error, not a profile of nothing.
	bad := cs[0]
	bad.PluginConfig = "{}"
	assert.ErrorContains(t, profileCase(bad, time.Millisecond, path), "plugin start failed")
}
