package meshroutes

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/laneway/laneway/packager/gatewayres"
	"github.com/laneway/laneway/packager/istiores"
	"github.com/laneway/laneway/packager/routegroup"
	"github.com/laneway/laneway/testenv/proxy"
	"github.com/laneway/laneway/testenv/testenvtest"
)

const group = `
namespace: shop
services:
- name: svc-a
  port: 8080
- name: svc-b
  port: 9090
  mirrors: [{host: svc-b-candidate}]
tenants:
- name: feature-x
  routes:
  - {service: svc-a, host: svc-a-feature-x}
  - {service: svc-b, host: svc-b-feature-x}
- name: sbx-1
  routes:
  - {service: svc-b, host: svc-b-sbx-1}
`

const clientID = "spiffe://cluster.local/ns/shop/sa/client"

// backends are the services' stand-ins: each answers with its name and counts what it received.
type backends struct {
	mu   sync.Mutex
	srv  map[string]*httptest.Server
	hits map[string]int
}

func newBackends(t *testing.T, names ...string) *backends {
	b := &backends{srv: map[string]*httptest.Server{}, hits: map[string]int{}}
	for _, n := range names {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.mu.Lock()
			b.hits[n]++
			b.mu.Unlock()
			_, _ = fmt.Fprint(w, n)
		}))
		t.Cleanup(s.Close)
		b.srv[n] = s
	}
	return b
}

func (b *backends) resolve(host string) (string, error) {
	host = strings.TrimSuffix(host, ".shop")
	if s, ok := b.srv[host]; ok {
		return strings.TrimPrefix(s.URL, "http://"), nil
	}
	return "", fmt.Errorf("no backend %q", host)
}

// ambientMesh is a client's ztunnel and one waypoint per service with tenantroute, routing with routes.
func ambientMesh(t *testing.T, routes map[string][]proxy.RouteConfig) proxy.Config {
	cfg := proxy.Config{Workers: 1, Profile: "envoy139", TenantHeader: proxy.DefaultTenantHeader,
		UpstreamTimeout: 5 * time.Second, MirrorTimeout: 5 * time.Second, MaxBodyBytes: proxy.DefaultMaxBodyBytes}
	zt := proxy.ListenerConfig{Name: "ztunnel-client", Address: proxy.DefaultAddress, Identity: clientID}
	var svcs []string
	for s := range routes {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	for _, s := range svcs {
		zt.Routes = append(zt.Routes, proxy.RouteConfig{Name: "to-" + s, Match: []proxy.MatchConfig{{Authority: ptr(proxy.Exact(s))}}, Upstream: proxy.ListenerPrefix + "waypoint-" + s})
		cfg.Listeners = append(cfg.Listeners, proxy.ListenerConfig{
			Name: "waypoint-" + s, Address: proxy.DefaultAddress, Waypoint: true, Direction: "inbound",
			Filters: []proxy.FilterConfig{{Name: "tenantroute", Wasm: testenvtest.DistPath(t, "tenantroute"), PluginConfig: []byte(`{}`), FailStrategy: proxy.FailClose}},
			Routes:  routes[s],
		})
	}
	cfg.Listeners = append([]proxy.ListenerConfig{zt}, cfg.Listeners...)
	return cfg
}

func ptr[T any](v T) *T { return &v }

// decision is what the waypoint did with one request, in terms both renderings share.
type decision struct {
	Service, Tenant, Upstream, Peer string
	Mirrors                         []string
	Status                          int
	Body                            string
}

// drive sends every request through the client's ztunnel and returns the waypoints' decisions.
func drive(t *testing.T, cfg proxy.Config, reqs []request) []decision {
	var mu sync.Mutex
	var seen []proxy.Decision
	p, err := proxy.Start(context.Background(), cfg, proxy.Options{Runtime: testenvtest.Runtime(t), OnDecision: func(d proxy.Decision) {
		mu.Lock()
		seen = append(seen, d)
		mu.Unlock()
	}})
	require.NoError(t, err)
	defer func() { _ = p.Close(context.Background()) }()
	var out []decision
	for _, rq := range reqs {
		mu.Lock()
		seen = nil
		mu.Unlock()
		req, err := http.NewRequest("GET", "http://"+p.Addr("ztunnel-client")+"/", nil)
		require.NoError(t, err)
		req.Host = rq.service
		if rq.baggage != "" {
			req.Header.Set("baggage", rq.baggage)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body := make([]byte, 64)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		mu.Lock()
		var wp *proxy.Decision
		for i := range seen {
			if seen[i].Listener == "waypoint-"+rq.service {
				wp = &seen[i]
			}
		}
		mu.Unlock()
		require.NotNil(t, wp, "the request reached %s's waypoint", rq.service)
		out = append(out, decision{Service: rq.service, Tenant: wp.Tenant, Upstream: wp.Upstream, Peer: wp.Peer, Mirrors: wp.Mirrors, Status: resp.StatusCode, Body: string(body[:n])})
	}
	return out
}

type request struct{ service, baggage string }

func TestVirtualServiceAndHTTPRouteRenderingsRouteAlikeOnALocalAmbientMesh(t *testing.T) {
	g, err := routegroup.Parse([]byte(group))
	require.NoError(t, err)
	b := newBackends(t, "svc-a", "svc-a-feature-x", "svc-b", "svc-b-feature-x", "svc-b-sbx-1", "svc-b-candidate")

	vsObjs, err := istiores.GroupRoutes(g)
	require.NoError(t, err)
	vsRoutes := map[string][]proxy.RouteConfig{}
	for _, o := range vsObjs {
		vs := o.(*clientnet.VirtualService)
		vsRoutes[vs.Spec.Hosts[0]], err = FromVirtualService(vs, b.resolve)
		require.NoError(t, err)
	}
	hrObjs, err := gatewayres.GroupRoutes(g)
	require.NoError(t, err)
	hrRoutes := map[string][]proxy.RouteConfig{}
	for _, o := range hrObjs {
		r := o.(*gwv1.HTTPRoute)
		hrRoutes[string(r.Spec.ParentRefs[0].Name)], err = FromHTTPRoute(r, b.resolve)
		require.NoError(t, err)
	}

	var reqs []request
	for _, svc := range []string{"svc-a", "svc-b"} {
		for _, bag := range []string{"", "laneway-tenant=feature-x", "laneway-tenant=sbx-1", "sd-routing-key=sbx-1", "laneway-tenant=nobody", "laneway-tenant=Bad_T", "k=v,laneway-tenant=feature-x"} {
			reqs = append(reqs, request{svc, bag})
		}
	}
	viaVS := drive(t, ambientMesh(t, vsRoutes), reqs)
	viaHR := drive(t, ambientMesh(t, hrRoutes), reqs)
	require.Len(t, viaHR, len(viaVS))
	for i := range viaVS {
		assert.Equal(t, viaVS[i], viaHR[i], "request %d %+v: VirtualService and HTTPRoute decide alike", i, reqs[i])
	}

	// And the decisions are the group's: each tenant's sandbox, the baseline otherwise, mirrors only there.
	want := map[string]string{"svc-a|feature-x": "svc-a-feature-x", "svc-b|feature-x": "svc-b-feature-x", "svc-b|sbx-1": "svc-b-sbx-1"}
	for i, d := range viaHR {
		backend := want[d.Service+"|"+d.Tenant]
		if backend == "" {
			backend = d.Service
		}
		assert.Equal(t, backend, d.Body, "request %d %+v reached %s", i, reqs[i], backend)
		assert.Equal(t, clientID, d.Peer, "the waypoint saw the client's identity")
		if d.Service == "svc-b" && backend == "svc-b" {
			assert.Len(t, d.Mirrors, 1, "baseline requests to svc-b are mirrored to the candidate")
		} else {
			assert.Empty(t, d.Mirrors, "tenant requests and svc-a are not mirrored")
		}
	}
}

func TestHTTPRouteRulesFollowGatewayAPIPrecedence(t *testing.T) {
	base, tenant := gwv1.SectionName("baseline"), gwv1.SectionName("tenant-x")
	exact := gwv1.HeaderMatchExact
	svc := func(n string) gwv1.HTTPBackendRef {
		return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(n)}}}
	}
	// The baseline rule first: Gateway API still prefers the rule with a header match.
	r := &gwv1.HTTPRoute{Spec: gwv1.HTTPRouteSpec{Rules: []gwv1.HTTPRouteRule{
		{Name: &base, BackendRefs: []gwv1.HTTPBackendRef{svc("svc-b")}},
		{Name: &tenant, Matches: []gwv1.HTTPRouteMatch{{Headers: []gwv1.HTTPHeaderMatch{{Type: &exact, Name: "x-laneway-tenant", Value: "x"}}}}, BackendRefs: []gwv1.HTTPBackendRef{svc("svc-b-x")}},
	}}}
	routes, err := FromHTTPRoute(r, func(h string) (string, error) { return h + ":80", nil })
	require.NoError(t, err)
	require.Len(t, routes, 2)
	assert.Equal(t, "tenant-x", routes[0].Name)
	assert.Equal(t, "baseline", routes[1].Name)

	r.Spec.Rules[0].Filters = []gwv1.HTTPRouteFilter{{Type: gwv1.HTTPRouteFilterURLRewrite}}
	_, err = FromHTTPRoute(r, func(h string) (string, error) { return h + ":80", nil })
	assert.ErrorContains(t, err, "expected only RequestMirror")
}
