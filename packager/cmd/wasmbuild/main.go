// Command wasmbuild is the Makefile's entry to packager/wasmbuild (the same build as `laneway build`),
// kept free of the CLI's heavier dependencies so `make build` compiles quickly on a fresh clone. Unlike
// `laneway build` it also builds the test fixtures, into .build/fixtures/ (see package filters).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/laneway/laneway/packager/wasmbuild"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], "", os.Stdout, os.Stderr))
}

// run builds the named filters (all without names) into outDir ("" for dist/) and prints the summary
// `laneway build` prints.
func run(ctx context.Context, filters []string, outDir string, stdout io.Writer, stderr *os.File) int {
	arts, err := wasmbuild.Build(ctx, wasmbuild.Options{Filters: filters, OutDir: outDir, Stderr: stderr, Fixtures: true})
	if err != nil {
		fmt.Fprintln(stderr, "wasmbuild:", err)
		return 1
	}
	if err := wasmbuild.WriteSummary(stdout, arts); err != nil {
		fmt.Fprintln(stderr, "wasmbuild:", err)
		return 1
	}
	return 0
}
