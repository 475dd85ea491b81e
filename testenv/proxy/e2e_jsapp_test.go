package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage/appread"
	"github.com/laneway/laneway/testenv/apphop"
)

// jsMesh: an ingress gateway guarding every marker, a real OpenTelemetry JS app behind it, and
// the app's outbound sidecar that reads what the app forwards (tenant from baggage and every
// carrier; shadow and synthetic writes contained).
//
//	client ─► gateway [tenantroute trustBoundary allow [acme], shadowtag edge, synthetic edge] ─► JS app (Node, @opentelemetry/core)
//	  ─► app-outbound [tenantroute (baggage, tracestate, ot-baggage, uberctx), shadowtag outbound, synthetic outbound] ─┬─► svc-b@acme
//	                                                                                                                    ├─► svc-b@evil
//	                                                                                                                    └─► svc-b (baseline)
type jsMesh struct {
	proxy            *Proxy
	app              *apphop.JSApp
	base, acme, evil *echo
	decisions        *decisions
	client           *http.Client
	gatewayURL       string
}

// jsGatewayTenantroute is issue #17's gateway: a stripping trust boundary that accepts only acme.
const jsGatewayTenantroute = `{"trustBoundary": true, "allow": ["acme"], "stripBaggage": true}`

func newJSMesh(t *testing.T) *jsMesh {
	m := &jsMesh{base: newEcho(t, "svc-b"), acme: newEcho(t, "svc-b@acme"), evil: newEcho(t, "svc-b@evil"), decisions: &decisions{}}
	m.app = apphop.StartJS(t)
	m.proxy = startProxy(t, fmt.Sprintf(`
workers: 2
listeners:
- name: gateway
  direction: inbound
  filters:
  - {name: tenantroute, wasm: %[1]s, config: %[2]s}
  - {name: shadowtag, wasm: %[3]s, config: {"mode": "edge"}}
  - {name: synthetic, wasm: %[4]s, config: {"mode": "edge", "trust": {"token": {"secret": %[5]q}}, "participants": ["svc-b.prod.svc.cluster.local"]}}
  routes: [{name: js-app, upstream: %[6]s}]
- name: app-outbound
  direction: outbound
  filters:
  - {name: tenantroute, wasm: %[1]s, config: {"carriers": ["tracestate", "ot-baggage", "uberctx"]}}
  - {name: shadowtag, wasm: %[3]s, config: {"mode": "outbound"}}
  - {name: synthetic, wasm: %[4]s, config: {"mode": "outbound", "participants": ["ledger.prod.svc.cluster.local"]}}
  routes:
  - {name: svc-b-acme, match: [{headers: {x-laneway-tenant: {exact: acme}}}], upstream: %[7]s}
  - {name: svc-b-evil, match: [{headers: {x-laneway-tenant: {exact: evil}}}], upstream: %[8]s}
  - {name: svc-b-baseline, upstream: %[9]s}
`, dist(t, "tenantroute"), jsGatewayTenantroute, dist(t, "shadowtag"), dist(t, "synthetic"), synthSecret, m.app.Addr(),
		m.acme.addr(), m.evil.addr(), m.base.addr()), Options{OnDecision: m.decisions.add})
	m.app.SetNext(t, "http://"+m.proxy.Addr("app-outbound"), "svc-b.prod.svc.cluster.local")
	m.gatewayURL = "http://" + m.proxy.Addr("gateway")
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	m.client = &http.Client{Transport: tr}
	return m
}

// jsHop is what one request did at the gateway and at the app's outbound sidecar.
type jsHop struct {
	status            int
	servedBy          string
	gateway, outbound Decision
	upstream          seen // what the service behind the app's outbound sidecar received
}

// post sends what an outside client sends (a POST, so that shadow and synthetic containment
// apply to the app's next call) with a traceparent of its own (the trace the decisions are
// found by), and returns both sidecars' decisions.
func (m *jsMesh) post(t *testing.T, i int, kv ...string) jsHop {
	t.Helper()
	traceID := fmt.Sprintf("%032x", 0x17_0000+i)
	req, err := http.NewRequest(http.MethodPost, m.gatewayURL+"/orders", strings.NewReader(`{"order":1}`))
	require.NoError(t, err)
	req.Host = "shop.example.com"
	req.Header.Set("traceparent", "00-"+traceID+"-b7ad6b7169203331-01")
	for j := 0; j+1 < len(kv); j += 2 {
		req.Header.Add(kv[j], kv[j+1])
	}
	resp, err := m.client.Do(req)
	require.NoError(t, err)
	body := drain(resp)
	h := jsHop{status: resp.StatusCode, servedBy: resp.Header.Get("X-Served-By")}
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(body), &h.upstream), "the echo service answers with what it received: %q", body)
	}
	require.Eventually(t, func() bool {
		h.gateway, h.outbound = Decision{}, Decision{}
		for _, d := range m.decisions.all() {
			if d.TraceID == traceID {
				switch d.Listener {
				case "gateway":
					h.gateway = d
				case "app-outbound":
					h.outbound = d
				}
			}
		}
		return h.gateway.Listener != "" && h.outbound.Listener != ""
	}, 5*time.Second, 5*time.Millisecond, "decisions of both sidecars for trace %s (answer %d %q); the JS app forwards traceparent", traceID, resp.StatusCode, body)
	return h
}

// TestEndToEndTrustBoundaryHoldsThroughAnOpenTelemetryJSApp: issue #17 items 1 and 2 with a real
// OpenTelemetry JS app between the gateway and the next sidecar. What the gateway forwards, the
// app decodes (decodeURIComponent on keys) and re-injects; no client-chosen tenant, shadow mark or
// synthetic marker may come out of it at the next sidecar, and an accepted tenant still reaches
// its sandbox.
func TestEndToEndTrustBoundaryHoldsThroughAnOpenTelemetryJSApp(t *testing.T) {
	m := newJSMesh(t)
	tests := []struct {
		name string
		kv   []string
		// wantTenant is the tenant the gateway accepts and the app's outbound sidecar routes to
		// ("" = baseline): an accepted tenant is kept, every encoded copy of a tenant key is removed.
		wantTenant string
	}{
		{"percent-encoded hyphen laneway%2Dtenant", []string{"baggage", "laneway%2Dtenant=evil"}, ""},
		{"lower-case escape laneway%2dtenant", []string{"baggage", "laneway%2dtenant=evil"}, ""},
		{"encoded first letter %6Caneway-tenant", []string{"baggage", "%6Caneway-tenant=evil"}, ""},
		{"Signadot's key encoded sd-routing%2Dkey", []string{"baggage", "sd-routing%2Dkey=evil"}, ""},
		{"Python's plus laneway-tenant+", []string{"baggage", "laneway-tenant+=evil"}, ""},
		{"Python's encoded space laneway-tenant%20", []string{"baggage", "laneway-tenant%20=evil"}, ""},
		{"allowed tenant plus an encoded evil copy", []string{"baggage", "laneway-tenant=acme,laneway%2Dtenant=evil"}, "acme"},
		{"encoded evil copy before an allowed tenant", []string{"baggage", "laneway%2Dtenant=evil,laneway-tenant=acme"}, "acme"},
		{"allowed tenant and an encoded evil copy in two headers", []string{"baggage", "laneway-tenant=acme", "baggage", "laneway%2Dtenant=evil"}, "acme"},
		{"tracestate carrier the gateway does not read", []string{"tracestate", "laneway-tenant=evil"}, ""},
		{"tracestate with Signadot's key", []string{"tracestate", "sd-routing-key=evil"}, ""},
		{"encoded shadow mark laneway%2Dshadow", []string{"baggage", "laneway%2Dshadow=1"}, ""},
		{"encoded synthetic marker laneway%2Dsynthetic, no token", []string{"baggage", "laneway%2Dsynthetic=tx-1"}, ""},
		{"raw Latin-1 no-break space around the keys (Node's trim removes it)", []string{"baggage", "laneway-tenant\xa0=evil,\xa0laneway-shadow=1,laneway-synthetic\xa0=tx-1"}, ""},
		{"everything encoded at once", []string{"baggage", "laneway%2Dtenant=evil,laneway%2Dshadow=1,laneway%2Dsynthetic=tx-1"}, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := m.post(t, i, tc.kv...)
			assert.Equal(t, tc.wantTenant, h.gateway.Tenant, "tenant at the gateway")
			assert.Equal(t, tc.wantTenant, h.outbound.Tenant, "tenant at the app's outbound sidecar")
			assert.NotEqual(t, "svc-b-evil", h.outbound.Route, "the client chose the tenant")
			assert.Empty(t, h.outbound.LocalReply, "a contained write: the next sidecar read a shadow or synthetic mark from the JS app")
			assert.False(t, h.outbound.Shadow, "marked shadow at the next sidecar")
			assert.False(t, h.outbound.Synthetic, "marked synthetic at the next sidecar")
			assert.Equal(t, http.StatusOK, h.status)
			// What the JS app forwarded holds the accepted tenant once, in the plain key, and
			// nothing of the client's evil copies in any carrier.
			var tenants []string
			for _, mem := range appread.JS(h.upstream.Headers["baggage"]) {
				if mem.Key == "laneway-tenant" || mem.Key == "sd-routing-key" {
					tenants = append(tenants, mem.Value)
				}
			}
			if tc.wantTenant == "" {
				assert.Empty(t, tenants, "tenant members the JS app forwarded: %q", h.upstream.Headers["baggage"])
			} else {
				assert.Equal(t, []string{tc.wantTenant}, tenants, "tenant members the JS app forwarded: %q", h.upstream.Headers["baggage"])
			}
			for _, carrier := range []string{"baggage", "tracestate"} {
				v := h.upstream.Headers[carrier]
				assert.NotContains(t, v, "evil", "%s the JS app forwarded", carrier)
				assert.NotContains(t, strings.ToLower(v), "laneway-shadow", "%s the JS app forwarded", carrier)
				assert.NotContains(t, strings.ToLower(v), "laneway-synthetic", "%s the JS app forwarded", carrier)
			}
			if tc.wantTenant == "" {
				assert.Equal(t, "svc-b-baseline", h.outbound.Route)
				assert.Equal(t, "svc-b", h.servedBy)
			} else {
				assert.Equal(t, "svc-b-"+tc.wantTenant, h.outbound.Route)
				assert.Equal(t, "svc-b@"+tc.wantTenant, h.servedBy)
			}
		})
	}

	t.Run("an accepted tenant reaches the sandbox through the JS app", func(t *testing.T) {
		for i, kv := range [][]string{
			{"baggage", "laneway-tenant=acme"},
			{"baggage", "user=7,laneway-tenant=acme"},
			{"baggage", "sd-routing-key=acme"},
		} {
			h := m.post(t, 100+i, kv...)
			assert.Equal(t, "acme", h.gateway.Tenant, "%v", kv)
			assert.Equal(t, "acme", h.outbound.Tenant, "%v", kv)
			assert.Equal(t, "svc-b-acme", h.outbound.Route, "%v", kv)
			assert.Equal(t, "svc-b@acme", h.servedBy, "%v", kv)
			assert.Equal(t, http.StatusOK, h.status, "%v", kv)
		}
		got := m.acme.wait(t, 5*time.Second)
		assert.Equal(t, http.MethodPost, got.Method, "the JS app calls on with the incoming method")
		assert.Equal(t, "svc-b.prod.svc.cluster.local", got.Host)
	})

	t.Run("control: the outbound sidecar routes what the JS app forwards", func(t *testing.T) {
		// Sent to the app directly (no gateway), the decoded key is read as the tenant: the
		// test would catch a leak.
		req, err := http.NewRequest(http.MethodPost, "http://"+m.app.Addr()+"/orders", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("baggage", "laneway%2Dtenant=evil")
		resp, err := m.client.Do(req)
		require.NoError(t, err)
		drain(resp)
		assert.Equal(t, "svc-b@evil", resp.Header.Get("X-Served-By"))
	})
}
