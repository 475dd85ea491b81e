// Package testenvtest is the test support for loading laneway's built modules into testenv. Only tests
// (and test-only packages such as testenv/costbench) import it, so the testenv host that the CLI links for
// `run` and `demo` carries no test code and does not link package testing.
package testenvtest

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/testenv"
)

// DistModule returns the bytes of the built module name (see DistPath). It fails the test (never skips)
// when the module is missing, telling to run `make build`.
func DistModule(tb testing.TB, name string) []byte {
	tb.Helper()
	p := DistPath(tb, name)
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatalf("testenvtest: %s is missing (%v): run `make build` first", p, err)
	}
	return b
}

// DistPath returns where the build writes the module name in the checkout holding the working directory
// (filters.ModulePath).
func DistPath(tb testing.TB, name string) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testenvtest: %v", err)
	}
	root, err := filters.FindRoot(wd)
	if err != nil {
		tb.Fatalf("testenvtest: %v; cannot find the module %s", err, name)
	}
	return filters.ModulePath(root, name)
}

// Runtime returns a testenv Runtime with default options that is closed when the test ends; it fails the
// test when the runtime cannot be created.
func Runtime(tb testing.TB) *testenv.Runtime {
	tb.Helper()
	rt, err := testenv.NewRuntime(context.Background(), testenv.RuntimeOptions{})
	if err != nil {
		tb.Fatalf("testenvtest: new runtime: %v", err)
	}
	tb.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

// AssertNoGC runs send (requests on vm, started with testenv.GCProbeEnv) and asserts that the VM is alive and
// that its Go runtime never read the clock meanwhile, which a GC cycle does: no request allocated.
func AssertNoGC(tb testing.TB, vm *testenv.VM, send func(), msg string) bool {
	tb.Helper()
	before := vm.HostCalls()[gcClock]
	send()
	require.NoError(tb, vm.Err())
	return assert.Equal(tb, before, vm.HostCalls()[gcClock], msg)
}

// gcClock is the host call a GC cycle of Go's wasip1 runtime makes.
const gcClock = "wasi_snapshot_preview1.clock_time_get"
