// Command wasmbuild is the Makefile's entry to packager/wasmbuild (the same build as `laneway build`),
// kept free of the CLI's heavier dependencies so `make build` compiles quickly on a fresh clone. Unlike
// `laneway build` it also builds the test fixtures, into .build/fixtures/ (see package filters).
//
// With `-names DIR` (first argument) it builds the named modules, fixtures included, into DIR keeping Wasm's
// name section, for profiles (testenv/costbench/v8prof.js, cmd/guestcalls, cmd/instrcount): the same code
// as dist/'s.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/laneway/laneway/packager/wasmbuild"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "-names" || args[0] == "--names") {
		if len(args) < 2 || args[1] == "" {
			fmt.Fprintln(os.Stderr, "wasmbuild: -names needs an output folder: wasmbuild -names DIR [filter...]")
			os.Exit(2)
		}
		os.Exit(run(context.Background(), args[2:], args[1], true, os.Stdout, os.Stderr))
	}
	os.Exit(run(context.Background(), args, "", false, os.Stdout, os.Stderr))
}

// run builds the named filters (all without names) and the fixtures into outDir ("" for dist/), keeping Wasm's
// name section when keepNames is set, and prints the summary `laneway build` prints.
func run(ctx context.Context, filters []string, outDir string, keepNames bool, stdout io.Writer, stderr *os.File) int {
	arts, err := wasmbuild.Build(ctx, wasmbuild.Options{Filters: filters, OutDir: outDir, Stderr: stderr, Fixtures: true, KeepNames: keepNames})
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
