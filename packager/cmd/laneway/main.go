// Command laneway builds, inspects, pushes and deploys laneway's proxy-wasm filters.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/laneway/laneway/packager/cli"
)

func main() {
	// SIGTERM (what containers, CI runners and systemd send) ends a command as Ctrl-C does: `run`
	// closes its listeners, lets requests in flight finish, prints its summary and exits 0.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], cli.StdStreams())
	stop()
	os.Exit(code)
}
