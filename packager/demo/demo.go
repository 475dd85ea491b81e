// Package demo runs laneway's local mesh end to end on loopback: the real filter modules in
// the testenv proxy, a baseline, a sandbox and a v2 of a small service, and OpenTelemetry-
// instrumented traffic whose baggage carries the tenant. It reports what happened to each
// request. It backs `laneway demo` (README command one).
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/tetratelabs/wazero"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/proxy"
)

// MeshTemplate is the demo's mesh configuration; ${...} are filled in by Run.
//
//go:embed mesh.yaml
var MeshTemplate string

// Filters are the modules the demo needs from dist/.
var Filters = []string{"tenantroute", "shadowtag"}

// Request is one demo request: a label and the baggage members the client sets.
type Request struct {
	Label   string
	Baggage []string
}

// DefaultRequests are the requests `laneway demo` sends.
var DefaultRequests = []Request{
	{"tenant sbx-1", []string{"laneway-tenant=sbx-1"}},
	{"no tenant", nil},
	{"unknown tenant", []string{"laneway-tenant=sbx-9"}},
	{"invalid tenant", []string{"laneway-tenant=Not_A_Label"}},
	{"signadot key", []string{"sd-routing-key=sbx-1"}},
	{"tenant + other members", []string{"user=42", "laneway-tenant=sbx-1"}},
}

// Options configure Run.
type Options struct {
	// Root is the laneway checkout (found from the working directory when empty).
	Root string
	// Modules maps filter name to .wasm path; when nil, Run locates dist/ and builds as needed.
	Modules map[string]string
	// Requests default to DefaultRequests.
	Requests []Request
	// Progress receives progress lines (nil: discarded); Decisions the proxy's decision log
	// (nil: discarded).
	Progress, Decisions io.Writer
}

// Row is what happened to one request.
type Row struct {
	Label   string `json:"request"`
	Baggage string `json:"baggage"`
	TraceID string `json:"traceId"`
	// Tenant is x-laneway-tenant after tenantroute on svc-a's outbound listener.
	Tenant   string `json:"tenant"`
	Route    string `json:"route"`
	ServedBy string `json:"servedBy"`
	Status   int    `json:"status"`
	// Mirror is where the shadow copy went ("" when not mirrored).
	Mirror string `json:"mirror,omitempty"`
	// ShadowHost and ShadowMarked are what v2 saw: the Host of the copy and shadowtag's marker.
	ShadowHost   string `json:"shadowHost,omitempty"`
	ShadowMarked bool   `json:"shadowMarked,omitempty"`
	LatencyMS    int64  `json:"latencyMs"`
}

// Report is the demo's result.
type Report struct {
	Rows  []Row       `json:"requests"`
	Stats proxy.Stats `json:"proxy"`
}

// Run starts the services and the mesh on free loopback ports, sends the requests and
// returns what happened; everything is stopped before it returns.
func Run(ctx context.Context, opts Options) (Report, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	reqs := opts.Requests
	if reqs == nil {
		reqs = DefaultRequests
	}
	mods := opts.Modules
	if mods == nil {
		root := opts.Root
		if root == "" {
			wd, err := os.Getwd()
			if err != nil {
				return Report{}, err
			}
			if root, err = wasmbuild.FindRoot(wd); err != nil {
				return Report{}, err
			}
		}
		stderr, _ := progress.(*os.File)
		var err error
		if mods, err = Modules(ctx, root, Filters, stderr); err != nil {
			return Report{}, err
		}
	}

	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	otelOpts := []otelhttp.Option{otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)}

	var outbound atomic.Pointer[url.URL]
	aHandler, aTransport := svcA(&outbound, otelOpts)
	defer aTransport.CloseIdleConnections()
	base, sbx, v2 := newSvcB("svc-b"), newSvcB("svc-b@sbx-1"), newSvcB("svc-b-v2")
	var servers []*server
	defer func() {
		for _, s := range servers {
			_ = s.srv.Close()
		}
	}()
	addrs := map[string]string{}
	for name, h := range map[string]http.Handler{"SVC_A": aHandler, "SVC_B": base, "SVC_B_SBX_1": sbx, "SVC_B_V2": v2} {
		s, err := serve(h)
		if err != nil {
			return Report{}, err
		}
		servers = append(servers, s)
		addrs[name] = s.addr
	}
	addrs["TENANTROUTE_WASM"], addrs["SHADOWTAG_WASM"] = mods["tenantroute"], mods["shadowtag"]
	cfg, err := proxy.Parse([]byte(os.Expand(MeshTemplate, func(k string) string { return addrs[k] })))
	if err != nil {
		return Report{}, fmt.Errorf("demo mesh config: %w", err)
	}
	var mu sync.Mutex
	var decisions []proxy.Decision
	logOut := opts.Decisions
	if logOut == nil {
		logOut = io.Discard
	}
	fmt.Fprintf(progress, "Starting the mesh: %d listeners, %d workers, filters %s\n", len(cfg.Listeners), cfg.Workers, strings.Join(Filters, ", "))
	rt, err := runtime(ctx)
	if err != nil {
		return Report{}, err
	}
	defer func() { _ = rt.Close(context.Background()) }()
	p, err := proxy.Start(ctx, cfg, proxy.Options{
		Runtime: rt,
		Logger:  slog.New(slog.NewTextHandler(logOut, nil)),
		OnDecision: func(d proxy.Decision) {
			mu.Lock()
			decisions = append(decisions, d)
			mu.Unlock()
		},
	})
	if err != nil {
		return Report{}, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(cctx)
	}()
	outbound.Store(&url.URL{Scheme: "http", Host: p.Addr("svc-a-outbound")})

	clientTr := &http.Transport{}
	defer clientTr.CloseIdleConnections()
	client := &http.Client{Transport: otelhttp.NewTransport(clientTr, otelOpts...), Timeout: 10 * time.Second}
	var rep Report
	for i, r := range reqs {
		row, err := send(ctx, client, tp, "http://"+p.Addr("svc-a-inbound")+fmt.Sprintf("/orders/%d", i+1), r)
		if err != nil {
			return rep, fmt.Errorf("request %q: %w", r.Label, err)
		}
		rep.Rows = append(rep.Rows, row)
	}
	// Mirrors are fire and forget: give them a bounded moment to land before reporting.
	deadline := time.Now().Add(5 * time.Second)
	for st := p.Stats(); st.MirrorsCompleted+st.MirrorsFailed < st.MirrorsStarted && time.Now().Before(deadline); st = p.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range rep.Rows {
		row := &rep.Rows[i]
		for _, d := range decisions {
			if d.TraceID != row.TraceID {
				continue
			}
			if d.Listener == "svc-a-outbound" {
				row.Tenant, row.Route = d.Tenant, d.Route
				if len(d.Mirrors) > 0 {
					row.Mirror = strings.TrimPrefix(strings.Join(d.Mirrors, ","), proxy.ListenerPrefix)
				}
			}
		}
		if c, ok := v2.received(row.TraceID); ok {
			row.ShadowHost, row.ShadowMarked = c.Host, c.Shadow != ""
		}
	}
	rep.Stats = p.Stats()
	return rep, nil
}

// send makes one instrumented request with the given baggage.
func send(ctx context.Context, client *http.Client, tp trace.TracerProvider, target string, r Request) (Row, error) {
	row := Row{Label: r.Label, Baggage: strings.Join(r.Baggage, ",")}
	if len(r.Baggage) > 0 {
		b, err := baggage.Parse(row.Baggage)
		if err != nil {
			return row, err
		}
		ctx = baggage.ContextWithBaggage(ctx, b)
	}
	ctx, span := tp.Tracer("laneway-demo").Start(ctx, r.Label)
	defer span.End()
	row.TraceID = span.SpanContext().TraceID().String()
	req, err := http.NewRequestWithContext(ctx, "GET", target, nil)
	if err != nil {
		return row, err
	}
	req.Host = "svc-a:8080"
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return row, err
	}
	defer resp.Body.Close()
	row.LatencyMS = time.Since(start).Milliseconds()
	row.Status = resp.StatusCode
	var reply Reply
	if err := decodeJSON(resp.Body, &reply); err != nil {
		return row, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	row.ServedBy = reply.Service
	return row, nil
}

// WriteTable prints the report as an aligned table.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tREQUEST\tCLIENT BAGGAGE\tTENANT HEADER\tROUTE\tSERVED BY\tSTATUS\tMIRRORED TO\tSHADOW COPY AT v2")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for i, row := range r.Rows {
		shadow := "-"
		if row.ShadowHost != "" {
			shadow = "host " + row.ShadowHost
			if row.ShadowMarked {
				shadow += ", marked shadow"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", i+1, row.Label, dash(row.Baggage), dash(row.Tenant), dash(row.Route), dash(row.ServedBy), row.Status, dash(row.Mirror), shadow)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := r.Stats
	_, err := fmt.Fprintf(w, "\nproxy: %d requests handled across all listeners, %d local replies, %d mirrored copies (%d delivered, %d failed)\n",
		s.Requests, s.LocalReplies, s.MirrorsStarted, s.MirrorsCompleted, s.MirrorsFailed)
	return err
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// runtime hosts the VMs with wazero's compilation cache on disk (the user cache folder), so a
// second demo does not compile the modules again; without a cache folder it compiles in memory.
func runtime(ctx context.Context) (*testenv.Runtime, error) {
	opts := testenv.RuntimeOptions{}
	if dir, err := os.UserCacheDir(); err == nil {
		if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "laneway", "wazero")); err == nil {
			opts.CompilationCache = cache
			rt, err := testenv.NewRuntime(ctx, opts)
			if err != nil {
				_ = cache.Close(ctx)
			}
			return rt, err
		}
	}
	return testenv.NewRuntime(ctx, opts)
}
