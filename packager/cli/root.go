// Package cli holds the laneway commands, one file per command. Each command has an options
// struct made of flag groups (options.go: output format, registry/auth, filter selection, config
// file, and the command's own flags); withOptions adds their flags and validates them all once in
// PreRunE, and RunE only calls the command's named run function (runPush, runVerify, ...). Every
// command writes through one printer (printer.go): results on stdout in the --format chosen,
// progress and logs on stderr. Modules are loaded, inspected and refused in one place (input.go).
package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Streams are the standard streams a command uses.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// StdStreams returns the process's standard streams.
func StdStreams() Streams { return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

// NewRootCommand returns the laneway command tree.
func NewRootCommand(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "laneway",
		Short: "Build, package and deploy laneway's proxy-wasm filters for Envoy and Istio",
		Long: `laneway builds laneway's proxy-wasm filters with the standard Go toolchain, checks that Envoy can
load them, packages them as OCI images Istio's agent accepts, and writes the Istio resources
(WasmPlugin pinned by digest, VirtualService/DestinationRule) that deploy and route them.

Results are printed on stdout, progress and logs on stderr. Commands that print a report (build,
inspect, push, verify, token, demo) take --format text|json|yaml, the comparison report (compare
report) takes --format text|json, and commands that write Kubernetes resources (wasmplugin, routes,
compare manifest) take --format yaml|json; run prints its listeners' addresses and logs its
decisions (--log-format text|json).`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(
		newBuildCommand(s),
		newInspectCommand(s),
		newPushCommand(s),
		newVerifyCommand(s),
		newWasmPluginCommand(s),
		newRoutesCommand(s),
		newRunCommand(s),
		newDemoCommand(s),
		newTokenCommand(s),
		newCompareCommand(s),
	)
	return root
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, s Streams) int {
	root := NewRootCommand(s)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(s.Err, "Error: %v\n", err)
		return 1
	}
	return 0
}
