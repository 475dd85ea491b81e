package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/packager/wasminspect"
)

type buildOptions struct {
	formatOptions
	outDir string
}

type buildResult struct {
	wasmbuild.Artifact
	MinEnvoy string `json:"minEnvoy"`
	MinIstio string `json:"minIstio"`
}

func newBuildCommand(s Streams) *cobra.Command {
	var o buildOptions
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			start := time.Now()
			progress(s.Err, "Building %v", orAll(args))
			stderr, _ := s.Err.(*os.File)
			arts, err := wasmbuild.Build(cmd.Context(), wasmbuild.Options{OutDir: o.outDir, Filters: args, Stderr: stderr})
			if err != nil {
				return err
			}
			var res []buildResult
			for _, a := range arts {
				b, err := os.ReadFile(a.Path)
				if err != nil {
					return err
				}
				rep, err := wasminspect.Inspect(cmd.Context(), b)
				if err != nil {
					return fmt.Errorf("%s: %w", a.Path, err)
				}
				if err := rep.Refusal(); err != nil {
					return fmt.Errorf("built %s but Envoy could not load it: %w", a.Path, err)
				}
				res = append(res, buildResult{Artifact: a, MinEnvoy: rep.MinEnvoy, MinIstio: rep.MinIstio})
				progress(s.Err, "%s loads on Envoy >= %s (Istio >= %s)", a.Filter, rep.MinEnvoy, rep.MinIstio)
			}
			progress(s.Err, "Built %d module(s) in %v", len(res), time.Since(start).Round(time.Millisecond))
			// The text result is the same table `make build` prints; the Envoy verdicts went to stderr above
			// and are fields of the JSON and YAML results.
			return o.print(s.Out, res, func(w io.Writer) error { return wasmbuild.WriteSummary(w, arts) })
		},
	}
	o.applyFlags(cmd, "text", "json", "yaml")
	cmd.Flags().StringVar(&o.outDir, "out-dir", "", "directory for the .wasm files (default: dist/ in the checkout)")
	return cmd
}

func orAll(args []string) any {
	if len(args) == 0 {
		return "all filters"
	}
	return args
}
