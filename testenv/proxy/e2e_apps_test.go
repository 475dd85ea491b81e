package proxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// otelKit is the OpenTelemetry SDK setup every e2e app shares: always-sampled traces and the
// W3C trace-context and baggage propagators, so apps forward baggage the way real ones do.
type otelKit struct {
	tp   *sdktrace.TracerProvider
	opts []otelhttp.Option
}

func newOtelKit(t *testing.T) *otelKit {
	k := &otelKit{tp: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))}
	t.Cleanup(func() { _ = k.tp.Shutdown(context.Background()) })
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	k.opts = []otelhttp.Option{otelhttp.WithTracerProvider(k.tp), otelhttp.WithPropagators(prop)}
	return k
}

// sidecarClient is an instrumented client whose every request goes to the app's outbound
// listener (set later, once the proxy has its ports), like iptables capture in a mesh.
func (k *otelKit) sidecarClient(t *testing.T, outbound *atomic.Pointer[url.URL]) *http.Client {
	tr := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return outbound.Load(), nil }}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: otelhttp.NewTransport(tr, k.opts...), Timeout: 5 * time.Second}
}

// client is an instrumented client that dials the given listener address directly.
func (k *otelKit) client(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: otelhttp.NewTransport(tr, k.opts...), Timeout: 5 * time.Second}
}

// serve starts an instrumented app on a loopback port.
func (k *otelKit) serve(t *testing.T, name string, h http.HandlerFunc) string {
	srv := httptest.NewServer(otelhttp.NewHandler(h, name, k.opts...))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// recorder remembers what a service received, for assertions.
type recorder[T any] struct {
	mu   sync.Mutex
	list []T
}

func (r *recorder[T]) add(x T) {
	r.mu.Lock()
	r.list = append(r.list, x)
	r.mu.Unlock()
}

func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.list...)
}

// count returns how many recorded entries satisfy keep.
func (r *recorder[T]) count(keep func(T) bool) int {
	n := 0
	for _, x := range r.all() {
		if keep(x) {
			n++
		}
	}
	return n
}

// drain reads and closes a response body, returning it as a string.
func drain(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b)
}
