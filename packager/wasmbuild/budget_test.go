package wasmbuild_test

import (
	"bytes"
	"testing"

	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/assert"
)

func TestModulesFitTheSizeBudget(t *testing.T) {
	for _, name := range []string{"laneway", "tenantroute", "shadowtag", "shadowtag-compare", "synthetic", "noop", "conformance", "costprobe"} {
		t.Run(name, func(t *testing.T) {
			size, budget := len(testenvtest.DistModule(t, name)), wasmbuild.ModuleSizeBudget(name)
			t.Logf("%s: %d bytes, %d under the %d-byte budget", name, size, budget-size, budget)
			assert.LessOrEqual(t, size, budget, "dist/%s.wasm grew past its %d-byte budget; see packager/wasmbuild/patches.go", name, budget)
		})
	}
}

// The combined module links the three filters once, next to one Go runtime: it must stay well below the
// three separate modules together.
func TestTheCombinedModuleIsWellBelowTheThreeSeparateModules(t *testing.T) {
	sum := 0
	for _, name := range []string{"tenantroute", "shadowtag", "synthetic"} {
		sum += len(testenvtest.DistModule(t, name))
	}
	size := len(testenvtest.DistModule(t, "laneway"))
	t.Logf("laneway: %d bytes = %.3f of the three separate modules' %d bytes", size, float64(size)/float64(sum), sum)
	assert.LessOrEqual(t, float64(size), wasmbuild.CombinedSizeShare*float64(sum),
		"dist/laneway.wasm is more than %.2f of tenantroute + shadowtag + synthetic", wasmbuild.CombinedSizeShare)
}

// fmt's printer, with the reflect and internal/fmtsort code only it reaches, is about 0.3 MB of a module: the
// shipped filters build their messages without it (see patches.go). The runtime's function-name table keeps
// the names of linked functions even in a stripped module, so fmt's printer type names the culprit.
func TestShippedModulesDoNotLinkFmt(t *testing.T) {
	for _, name := range []string{"laneway", "tenantroute", "shadowtag", "shadowtag-compare", "synthetic", "noop"} {
		t.Run(name, func(t *testing.T) {
			assert.False(t, bytes.Contains(testenvtest.DistModule(t, name), []byte("fmt.(*pp).")),
				"dist/%s.wasm links fmt's printer: a filter path (or an SDK function it calls, such as a Log*f helper) formats with fmt; "+
					"build the message with strconv and concatenation, and find the caller with go build -ldflags=-dumpdep (see packager/wasmbuild/patches.go)", name)
		})
	}
}

// time.Time's String, with the formatting and time zone code it reaches, is about 80 KB of a module. No filter
// formats a time, but a time.Time held in a struct the SDK sees as an interface (a plugin or stream context
// field) keeps String linked: per-request scratch holding a time lives in package variables instead (see
// synthetic's filter.go).
func TestShippedModulesDoNotLinkTimeFormatting(t *testing.T) {
	for _, name := range []string{"laneway", "tenantroute", "shadowtag", "shadowtag-compare", "synthetic", "noop"} {
		t.Run(name, func(t *testing.T) {
			assert.False(t, bytes.Contains(testenvtest.DistModule(t, name), []byte("time.Time.appendFormat")),
				"dist/%s.wasm links time.Time's formatting: a type holding a time.Time is converted to an interface "+
					"(find which with go build -ldflags=-dumpdep: type:time.Time <UsedInIface>)", name)
		})
	}
}
