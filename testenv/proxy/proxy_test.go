package proxy

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/testenvtest"
)

// meshYAML is an outbound listener with tenantroute: tenant sbx-1 goes to the sandbox, the
// rest to baseline; baseline traffic is mirrored to shadow.
func meshYAML(t *testing.T, baseline, sandbox, shadow string, extra string) string {
	return fmt.Sprintf(`
workers: 2
listeners:
- name: svc-a-outbound
  direction: outbound
  filters:
  - name: tenantroute
    wasm: %s
    config: {}
  routes:
  - name: sandbox-sbx-1
    match:
    - headers:
        x-laneway-tenant: {exact: sbx-1}
    upstream: %s
  - name: baseline
    upstream: %s
    mirrors:
    - upstream: %s
%s`, dist(t, "tenantroute"), sandbox, baseline, shadow, extra)
}

func TestProxyRoutesOnTheTenantHeaderTheFilterSet(t *testing.T) {
	base, sbx, shadow := newEcho(t, "baseline"), newEcho(t, "sandbox"), newEcho(t, "shadow")
	var ds decisions
	p := startProxy(t, meshYAML(t, base.addr(), sbx.addr(), shadow.addr(), ""), Options{OnDecision: ds.add})
	url := "http://" + p.Addr("svc-a-outbound") + "/orders?id=7"
	tests := []struct {
		name, baggage, wantService, wantTenant string
	}{
		{"a sandbox tenant in baggage reaches the sandbox", "laneway-tenant=sbx-1", "sandbox", "sbx-1"},
		{"a tenant among other members reaches the sandbox", "userid=42,laneway-tenant=sbx-1;p=1", "sandbox", "sbx-1"},
		{"no baggage reaches baseline", "", "baseline", ""},
		{"an unknown tenant reaches baseline", "laneway-tenant=sbx-9", "baseline", "sbx-9"},
		{"an invalid tenant is ignored and reaches baseline", "laneway-tenant=NOT_VALID!", "baseline", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.baggage != "" {
				hdr["baggage"] = tc.baggage
			}
			resp, s := call(t, http.DefaultClient, "GET", url, "svc-b:8080", hdr)
			require.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, tc.wantService, s.Service)
			assert.Equal(t, "svc-b:8080", s.Host, "Host is :authority")
			assert.Equal(t, "/orders?id=7", s.Path)
			assert.Equal(t, tc.wantTenant, s.Headers["x-laneway-tenant"])
			assert.Equal(t, tc.baggage, s.Headers["baggage"], "baggage bytes are forwarded unchanged")
			assert.NotEmpty(t, s.Headers["x-request-id"], "the connection manager adds x-request-id")
		})
	}
	got := ds.all()
	require.Len(t, got, len(tests))
	assert.Equal(t, "sandbox-sbx-1", got[0].Route)
	assert.Equal(t, "sbx-1", got[0].Tenant)
	assert.Equal(t, "baseline", got[2].Route)
	assert.Equal(t, []string{shadow.addr()}, got[2].Mirrors)
	assert.Empty(t, got[0].Mirrors, "the sandbox route has no mirror")
}

func TestProxyMirrorsToTheShadowHostWithoutTouchingTheLiveResponse(t *testing.T) {
	tests := []struct {
		name   string
		shadow func(t *testing.T) (addr string, e *echo)
	}{
		{"a fast shadow receives the copy", func(t *testing.T) (string, *echo) {
			e := newEcho(t, "shadow")
			return e.addr(), e
		}},
		{"a slow shadow does not slow the live request", func(t *testing.T) (string, *echo) {
			e := newEcho(t, "shadow")
			e.delay = 2 * time.Second
			return e.addr(), e
		}},
		{"a shadow that is down does not fail the live request", func(t *testing.T) (string, *echo) {
			e := newEcho(t, "gone")
			addr := e.addr()
			e.srv.Close()
			return addr, nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, sbx := newEcho(t, "baseline"), newEcho(t, "sandbox")
			addr, shadow := tc.shadow(t)
			p := startProxy(t, meshYAML(t, base.addr(), sbx.addr(), addr, "mirrorTimeout: 3s\n"), Options{})
			start := time.Now()
			resp, s := call(t, http.DefaultClient, "POST", "http://"+p.Addr("svc-a-outbound")+"/pay", "svc-b:8080", nil)
			took := time.Since(start)
			require.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "baseline", s.Service)
			assert.Less(t, took, time.Second, "the live request never waits for the mirror")
			if shadow != nil {
				m := shadow.wait(t, 5*time.Second)
				assert.Equal(t, "svc-b-shadow:8080", m.Host, "Envoy appends -shadow to the host, before the port")
				assert.Equal(t, "POST", m.Method)
				assert.Equal(t, "/pay", m.Path)
				assert.Equal(t, "true", m.Headers["x-envoy-internal"])
			}
			require.Eventually(t, func() bool {
				st := p.Stats()
				return st.MirrorsCompleted+st.MirrorsFailed == 1
			}, 6*time.Second, 10*time.Millisecond)
			st := p.Stats()
			assert.Equal(t, int64(1), st.MirrorsStarted)
			if shadow == nil {
				assert.Equal(t, int64(1), st.MirrorsFailed)
			} else {
				assert.Equal(t, int64(1), st.MirrorsCompleted)
			}
		})
	}
}

func TestProxyMirrorsTheConfiguredPercentage(t *testing.T) {
	base, shadow := newEcho(t, "baseline"), newEcho(t, "shadow")
	p := startProxy(t, fmt.Sprintf(`
listeners:
- name: l
  routes:
  - upstream: %s
    mirrors:
    - {upstream: %s, percentage: 0}
    - {upstream: %s, percentage: 50, disableShadowHostSuffix: true}
`, base.addr(), shadow.addr(), shadow.addr()), Options{})
	const n = 200
	for range n {
		resp, _ := call(t, http.DefaultClient, "GET", "http://"+p.Addr("l")+"/", "svc:80", nil)
		require.Equal(t, 200, resp.StatusCode)
	}
	require.Eventually(t, func() bool { return p.Stats().MirrorsCompleted == p.Stats().MirrorsStarted }, 5*time.Second, 10*time.Millisecond)
	started := p.Stats().MirrorsStarted
	assert.InDelta(t, n/2, started, 40, "about half the requests are mirrored (0%% mirror never)")
	got := shadow.wait(t, time.Second)
	assert.Equal(t, "svc:80", got.Host, "disableShadowHostSuffix keeps the host")
}

func TestProxyHonoursALocalReplyAndStopsTheChain(t *testing.T) {
	base := newEcho(t, "baseline")
	p := startProxy(t, fmt.Sprintf(`
listeners:
- name: l
  filters:
  - {name: first, wasm: %[1]s}
  - {name: conformance, wasm: %[2]s}
  routes:
  - upstream: %[3]s
`, dist(t, "noop"), dist(t, "conformance"), base.addr()), Options{})
	resp, s := call(t, http.DefaultClient, "GET", "http://"+p.Addr("l")+"/", "svc", map[string]string{"x-conformance-case": "local-response"})
	assert.Equal(t, 403, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("x-local"))
	assert.Equal(t, "denied by conformance", s.Body)
	assert.Equal(t, 0, base.count(), "the upstream never sees a request answered locally")
	assert.Equal(t, int64(1), p.Stats().LocalReplies)
}

func TestProxyAppliesTheFailStrategyWhenAFilterTraps(t *testing.T) {
	tests := []struct {
		name, strategy string
		wantAfter      int // status of a normal request after the trap
	}{
		{"FAIL_CLOSE answers 503 from then on", FailClose, 503},
		{"FAIL_OPEN skips the failed filter", FailOpen, 200},
		{"FAIL_RELOAD starts a fresh VM", FailReload, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := newEcho(t, "baseline")
			var ds decisions
			p := startProxy(t, fmt.Sprintf(`
workers: 1
listeners:
- name: l
  filters:
  - {name: conformance, wasm: %s, failStrategy: %s}
  routes:
  - upstream: %s
`, dist(t, "conformance"), tc.strategy, base.addr()), Options{OnDecision: ds.add})
			url := "http://" + p.Addr("l") + "/"
			resp, _ := call(t, http.DefaultClient, "GET", url, "svc", map[string]string{"x-conformance-case": "panic"})
			if tc.strategy == FailOpen {
				assert.Equal(t, 200, resp.StatusCode, "the trapping stream itself passes when failing open")
			} else {
				assert.Equal(t, 503, resp.StatusCode, "the trapping stream gets Envoy's 503")
			}
			resp, _ = call(t, http.DefaultClient, "GET", url, "svc", nil)
			assert.Equal(t, tc.wantAfter, resp.StatusCode)
			d := ds.all()
			require.Len(t, d, 2)
			if tc.strategy == FailOpen {
				assert.Equal(t, []string{"conformance"}, d[1].FailedOpen)
			}
		})
	}
}

func TestProxyAnswers404WhenNoRouteMatchesAnd503WhenTheUpstreamIsDown(t *testing.T) {
	gone := newEcho(t, "gone")
	goneAddr := gone.addr()
	gone.srv.Close()
	p := startProxy(t, fmt.Sprintf(`
listeners:
- name: l
  routes:
  - match: [{headers: {x-go: {exact: "yes"}}}]
    upstream: %s
`, goneAddr), Options{})
	resp, _ := call(t, http.DefaultClient, "GET", "http://"+p.Addr("l")+"/", "svc", nil)
	assert.Equal(t, 404, resp.StatusCode)
	resp, s := call(t, http.DefaultClient, "GET", "http://"+p.Addr("l")+"/", "svc", map[string]string{"x-go": "yes"})
	assert.Equal(t, 503, resp.StatusCode)
	assert.Contains(t, s.Body, "upstream connect error")
}

func TestProxyRoutesThroughAnotherListenerAndForwardsBodies(t *testing.T) {
	base := newEcho(t, "baseline")
	p := startProxy(t, fmt.Sprintf(`
listeners:
- name: front
  routes:
  - upstream: listener:back
- name: back
  filters:
  - {name: noop, wasm: %s}
  routes:
  - upstream: %s
`, dist(t, "noop"), base.addr()), Options{})
	req, err := http.NewRequest("PUT", "http://"+p.Addr("front")+"/items/1", strings.NewReader(`{"qty":3}`))
	require.NoError(t, err)
	req.Host = "inventory:9090"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	s := base.wait(t, time.Second)
	assert.Equal(t, `{"qty":3}`, s.Body)
	assert.Equal(t, "inventory:9090", s.Host)
	assert.Equal(t, "PUT", s.Method)
	assert.Equal(t, 2, int(p.Stats().Requests), "both listeners handled the request")
}

func TestProxyLogsOneDecisionLinePerRequest(t *testing.T) {
	base, sbx, shadow := newEcho(t, "baseline"), newEcho(t, "sandbox"), newEcho(t, "shadow")
	var buf testenvtest.LockedBuffer
	p := startProxy(t, meshYAML(t, base.addr(), sbx.addr(), shadow.addr(), ""), Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	call(t, http.DefaultClient, "GET", "http://"+p.Addr("svc-a-outbound")+"/", "svc-b:8080", map[string]string{"baggage": "laneway-tenant=sbx-1"})
	out := buf.String()
	assert.Contains(t, out, "listener=svc-a-outbound")
	assert.Contains(t, out, "tenant=sbx-1")
	assert.Contains(t, out, "route=sandbox-sbx-1")
	assert.Contains(t, out, "upstream="+sbx.addr())
	assert.Contains(t, out, "status=200")
	assert.Contains(t, out, "shadow=false")
}

func TestProxyServesH2CWithPriorKnowledge(t *testing.T) {
	base := newEcho(t, "baseline")
	p := startProxy(t, fmt.Sprintf("listeners:\n- name: l\n  routes:\n  - upstream: %s\n", base.addr()), Options{})
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	c := &http.Client{Transport: tr}
	resp, s := call(t, c, "GET", "http://"+p.Addr("l")+"/h2", "svc:80", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, "svc:80", s.Host)
	tr.CloseIdleConnections()
}

func TestHammerConcurrentStreamsKeepTheirOwnTenant(t *testing.T) {
	base, sbx, shadow := newEcho(t, "baseline"), newEcho(t, "sandbox"), newEcho(t, "shadow")
	p := startProxy(t, meshYAML(t, base.addr(), sbx.addr(), shadow.addr(), ""), Options{})
	url := "http://" + p.Addr("svc-a-outbound") + "/"
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				want, bag := "baseline", ""
				if (g+i)%2 == 0 {
					want, bag = "sandbox", "laneway-tenant=sbx-1"
				}
				req, _ := http.NewRequest("GET", url, nil)
				req.Host = "svc-b:8080"
				if bag != "" {
					req.Header.Set("baggage", bag)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if got := resp.Header.Get("X-Served-By"); got != want {
					errs <- fmt.Sprintf("goroutine %d request %d: served by %q, want %q", g, i, got, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	assert.Equal(t, int64(200), p.Stats().Requests)
}
