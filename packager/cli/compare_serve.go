package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/compare"
)

type compareServeOptions struct {
	listen                            string
	maxPairs, maxEndpoints, maxFields int
	examples                          int
	maxAge                            time.Duration
	noiseMargin                       float64
	maxBatchBytes                     int64
	peers                             []string
}

func newCompareServeCommand(s Streams) *cobra.Command {
	var o compareServeOptions
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--max-pairs N] [--max-age D] [--peer URL ...]",
		Short: "Run the compare collector: receive captures, pair and compare them, serve the report and the web page",
		Long: `serve receives shadowtag's captures (POST /v1/captures), pairs them by request id across the roles
primary, secondary and candidate, and compares each pair as soon as both of its roles have arrived:
a request without a secondary still counts for primary vs candidate, but not for noise.

Endpoints are method + path with identifiers folded (digits, UUIDs, 16+ hex digits -> {id}; the
query is ignored). Fields are compared by gjson path for JSON bodies (arrays by index), by
sha256 and length for other bodies, plus the status and the captured headers. A field is
reported when primary and candidate differ in it more often than primary and secondary do, by
more than --noise-margin.

Memory is bounded by default: at most --max-pairs requests (with their captured bodies) are
retained, each for at most --max-age after its first capture; a role arriving later than that
is not paired. Statistics are bounded by --max-endpoints and --max-fields (per endpoint); what
falls outside is counted in the report, never silently dropped.

API: POST /v1/captures, GET /v1/report, GET /v1/endpoints/{key}, GET /v1/pairs/{id}, GET /healthz.
The web page at / shows this replica; with --peer URL (each other replica) it shows all of them
merged. 'laneway compare report' merges replicas from the outside.`,
		Example: `  # Run the collector on port 8080 with the default limits
  laneway compare serve

  # Retain more pairs for longer, and let the page merge two other replicas
  laneway compare serve --listen :9090 --max-pairs 50000 --max-age 15m \
    --peer http://10.0.0.12:9090 --peer http://10.0.0.13:9090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCompareServe(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o)
}

func (o *compareServeOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.listen, "listen", ":8080", "address to listen on")
	fs.IntVar(&o.maxPairs, "max-pairs", compare.DefaultMaxPairs, "requests retained with their captures (oldest evicted first)")
	fs.DurationVar(&o.maxAge, "max-age", compare.DefaultMaxAge, "how long a request waits for its other roles and stays browsable")
	fs.IntVar(&o.maxEndpoints, "max-endpoints", compare.DefaultMaxEndpoints, "endpoints with statistics (comparisons of further endpoints are counted as dropped)")
	fs.IntVar(&o.maxFields, "max-fields", compare.DefaultMaxFields, "differing fields tracked per endpoint (further ones are counted as dropped)")
	fs.IntVar(&o.examples, "examples", compare.DefaultExamples, "example pairs kept per field")
	fs.Float64Var(&o.noiseMargin, "noise-margin", compare.DefaultNoiseMargin, "report a field when candidate rate > noise rate + this (0 <= margin < 1)")
	fs.Int64Var(&o.maxBatchBytes, "max-batch-bytes", compare.DefaultMaxBatchBytes, "largest capture batch accepted (larger ones get 413)")
	fs.StringArrayVar(&o.peers, "peer", nil, "base URL of another replica, merged into the web page and ?scope=all (repeatable)")
}

func (o *compareServeOptions) validate(*cobra.Command, []string) error {
	for _, c := range []struct {
		flag string
		v    int64
	}{{"--max-pairs", int64(o.maxPairs)}, {"--max-endpoints", int64(o.maxEndpoints)}, {"--max-fields", int64(o.maxFields)},
		{"--examples", int64(o.examples)}, {"--max-batch-bytes", o.maxBatchBytes}} {
		if c.v < 1 {
			return fmt.Errorf("%s: got %d, expected at least 1 (memory is always bounded)", c.flag, c.v)
		}
	}
	if o.maxAge <= 0 {
		return fmt.Errorf("--max-age: got %s, expected a positive duration such as 5m", o.maxAge)
	}
	if o.noiseMargin < 0 || o.noiseMargin >= 1 {
		return fmt.Errorf("--noise-margin: got %g, expected 0 <= margin < 1 (a difference in rates, e.g. 0.05)", o.noiseMargin)
	}
	for i, p := range o.peers {
		u, err := compare.CollectorURL(p)
		if err != nil {
			return fmt.Errorf("--peer: %w", err)
		}
		o.peers[i] = u
	}
	return nil
}

func runCompareServe(ctx context.Context, s Streams, o *compareServeOptions) error {
	col := compare.New(compare.Options{MaxPairs: o.maxPairs, MaxAge: o.maxAge, MaxEndpoints: o.maxEndpoints,
		MaxFields: o.maxFields, Examples: o.examples, NoiseMargin: o.noiseMargin})
	h := compare.Handler(col, compare.ServerOptions{MaxBatchBytes: o.maxBatchBytes, Peers: o.peers})
	return serveHTTP(ctx, newPrinter(s, ""), o.listen, h)
}

// serveHTTP serves h on addr until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, p *printer, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--listen: %w; expected a free address such as :8080", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	p.progress("laneway compare: listening on http://%s (web page at /, captures at POST /v1/captures)", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		p.progress("laneway compare: stopped")
		return nil
	}
}
