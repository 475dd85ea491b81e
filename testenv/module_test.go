package testenv

import (
	"os"
	"testing"

	"github.com/laneway/laneway/filters"
)

// DistModule and DistPath are testenvtest's, for this package's own tests (which cannot import testenvtest:
// it imports testenv).

func DistModule(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(DistPath(tb, name))
	if err != nil {
		tb.Fatalf("testenv: %v: run `make build` first", err)
	}
	return b
}

func DistPath(tb testing.TB, name string) string {
	tb.Helper()
	wd, _ := os.Getwd()
	root, err := filters.FindRoot(wd)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return filters.ModulePath(root, name)
}
