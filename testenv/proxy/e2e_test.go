package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// mesh is the end-to-end topology: an OTel client calls svc-a through its inbound listener;
// svc-a (otelhttp server and client) calls svc-b through its outbound listener, where
// tenantroute picks baseline or the sbx-1 sandbox; baseline traffic is mirrored to svc-b v2
// through v2's inbound listener, where shadowtag marks the copy.
type mesh struct {
	proxy             *Proxy
	base, sandbox, v2 *echo
	decisions         *decisions
	client            *http.Client
	tp                *sdktrace.TracerProvider
	prop              propagation.TextMapPropagator
	svcAOutbound      atomic.Pointer[url.URL]
	svcA              *httptest.Server
	inboundURL        string
}

func newMesh(t *testing.T) *mesh {
	m := &mesh{
		base: newEcho(t, "svc-b"), sandbox: newEcho(t, "svc-b@sbx-1"), v2: newEcho(t, "svc-b-v2"),
		decisions: &decisions{},
		tp:        sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample())),
		prop:      propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	t.Cleanup(func() { _ = m.tp.Shutdown(context.Background()) })
	otelOpts := []otelhttp.Option{otelhttp.WithTracerProvider(m.tp), otelhttp.WithPropagators(m.prop)}

	// svc-a: forwards to svc-b through its outbound sidecar; baggage travels by the OTel SDK.
	outTransport := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return m.svcAOutbound.Load(), nil }}
	t.Cleanup(outTransport.CloseIdleConnections)
	aClient := &http.Client{Transport: otelhttp.NewTransport(outTransport, otelOpts...), Timeout: 10 * time.Second}
	m.svcA = httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://svc-b:8080"+r.URL.RequestURI(), nil)
		resp, err := aClient.Do(req)
		if err != nil {
			http.Error(w, "svc-a: calling svc-b: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}), "svc-a", otelOpts...))
	t.Cleanup(m.svcA.Close)

	m.proxy = startProxy(t, fmt.Sprintf(`
workers: 2
mirrorTimeout: 4s
listeners:
- name: svc-a-inbound
  direction: inbound
  routes:
  - upstream: %[1]s
- name: svc-a-outbound
  direction: outbound
  filters:
  - name: tenantroute
    wasm: %[2]s
    config: {}
  routes:
  - name: svc-b-sbx-1
    match:
    - headers:
        x-laneway-tenant: {exact: sbx-1}
    upstream: %[3]s
  - name: svc-b-baseline
    upstream: %[4]s
    mirrors:
    - upstream: listener:svc-b-v2-inbound
- name: svc-b-v2-inbound
  direction: inbound
  filters:
  - name: shadowtag
    wasm: %[5]s
    config: {"mode": "inbound"}
  routes:
  - upstream: %[6]s
`, strings.TrimPrefix(m.svcA.URL, "http://"), dist(t, "tenantroute"), m.sandbox.addr(), m.base.addr(), dist(t, "shadowtag"), m.v2.addr()),
		Options{OnDecision: m.decisions.add})
	m.svcAOutbound.Store(&url.URL{Scheme: "http", Host: m.proxy.Addr("svc-a-outbound")})
	m.inboundURL = "http://" + m.proxy.Addr("svc-a-inbound")
	clientTransport := &http.Transport{}
	t.Cleanup(clientTransport.CloseIdleConnections)
	m.client = &http.Client{Transport: otelhttp.NewTransport(clientTransport, otelOpts...), Timeout: 10 * time.Second}
	return m
}

// get sends GET path to svc-a as an instrumented client whose baggage holds members, and
// returns what svc-b answered (through svc-a), the client's trace id and the latency.
func (m *mesh) get(t *testing.T, path string, members ...string) (seen, string, time.Duration) {
	t.Helper()
	ctx := context.Background()
	if len(members) > 0 {
		b, err := baggage.Parse(strings.Join(members, ","))
		require.NoError(t, err)
		ctx = baggage.ContextWithBaggage(ctx, b)
	}
	ctx, span := m.tp.Tracer("e2e-client").Start(ctx, "call svc-a")
	defer span.End()
	req, err := http.NewRequestWithContext(ctx, "GET", m.inboundURL+path, nil)
	require.NoError(t, err)
	req.Host = "svc-a:8080"
	start := time.Now()
	resp, err := m.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	took := time.Since(start)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "body: %s", body)
	var s seen
	require.NoError(t, json.Unmarshal(body, &s), "body: %s", body)
	return s, trace.SpanContextFromContext(ctx).TraceID().String(), took
}

// decision returns the decision of listener for the trace, failing when there is none.
func (m *mesh) decision(t *testing.T, listener, traceID string) Decision {
	t.Helper()
	var found *Decision
	require.Eventually(t, func() bool {
		for _, d := range m.decisions.all() {
			if d.Listener == listener && d.TraceID == traceID {
				found = &d
				return true
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond, "no decision for %s on %s", traceID, listener)
	return *found
}

func TestEndToEndBaggageTenantReachesTheSandboxThroughTwoHops(t *testing.T) {
	m := newMesh(t)
	tests := []struct {
		name        string
		members     []string
		wantService string
		wantRoute   string
		wantTenant  string
	}{
		{"the sbx-1 tenant in the client's baggage reaches svc-b@sbx-1", []string{"laneway-tenant=sbx-1"}, "svc-b@sbx-1", "svc-b-sbx-1", "sbx-1"},
		{"a tenant next to other baggage members reaches svc-b@sbx-1", []string{"user=7", "laneway-tenant=sbx-1"}, "svc-b@sbx-1", "svc-b-sbx-1", "sbx-1"},
		{"no tenant reaches baseline", nil, "svc-b", "svc-b-baseline", ""},
		{"an unknown tenant reaches baseline", []string{"laneway-tenant=sbx-9"}, "svc-b", "svc-b-baseline", "sbx-9"},
		{"Signadot's routing key is honoured too", []string{"sd-routing-key=sbx-1"}, "svc-b@sbx-1", "svc-b-sbx-1", "sbx-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, traceID, _ := m.get(t, "/orders/42", tc.members...)
			assert.Equal(t, tc.wantService, s.Service)
			assert.Equal(t, "svc-b:8080", s.Host)
			assert.Equal(t, "/orders/42", s.Path)
			for _, mem := range tc.members {
				assert.Contains(t, s.Headers["baggage"], mem, "svc-a's OTel SDK forwarded the client's baggage")
			}
			assert.Contains(t, s.Headers["traceparent"], traceID, "the trace continues through svc-a")
			d := m.decision(t, "svc-a-outbound", traceID)
			assert.Equal(t, tc.wantRoute, d.Route)
			assert.Equal(t, tc.wantTenant, d.Tenant)
			assert.Equal(t, 200, d.Status)
		})
	}
}

func TestEndToEndMirroredCopiesReachTheShadowWithoutAffectingLiveTraffic(t *testing.T) {
	m := newMesh(t)
	s, traceID, _ := m.get(t, "/orders/1")
	require.Equal(t, "svc-b", s.Service)
	copyAtV2 := m.v2.wait(t, 5*time.Second)
	assert.Equal(t, "svc-b-shadow:8080", copyAtV2.Host, "Envoy's mirror host rewrite")
	assert.Equal(t, "/orders/1", copyAtV2.Path)
	assert.Contains(t, copyAtV2.Headers["traceparent"], traceID)
	assert.NotEmpty(t, copyAtV2.Headers["x-laneway-shadow"], "shadowtag on v2's inbound marks the copy")
	assert.Contains(t, copyAtV2.Headers["baggage"], "laneway-shadow=1", "shadowtag adds the shadow baggage member")
	assert.Empty(t, s.Headers["x-laneway-shadow"], "the live request carries no shadow marker")
	d := m.decision(t, "svc-b-v2-inbound", traceID)
	assert.True(t, d.Shadow)

	t.Run("a slow shadow does not slow the live request", func(t *testing.T) {
		m.v2.mu.Lock()
		m.v2.delay = 1500 * time.Millisecond
		m.v2.mu.Unlock()
		s, _, took := m.get(t, "/orders/2")
		assert.Equal(t, "svc-b", s.Service)
		assert.Less(t, took, time.Second)
		m.v2.wait(t, 5*time.Second)
	})
	t.Run("a shadow that is down does not fail the live request", func(t *testing.T) {
		m.v2.srv.Close()
		before := m.proxy.Stats()
		s, _, _ := m.get(t, "/orders/3")
		assert.Equal(t, "svc-b", s.Service)
		require.Eventually(t, func() bool {
			st := m.proxy.Stats()
			return st.MirrorsCompleted+st.MirrorsFailed == st.MirrorsStarted
		}, 6*time.Second, 10*time.Millisecond)
		assert.Equal(t, before.MirrorsStarted+1, m.proxy.Stats().MirrorsStarted)
	})
	t.Run("sandbox traffic is not mirrored", func(t *testing.T) {
		before := m.proxy.Stats().MirrorsStarted
		s, _, _ := m.get(t, "/orders/4", "laneway-tenant=sbx-1")
		assert.Equal(t, "svc-b@sbx-1", s.Service)
		assert.Equal(t, before, m.proxy.Stats().MirrorsStarted)
	})
}
