package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/compare"
)

type compareReportOptions struct {
	formatOptions
	collectors  []string
	noiseMargin float64
	// margin is --noise-margin when given, else nil (the replicas' own).
	margin  *float64
	timeout time.Duration
}

func newCompareReportCommand(s Streams) *cobra.Command {
	o := compareReportOptions{formatOptions: formats("text", "json")}
	cmd := &cobra.Command{
		Use:   "report --collector URL [--collector URL ...]",
		Short: "Merge every collector replica's report and print the fields the candidate changes",
		Long: `report reads GET /v1/report from every --collector (one per replica) and merges them: counts add
up, and rates and the reported flags are recomputed from the merged counts (not averaged).
Every replica must answer: a report missing a replica would understate the differences.

A field is reported when the candidate differs from the primary in it more often than the
secondary does, by more than the noise margin the replicas use (or --noise-margin).`,
		Example: `  # Two replicas, text
  laneway compare report --collector http://10.0.0.12:8080 --collector http://10.0.0.13:8080

  # Through a port-forward, as JSON
  kubectl -n shop port-forward deploy/laneway-compare 8080 &
  laneway compare report --collector http://localhost:8080 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCompareReport(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o)
}

func (o *compareReportOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.collectors, "collector", nil, "base URL of a collector replica (repeatable; give every replica)")
	fs.Float64Var(&o.noiseMargin, "noise-margin", 0, "report with this noise margin instead of the replicas' own")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up on the replicas after this long")
}

func (o *compareReportOptions) validate(cmd *cobra.Command, _ []string) error {
	if len(o.collectors) == 0 {
		return fmt.Errorf("--collector: got none, expected the base URL of every collector replica, e.g. --collector http://10.0.0.12:8080")
	}
	o.margin = nil
	if cmd.Flags().Changed("noise-margin") {
		if o.noiseMargin < 0 || o.noiseMargin >= 1 {
			return fmt.Errorf("--noise-margin: got %g, expected 0 <= margin < 1", o.noiseMargin)
		}
		o.margin = &o.noiseMargin
	}
	for _, c := range o.collectors {
		if _, err := compare.CollectorURL(c); err != nil {
			return fmt.Errorf("--collector: %w", err)
		}
	}
	return nil
}

func runCompareReport(ctx context.Context, s Streams, o *compareReportOptions) error {
	p := newPrinter(s, o.format)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	client := &http.Client{}
	var reports []*compare.Report
	for _, c := range o.collectors {
		p.progress("reading %s", c)
		r, err := compare.FetchReport(ctx, client, c)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	merged, err := compare.Merge(o.margin, reports...)
	if err != nil {
		return err
	}
	return p.report(merged, func(w io.Writer) error { return writeCompareReport(w, merged) })
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// writeCompareReport prints a merged report as text: per endpoint, the reported fields with an
// example, then the noise fields on one line.
func writeCompareReport(w io.Writer, r *compare.Report) error {
	t := r.Totals
	fmt.Fprintf(w, "replicas %d, captures %d, retained %d, duplicates %d, conflicts %d, evicted %d (%d before pairing), refused batches %d, noise margin %s\n",
		r.Replicas, t.Captures, t.Retained, t.Duplicates, t.Conflicts, t.Evicted, t.EvictedUnpaired, t.RefusedBatches, pct(r.Settings.NoiseMargin))
	if len(r.Endpoints) == 0 {
		_, err := fmt.Fprintln(w, "no comparisons yet (no request has both its primary and candidate captures)")
		return err
	}
	for _, e := range r.Endpoints {
		fmt.Fprintf(w, "\n%s\n  primary vs candidate %d, primary vs secondary %d, diff rate %s\n", e.Key, e.CandidateComparisons, e.NoiseComparisons, pct(e.DiffRate))
		if e.NoiseComparisons == 0 {
			fmt.Fprintln(w, "  no secondary captures: noise unknown, every candidate difference is reported")
		}
		var noise []string
		for _, f := range e.Fields {
			switch {
			case f.Reported:
				fmt.Fprintf(w, "  REPORTED %-28s candidate %d/%d (%s)  noise %d/%d (%s)\n", f.Field, f.CandidateDiffs, e.CandidateComparisons,
					pct(f.CandidateRate), f.NoiseDiffs, e.NoiseComparisons, pct(f.NoiseRate))
				for _, x := range f.Examples {
					fmt.Fprintf(w, "           %s: %s -> %s\n", x.ID, x.Primary, x.Other)
				}
			case f.Noise:
				noise = append(noise, fmt.Sprintf("%s (%s)", f.Field, pct(f.NoiseRate)))
			}
		}
		if e.ReportedFields == 0 {
			fmt.Fprintln(w, "  no field differs beyond the noise")
		}
		if len(noise) > 0 {
			fmt.Fprintf(w, "  noise: %s\n", strings.Join(noise, ", "))
		}
		if e.FieldsDropped > 0 {
			fmt.Fprintf(w, "  %d differences beyond --max-fields not counted\n", e.FieldsDropped)
		}
	}
	return nil
}
