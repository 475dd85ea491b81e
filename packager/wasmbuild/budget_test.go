package wasmbuild_test

import (
	"testing"

	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/assert"
)

func TestModulesFitTheSizeBudget(t *testing.T) {
	for _, name := range []string{"tenantroute", "shadowtag", "synthetic", "noop", "conformance", "costprobe"} {
		t.Run(name, func(t *testing.T) {
			size := len(testenvtest.DistModule(t, name))
			t.Logf("%s: %d bytes, %d under the %d-byte budget", name, size, wasmbuild.SizeBudget-size, wasmbuild.SizeBudget)
			assert.LessOrEqual(t, size, wasmbuild.SizeBudget, "dist/%s.wasm grew past the 3 MiB budget; see packager/wasmbuild/patches.go", name)
		})
	}
}
