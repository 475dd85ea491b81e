package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// DistModule returns the bytes of dist/<name>.wasm from the repository root. It fails
// the test (never skips) when the module is missing, telling to run `make build`.
func DistModule(tb testing.TB, name string) []byte {
	tb.Helper()
	p := DistPath(tb, name)
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatalf("testenv: %s is missing (%v): run `make build` first", p, err)
	}
	return b
}

// DistPath returns the path of dist/<name>.wasm under the repository root (the first
// parent directory holding go.mod).
func DistPath(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "dist", name+".wasm")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("testenv: no go.mod above the working directory; cannot find dist/%s.wasm", name)
		}
		dir = parent
	}
}

// TestRuntime returns a Runtime with default options that is closed when the test ends; it fails the
// test when the runtime cannot be created.
func TestRuntime(tb testing.TB) *Runtime {
	tb.Helper()
	rt, err := NewRuntime(context.Background(), RuntimeOptions{})
	if err != nil {
		tb.Fatalf("testenv: new runtime: %v", err)
	}
	tb.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}
