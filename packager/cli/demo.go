package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/demo"
)

type demoOptions struct {
	formatOptions
	verbose bool
	ambient bool
}

func newDemoCommand(s Streams) *cobra.Command {
	o := demoOptions{formatOptions: formats("text", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "See tenant routing, mirroring, write containment and shadow comparison work on this machine, no cluster and no network needed",
		Long: `Demo builds the filters when dist/*.wasm are missing or stale, starts svc-a, a baseline,
a sandbox (tenant sbx-1) and a v2 of svc-b and a ledger on free loopback ports behind the
local mesh, then sends OpenTelemetry-instrumented requests whose W3C baggage carries the
tenant. Every sidecar listener runs one plugin, the combined laneway module, with the roles
it needs there (one VM per worker, one header read per request). svc-a forwards the baggage
through its OTel SDK; tenantroute on svc-a's outbound listener turns it into x-laneway-tenant
and the routes pick the sandbox or the baseline; baseline traffic is mirrored to v2, whose
inbound shadowtag marks the copy.

Three POSTs follow, each of which makes svc-b write to the ledger:
  - a mirrored POST: svc-b's live write reaches the ledger; v2's shadow write is answered
    by shadowtag on v2's outbound listener (202) and never reaches it;
  - a synthetic transaction (marker plus a valid token minted for the edge): svc-a and
    svc-b, the participants, see the same transaction id; the write to the ledger, not a
    participant, is refused by synthetic on svc-b's outbound listener (409);
  - a spoofed marker (no token): synthetic strips it at svc-a's inbound (the edge), so the
    apps see ordinary traffic.

At the gateway (svc-a's inbound listener) tenantroute is the trust boundary: a client-set
x-laneway-tenant header is removed and only allow-listed tenants (sbx-1) travel on.

Then a compare run: 300 GETs to orders, each answered by its primary and mirrored to a
secondary (the same version) and a candidate whose total is recomputed (the planted change);
every orders instance also fills a timestamp and a random id anew (noise). shadowtag-compare
on the three inbound listeners captures the answers and sends them to a collector (the one
` + "`laneway compare serve`" + ` runs) on loopback; its report must name total and learn the
timestamp and the id as noise, from primary vs secondary.

On stdout: two tables with a legend, the story of each request (what the client sent,
where it went and why), the verdict on each promise the demo makes, then the proxy's and the
filters' counters. Progress goes to stderr (--verbose adds the proxy's decision log). The
exit status is 1 when a promise did not hold. Run it inside the laneway checkout.

--ambient runs the same services (without the compare run) in Istio's ambient topology: the ingress gateway keeps the
edge's job, each workload's ztunnel carries its identity to the destination's waypoint, and
the waypoints run the combined module with the roles needed there (tenantroute and synthetic
in waypoint mode on svc-b's; shadowtag in waypoint mode, knowing the candidate v2 by its
identity, and synthetic on the ledger's).
svc-b's waypoint routes with the HTTPRoute rendering of a route-group file (RequestMirror
copies baseline traffic to v2). The report also lists what ambient mode cannot do and what
to do instead.`,
		Example: `  laneway demo
  make demo

  # the same story in Istio's ambient mode (ztunnels, waypoints, HTTPRoutes)
  laneway demo --ambient

  # machine-readable report
  laneway demo --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o)
}

func (o *demoOptions) applyFlags(fs *pflag.FlagSet) {
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "also print the proxy's decision log on stderr")
	fs.BoolVar(&o.ambient, "ambient", false, "run the demo in Istio's ambient topology (ztunnels and per-service waypoints, HTTPRoute rules) instead of sidecars")
}

func (o *demoOptions) validate(*cobra.Command, []string) error { return nil }

// demoReport is what both demos report: a table for the text format, and a verdict per promise.
type demoReport interface {
	WriteTable(w io.Writer) error
}

// runDemo runs the sidecar demo, or with --ambient the ambient one, and fails when a promise did not hold.
func runDemo(ctx context.Context, s Streams, o *demoOptions) error {
	p := newPrinter(s, o.format)
	var decisions io.Writer
	if o.verbose {
		decisions = p.logs()
	}
	start := time.Now()
	var (
		rep      demoReport
		verdicts []demo.Verdict
	)
	if o.ambient {
		r, err := demo.RunAmbient(ctx, demo.AmbientOptions{Progress: p.logs(), Decisions: decisions})
		if err != nil {
			return err
		}
		rep, verdicts = r, r.Verdicts
	} else {
		r, err := demo.Run(ctx, demo.Options{Progress: p.logs(), Decisions: decisions})
		if err != nil {
			return err
		}
		rep, verdicts = r, r.Verdicts
	}
	p.progress("Demo finished in %v", time.Since(start).Round(time.Millisecond))
	if err := p.report(rep, rep.WriteTable); err != nil {
		return err
	}
	return verdictError(verdicts)
}

// verdictError fails the command when a promise did not hold, naming each one.
func verdictError(vs []demo.Verdict) error {
	if demo.AllHeld(vs) {
		return nil
	}
	var bad []string
	for _, v := range vs {
		if v.Outcome != demo.Held {
			bad = append(bad, fmt.Sprintf("%s (%s; %s)", v.Promise, v.Outcome, v.Evidence))
		}
	}
	if len(bad) == 0 {
		return fmt.Errorf("the demo checked no promise: expected a verdict per promise; run it again with --verbose to see the proxy's decisions")
	}
	return fmt.Errorf("the demo did not show %d of its %d promises:\n  %s\nthe decision log (--verbose) shows each request's path; a filter change may have broken the behaviour named above", len(bad), len(vs), strings.Join(bad, "\n  "))
}
