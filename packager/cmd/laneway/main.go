// Command laneway builds, inspects, pushes and deploys laneway's proxy-wasm filters.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/laneway/laneway/packager/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Execute(ctx, os.Args[1:], cli.StdStreams())
	stop()
	os.Exit(code)
}
