package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTheCLILinksNoTestCode holds the laneway binary free of test helpers: none of the packages it links
// (the testenv host included, which `run` and `demo` use) may import package testing or a test-support
// package (testenvtest, costbench, the packager's internal test servers).
func TestTheCLILinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err, "go list -deps")
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/laneway/laneway/testenv", "the listing names the CLI's dependencies")
	for _, d := range deps {
		assert.NotEqual(t, "testing", d, "a package the CLI links imports package testing")
		for _, test := range []string{"/testenvtest", "/costbench", "/registrytest", "/wasmtest", "/proxytest", "testify"} {
			assert.NotContains(t, d, test, "the CLI links test-support code")
		}
	}
}
