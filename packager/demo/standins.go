package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/proxy"
)

// standIns are the apps both demos run on loopback in place of real workloads: svc-a, svc-b's
// baseline, its sandbox (sbx-1) and its v2, and the ledger, all instrumented with OpenTelemetry.
// Each app's outgoing calls go to the address its egress holds (its sidecar's outbound listener, or
// in ambient mode its node's ztunnel), set by egressTo once the mesh is up.
type standIns struct {
	tp       *sdktrace.TracerProvider
	otelOpts []otelhttp.Option
	// egressA, egressB and egressV2 are where svc-a, svc-b (baseline and sandbox) and v2 send their calls.
	egressA, egressB, egressV2 atomic.Pointer[url.URL]
	base, sbx, v2              *svcB
	ledger                     *ledger
	// addrs are the apps' addresses by their mesh template key (SVC_A, SVC_B, SVC_B_SBX_1, SVC_B_V2,
	// LEDGER, and the keys of the extra apps).
	addrs      map[string]string
	servers    []*server
	transports []*http.Transport
}

// startStandIns starts the apps on free loopback ports, and extra handlers (by template key) beside them.
// close stops them, also after an error.
func startStandIns(extra map[string]http.Handler) (*standIns, error) {
	s := &standIns{
		tp:     sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample())),
		ledger: &ledger{},
		addrs:  map[string]string{},
	}
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	s.otelOpts = []otelhttp.Option{otelhttp.WithTracerProvider(s.tp), otelhttp.WithPropagators(prop)}
	aHandler, aTransport := svcA(&s.egressA, s.otelOpts)
	bLedger, bTransport := sidecarClient(&s.egressB, s.otelOpts)
	v2Ledger, v2Transport := sidecarClient(&s.egressV2, s.otelOpts)
	s.transports = append(s.transports, aTransport, bTransport, v2Transport)
	s.base, s.sbx, s.v2 = newSvcB("svc-b", bLedger), newSvcB("svc-b@sbx-1", bLedger), newSvcB("svc-b-v2", v2Ledger)
	apps := map[string]http.Handler{
		"SVC_A": aHandler, "SVC_B": s.instrumented(s.base, "svc-b"), "SVC_B_SBX_1": s.instrumented(s.sbx, "svc-b@sbx-1"),
		"SVC_B_V2": s.instrumented(s.v2, "svc-b-v2"), "LEDGER": s.ledger,
	}
	for k, h := range extra {
		apps[k] = h
	}
	for name, h := range apps {
		srv, err := serve(h)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("starting the demo's %s: %w", name, err)
		}
		s.servers = append(s.servers, srv)
		s.addrs[name] = srv.addr
	}
	return s, nil
}

func (s *standIns) instrumented(h http.Handler, name string) http.Handler {
	return otelhttp.NewHandler(h, name, s.otelOpts...)
}

// egressTo points svc-a's, svc-b's and v2's outgoing calls at the mesh listeners named.
func (s *standIns) egressTo(p *proxy.Proxy, a, b, v2 string) {
	s.egressA.Store(&url.URL{Scheme: "http", Host: p.Addr(a)})
	s.egressB.Store(&url.URL{Scheme: "http", Host: p.Addr(b)})
	s.egressV2.Store(&url.URL{Scheme: "http", Host: p.Addr(v2)})
}

// client returns the demo client: instrumented like the apps, its connections closed by close.
func (s *standIns) client() *http.Client {
	tr := &http.Transport{}
	s.transports = append(s.transports, tr)
	return &http.Client{Transport: otelhttp.NewTransport(tr, s.otelOpts...), Timeout: 10 * time.Second}
}

// close stops the apps, their connections and the tracer provider.
func (s *standIns) close() {
	for _, srv := range s.servers {
		_ = srv.srv.Close()
	}
	for _, tr := range s.transports {
		tr.CloseIdleConnections()
	}
	_ = s.tp.Shutdown(context.Background())
}

// fillContainment adds to a containment row what svc-b and v2 received and the ledger writes its trace made.
func (s *standIns) fillContainment(row *ContainmentRow) {
	if b, ok := s.base.received(row.TraceID); ok {
		row.SvcBSaw, row.LedgerStatus, row.LedgerAnsweredBy = b.Synthetic, b.LedgerStatus, b.LedgerAnsweredBy
	}
	if c, ok := s.v2.received(row.TraceID); ok {
		row.ShadowLedgerStatus, row.ShadowLedgerAnsweredBy = c.LedgerStatus, c.LedgerAnsweredBy
	}
	for _, w := range s.ledger.all() {
		if w.TraceID != row.TraceID {
			continue
		}
		row.LedgerWrites++
		if w.Shadow {
			row.ShadowWrites++
		}
		if w.Synthetic {
			row.SyntheticWrites++
		}
	}
}

// fillShadow adds to a routing row what v2 saw of the request's mirrored copy.
func (s *standIns) fillShadow(row *Row) {
	if c, ok := s.v2.received(row.TraceID); ok {
		row.ShadowHost, row.ShadowMarked = c.Host, c.Shadow != ""
	}
}

// demoMesh is the demo's local mesh, with every decision it made.
type demoMesh struct {
	*proxy.Proxy
	rt        *testenv.Runtime
	mu        sync.Mutex
	decisions []proxy.Decision
}

// startMesh loads the filters into the VMs of whose (for the progress line: "every listener's") and starts
// the mesh; decisionLog gets the proxy's decision log (nil: discarded). close stops it.
func startMesh(ctx context.Context, cfg proxy.Config, progress, decisionLog io.Writer, whose string) (*demoMesh, error) {
	if decisionLog == nil {
		decisionLog = io.Discard
	}
	rt, err := runtime(ctx)
	if err != nil {
		return nil, err
	}
	m := &demoMesh{rt: rt}
	err = stepProgress(progress, "loading the filters into "+whose+" VMs (the first run compiles the modules to native code, about half a minute; later runs reuse the cache)",
		"loading the filters", func() (string, error) {
			var err error
			m.Proxy, err = proxy.Start(ctx, cfg, proxy.Options{
				Runtime: rt,
				Logger:  slog.New(slog.NewTextHandler(decisionLog, nil)),
				OnDecision: func(d proxy.Decision) {
					m.mu.Lock()
					m.decisions = append(m.decisions, d)
					m.mu.Unlock()
				},
			})
			return "", err
		})
	if err != nil {
		_ = rt.Close(context.Background())
		return nil, err
	}
	return m, nil
}

// close stops the mesh (requests in flight get 5 s) and its runtime.
func (m *demoMesh) close() {
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.Close(cctx)
	_ = m.rt.Close(context.Background())
}

// decisionsOf returns the decisions the mesh made for a trace.
func (m *demoMesh) decisionsOf(traceID string) []proxy.Decision {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ds []proxy.Decision
	for _, d := range m.decisions {
		if d.TraceID == traceID {
			ds = append(ds, d)
		}
	}
	return ds
}

// settleMirrors gives the mirrored copies, fire and forget, a bounded moment to land before the report.
func (m *demoMesh) settleMirrors() {
	deadline := time.Now().Add(5 * time.Second)
	for st := m.Stats(); st.MirrorsCompleted+st.MirrorsFailed < st.MirrorsStarted && time.Now().Before(deadline); st = m.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
}

// counters returns the filters' outcome counters the report shows that are not zero.
func (m *demoMesh) counters() map[string]int64 {
	cs := map[string]int64{}
	for _, n := range counterNames {
		if v := m.Counter(n); v != 0 {
			cs[n] = v
		}
	}
	return cs
}
