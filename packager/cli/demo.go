package cli

import (
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/laneway/laneway/packager/demo"
)

type demoOptions struct {
	formatOptions
	verbose bool
}

func newDemoCommand(s Streams) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "See tenant routing, mirroring and write containment work on this machine, no cluster and no network needed",
		Long: `Demo builds the filters when dist/*.wasm are missing or stale, starts svc-a, a baseline,
a sandbox (tenant sbx-1) and a v2 of svc-b and a ledger on free loopback ports behind the
local mesh, then sends OpenTelemetry-instrumented requests whose W3C baggage carries the
tenant. svc-a forwards the baggage through its OTel SDK; tenantroute on svc-a's outbound
listener turns it into x-laneway-tenant and the routes pick the sandbox or the baseline;
baseline traffic is mirrored to v2, whose inbound shadowtag marks the copy.

Three POSTs follow, each of which makes svc-b write to the ledger:
  - a mirrored POST: svc-b's live write reaches the ledger; v2's shadow write is answered
    by shadowtag on v2's outbound listener (202) and never reaches it;
  - a synthetic transaction (marker plus a valid token minted for the edge): svc-a and
    svc-b, the participants, see the same transaction id; the write to the ledger, not a
    participant, is refused by synthetic on svc-b's outbound listener (409);
  - a spoofed marker (no token): synthetic strips it at svc-a's inbound (the edge), so the
    apps see ordinary traffic.

The tables of what happened to each request go to stdout, followed by the proxy's and the
filters' counters; progress goes to stderr (--verbose adds the proxy's decision log).
Run it inside the laneway checkout.`,
		Example: `  laneway demo
  make demo

  # machine-readable report
  laneway demo --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			start := time.Now()
			opts := demo.Options{Progress: s.Err}
			if o.verbose {
				opts.Decisions = s.Err
			}
			rep, err := demo.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			progress(s.Err, "Demo finished in %v", time.Since(start).Round(time.Millisecond))
			return o.print(s.Out, rep, func(w io.Writer) error { return rep.WriteTable(w) })
		},
	}
	o.applyFlags(cmd, "text", "json", "yaml")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "also print the proxy's decision log on stderr")
	return cmd
}
