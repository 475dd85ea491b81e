// Command wasmbuild is the Makefile's entry to packager/wasmbuild (the same build as `laneway build`),
// kept free of the CLI's heavier dependencies so `make build` compiles quickly on a fresh clone.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/laneway/laneway/packager/wasmbuild"
)

func main() {
	arts, err := wasmbuild.Build(context.Background(), wasmbuild.Options{Filters: os.Args[1:]})
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmbuild:", err)
		os.Exit(1)
	}
	for _, a := range arts {
		fmt.Printf("%s\t%d bytes\t%s\n", a.Path, a.Size, a.Filter)
	}
}
