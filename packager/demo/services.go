package demo

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
)

// Reply is what a svc-b version answers: who served the request and what it saw.
type Reply struct {
	Service string `json:"service"`
	Host    string `json:"host"`
	Path    string `json:"path"`
	Tenant  string `json:"tenant,omitempty"`
	Baggage string `json:"baggage,omitempty"`
	Shadow  string `json:"shadow,omitempty"`
	// Synthetic is the x-laneway-synthetic header svc-b received.
	Synthetic string `json:"synthetic,omitempty"`
	TraceID   string `json:"traceId,omitempty"`
	// LedgerStatus is what svc-b's write to the ledger got (POST only); LedgerAnsweredBy names
	// the filter that answered instead of the ledger ("" when the ledger did).
	LedgerStatus     int    `json:"ledgerStatus,omitempty"`
	LedgerAnsweredBy string `json:"ledgerAnsweredBy,omitempty"`
}

// SvcASawHeader, SvcABaggageHeader and SvcATenantHeader are the response headers in which svc-a
// reports what it received after the edge: the synthetic marker, the baggage and x-laneway-tenant.
const (
	SvcASawHeader     = "X-Demo-Svc-A-Synthetic"
	SvcABaggageHeader = "X-Demo-Svc-A-Baggage"
	SvcATenantHeader  = "X-Demo-Svc-A-Tenant"
)

// server is one demo service on a free loopback port.
type server struct {
	srv  *http.Server
	addr string
}

func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, addr: ln.Addr().String()}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// svcB is one version of svc-b: it answers with a Reply and remembers each one by trace id.
// On POST it first writes to the ledger through its outbound sidecar (ledger client).
type svcB struct {
	name   string
	ledger *http.Client
	mu     sync.Mutex
	seen   map[string]Reply
}

func newSvcB(name string, ledger *http.Client) *svcB {
	return &svcB{name: name, ledger: ledger, seen: map[string]Reply{}}
}

func (b *svcB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	rep := Reply{
		Service: b.name, Host: r.Host, Path: r.URL.RequestURI(),
		Tenant:    r.Header.Get("x-laneway-tenant"),
		Baggage:   strings.Join(r.Header.Values("baggage"), ","),
		Shadow:    r.Header.Get("x-laneway-shadow"),
		Synthetic: r.Header.Get("x-laneway-synthetic"),
		TraceID:   traceID(r.Header.Get("traceparent")),
	}
	if r.Method == http.MethodPost && b.ledger != nil {
		rep.LedgerStatus, rep.LedgerAnsweredBy = b.writeLedger(r)
	}
	b.mu.Lock()
	b.seen[rep.TraceID] = rep
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rep)
}

// writeLedger records the request in the ledger; the OTel SDK forwards the incoming baggage.
func (b *svcB) writeLedger(r *http.Request) (status int, answeredBy string) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://ledger:8080/entries", strings.NewReader(r.URL.Path))
	if err != nil {
		return http.StatusInternalServerError, ""
	}
	resp, err := b.ledger.Do(req)
	if err != nil {
		return http.StatusBadGateway, ""
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	switch {
	case resp.Header.Get("x-laneway-shadow") == "suppressed":
		answeredBy = "shadowtag"
	case resp.Header.Get("x-laneway-synthetic") != "":
		answeredBy = "synthetic" // the refusal carries the transaction's marker
	}
	return resp.StatusCode, answeredBy
}

func (b *svcB) received(traceID string) (Reply, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.seen[traceID]
	return r, ok
}

// svcA is an OpenTelemetry-instrumented service that calls svc-b through its outbound sidecar;
// the OTel SDK forwards the incoming baggage and trace context.
func svcA(outbound *atomic.Pointer[url.URL], opts []otelhttp.Option) (http.Handler, *http.Transport) {
	client, tr := sidecarClient(outbound, opts)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://svc-b:8080"+r.URL.RequestURI(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "svc-a: calling svc-b: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.Header().Set(SvcASawHeader, syntheticSeen(r.Header))
		w.Header().Set(SvcABaggageHeader, strings.Join(r.Header.Values("baggage"), ","))
		w.Header().Set(SvcATenantHeader, strings.Join(r.Header.Values("x-laneway-tenant"), ","))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	return otelhttp.NewHandler(h, "svc-a", opts...), tr
}

// syntheticSeen is the synthetic marker an app received: the x-laneway-synthetic header, else
// "baggage;id=<id>" when only the laneway-synthetic baggage member carries it (a trust-boundary
// tenantroute behind synthetic at the same gateway strips the header synthetic set; the baggage
// member travels on and the next synthetic outbound hop restores the header), else "".
func syntheticSeen(h http.Header) string {
	if v := h.Get("x-laneway-synthetic"); v != "" {
		return v
	}
	bag, _ := baggage.Parse(strings.Join(h.Values("baggage"), ","))
	if id := bag.Member("laneway-synthetic").Value(); id != "" {
		return "baggage;id=" + id
	}
	return ""
}

// LedgerWrite is one write the ledger received.
type LedgerWrite struct {
	TraceID string
	// Shadow and Synthetic: the write carried laneway's shadow or synthetic mark (header or baggage).
	Shadow, Synthetic bool
}

// ledger is the collaborator svc-b writes to; it remembers every write.
type ledger struct {
	mu     sync.Mutex
	writes []LedgerWrite
}

func (l *ledger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	bag, _ := baggage.Parse(strings.Join(r.Header.Values("baggage"), ","))
	lw := LedgerWrite{
		TraceID:   traceID(r.Header.Get("traceparent")),
		Shadow:    r.Header.Get("x-laneway-shadow") != "" || bag.Member("laneway-shadow").Value() != "",
		Synthetic: r.Header.Get("x-laneway-synthetic") != "" || bag.Member("laneway-synthetic").Value() != "",
	}
	if r.Method == http.MethodPost {
		l.mu.Lock()
		l.writes = append(l.writes, lw)
		l.mu.Unlock()
	}
	w.WriteHeader(http.StatusCreated)
}

func (l *ledger) all() []LedgerWrite {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LedgerWrite(nil), l.writes...)
}

// sidecarClient is an OTel-instrumented client whose requests all go to an outbound listener.
func sidecarClient(outbound *atomic.Pointer[url.URL], opts []otelhttp.Option) (*http.Client, *http.Transport) {
	tr := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return outbound.Load(), nil }}
	return &http.Client{Transport: otelhttp.NewTransport(tr, opts...), Timeout: 10 * time.Second}, tr
}

func traceID(traceparent string) string {
	parts := strings.Split(traceparent, "-")
	if len(parts) < 4 || len(parts[1]) != 32 {
		return ""
	}
	return parts[1]
}
