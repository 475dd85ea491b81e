package wasmbuild_test

import (
	"testing"

	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/testenv"
	"github.com/stretchr/testify/assert"
)

// overBudget names the shipped modules that still exceed wasmbuild.SizeBudget (issue #8 stays open for them):
// the ceiling they must not grow past, and what keeps them over. Delete an entry once its module fits.
var overBudget = map[string]struct {
	ceiling int
	why     string
}{
	"synthetic": {3_350_000, "time formatting (~0.1 MB, kept because Host.Now returns time.Time and FixedHost holds one) " +
		"plus the FIPS 140 packages crypto/sha256 links (aes, drbg, sha3, sha512); with Host.Now as Unix seconds 3.21 MB"},
}

func TestModulesFitTheSizeBudget(t *testing.T) {
	for _, name := range []string{"tenantroute", "shadowtag", "synthetic", "noop", "conformance"} {
		t.Run(name, func(t *testing.T) {
			size := len(testenv.DistModule(t, name))
			limit := wasmbuild.SizeBudget
			if o, ok := overBudget[name]; ok {
				limit = o.ceiling
				t.Logf("%s: %d bytes, %d over the %d-byte budget: %s", name, size, size-wasmbuild.SizeBudget, wasmbuild.SizeBudget, o.why)
			} else {
				t.Logf("%s: %d bytes, %d under the %d-byte budget", name, size, wasmbuild.SizeBudget-size, wasmbuild.SizeBudget)
			}
			assert.LessOrEqual(t, size, limit, "dist/%s.wasm grew past its size limit; see packager/wasmbuild/patches.go", name)
		})
	}
}

func TestOverBudgetEntriesStillExceedTheBudget(t *testing.T) {
	for name, o := range overBudget {
		size := len(testenv.DistModule(t, name))
		assert.Greater(t, size, wasmbuild.SizeBudget, "dist/%s.wasm now fits the budget: delete its overBudget entry so the test holds it to 3 MiB", name)
		assert.Less(t, o.ceiling, wasmbuild.SizeBudget+(wasmbuild.SizeBudget/5), "%s: a ceiling is a ratchet, not a new budget", name)
	}
}
