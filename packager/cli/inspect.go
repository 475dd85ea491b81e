package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/wasminspect"
)

type inspectOptions struct {
	formatOptions
	module string
}

type inspectResult struct {
	File string `json:"file"`
	*wasminspect.Report
}

func newInspectCommand(s Streams) *cobra.Command {
	o := inspectOptions{formatOptions: formats("text", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "inspect FILE.wasm|FILTER",
		Short: "Show a module's ABI version, imports and exports, and which Envoy/Istio can load it",
		Long: `Inspect reads a proxy-wasm module without running it and checks it against what each Envoy
generation links (proxy-wasm 0.2.x host functions and the WASI subset Envoy provides). It exits
non-zero, with the reason, when no supported Envoy can load the module (an unsupported import,
a missing ABI marker or allocator export, a wrong signature), and prints the minimum Envoy and
Istio versions otherwise.`,
		Example: `  # Inspect a built filter by name (reads dist/tenantroute.wasm)
  laneway inspect tenantroute

  # Inspect any module and get machine-readable output
  laneway inspect ./plugin.wasm --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, _ []string) error { return runInspect(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o)
}

func (o *inspectOptions) applyFlags(*pflag.FlagSet) {}

func (o *inspectOptions) validate(_ *cobra.Command, args []string) error {
	o.module = args[0]
	return nil
}

// runInspect prints the report, then fails when no supported Envoy loads the module.
func runInspect(ctx context.Context, s Streams, o *inspectOptions) error {
	m, err := loadModule(o.module)
	if err != nil {
		return err
	}
	rep, refusal := checkModule(ctx, m.Path, m.Bytes)
	if rep == nil {
		return refusal
	}
	res := inspectResult{File: m.Path, Report: rep}
	if err := newPrinter(s, o.format).report(res, func(w io.Writer) error { return printInspect(w, res) }); err != nil {
		return err
	}
	return refusal
}

func printInspect(w io.Writer, r inspectResult) error {
	fmt.Fprintf(w, "File:   %s (%d bytes)\n", r.File, r.Size)
	filter := r.Filter
	if filter == "" {
		filter = "not named (no laneway.filter section; `laneway build` records it)"
	}
	fmt.Fprintf(w, "Filter: %s\n", filter)
	abi := r.ABIVersion
	if abi == "" {
		abi = "none (no proxy_abi_version_* export)"
	}
	fmt.Fprintf(w, "ABI:    proxy-wasm %s\n", abi)
	if r.Loadable() {
		fmt.Fprintf(w, "Needs:  Envoy >= %s, Istio >= %s\n", r.MinEnvoy, r.MinIstio)
	} else {
		fmt.Fprintf(w, "Needs:  no supported Envoy loads this module\n")
	}
	for _, s := range r.Support {
		verdict := "loads"
		if !s.Loads {
			verdict = "REFUSED: " + s.Reason
		}
		fmt.Fprintf(w, "  %-16s %s\n", s.Generation, verdict)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note:   %s\n", n)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Imports (%d):\n", len(r.Imports))
	for _, f := range r.Imports {
		fmt.Fprintf(tw, "  %s.%s\t%s\n", f.Module, f.Name, f.Signature)
	}
	fmt.Fprintf(tw, "Exports (%d):\n", len(r.Exports))
	for _, f := range r.Exports {
		fmt.Fprintf(tw, "  %s\t%s\n", f.Name, f.Signature)
	}
	return tw.Flush()
}
