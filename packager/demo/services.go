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
)

// Reply is what a svc-b version answers: who served the request and what it saw.
type Reply struct {
	Service string `json:"service"`
	Host    string `json:"host"`
	Path    string `json:"path"`
	Tenant  string `json:"tenant,omitempty"`
	Baggage string `json:"baggage,omitempty"`
	Shadow  string `json:"shadow,omitempty"`
	TraceID string `json:"traceId,omitempty"`
}

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
type svcB struct {
	name string
	mu   sync.Mutex
	seen map[string]Reply
}

func newSvcB(name string) *svcB { return &svcB{name: name, seen: map[string]Reply{}} }

func (b *svcB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	rep := Reply{
		Service: b.name, Host: r.Host, Path: r.URL.RequestURI(),
		Tenant:  r.Header.Get("x-laneway-tenant"),
		Baggage: strings.Join(r.Header.Values("baggage"), ","),
		Shadow:  r.Header.Get("x-laneway-shadow"),
		TraceID: traceID(r.Header.Get("traceparent")),
	}
	b.mu.Lock()
	b.seen[rep.TraceID] = rep
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rep)
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
	tr := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return outbound.Load(), nil }}
	client := &http.Client{Transport: otelhttp.NewTransport(tr, opts...), Timeout: 10 * time.Second}
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
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	return otelhttp.NewHandler(h, "svc-a", opts...), tr
}

func traceID(traceparent string) string {
	parts := strings.Split(traceparent, "-")
	if len(parts) < 4 || len(parts[1]) != 32 {
		return ""
	}
	return parts[1]
}
