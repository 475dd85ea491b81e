package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/packager/wasmbuild"
)

type buildOptions struct {
	formatOptions
	outDir  string
	filters []string
}

type buildResult struct {
	wasmbuild.Artifact
	envoyNeeds
}

func newBuildCommand(s Streams) *cobra.Command {
	o := buildOptions{formatOptions: formats("text", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "build [FILTER...]",
		Short: "Compile filters to .wasm with the standard Go toolchain (same as make build)",
		Long: `Build compiles laneway's shipped filters (` + strings.Join(filters.Shipped(), ", ") + `) to proxy-wasm
modules with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, exactly like 'make build', writes
dist/<filter>.wasm, and inspects each module to report the minimum Envoy/Istio that loads it.
Run it inside a laneway checkout. Without arguments every filter is built. The test fixtures
(filters/fixtures/) are never built here; 'make build' builds them for the tests, into .build/fixtures/.`,
		Example: `  # Build every filter into dist/
  laneway build

  # Build one filter into another directory, JSON output
  laneway build tenantroute --out-dir /tmp/wasm --format json`,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBuild(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o)
}

func (o *buildOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.outDir, "out-dir", "", "directory for the .wasm files (default: dist/ in the checkout)")
}

func (o *buildOptions) validate(_ *cobra.Command, args []string) error {
	o.filters = args
	return nil
}

func runBuild(ctx context.Context, s Streams, o *buildOptions) error {
	p := newPrinter(s, o.format)
	start := time.Now()
	p.progress("Building %v", orAll(o.filters))
	stderr, _ := p.logs().(*os.File)
	arts, err := wasmbuild.Build(ctx, wasmbuild.Options{OutDir: o.outDir, Filters: o.filters, Stderr: stderr})
	if err != nil {
		return err
	}
	var res []buildResult
	for _, a := range arts {
		b, err := os.ReadFile(a.Path)
		if err != nil {
			return err
		}
		rep, err := checkModule(ctx, a.Path, b)
		if err != nil {
			return fmt.Errorf("the build wrote a module no supported Envoy loads: %w", err)
		}
		res = append(res, buildResult{Artifact: a, envoyNeeds: needsOf(rep)})
		p.progress("%s loads on Envoy >= %s (Istio >= %s)", a.Filter, rep.MinEnvoy, rep.MinIstio)
	}
	p.progress("Built %d module(s) in %v", len(res), time.Since(start).Round(time.Millisecond))
	// The text result is the same table `make build` prints; the Envoy verdicts went to stderr above
	// and are fields of the JSON and YAML results.
	return p.report(res, func(w io.Writer) error { return wasmbuild.WriteSummary(w, arts) })
}

func orAll(args []string) any {
	if len(args) == 0 {
		return "all filters"
	}
	return args
}
