package proxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laneway/laneway/packager/compare"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireCapture is one capture as the compare wire format fixes it.
type wireCapture struct {
	ID        string            `json:"id"`
	Role      string            `json:"role"`
	Service   string            `json:"service"`
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
	BodyBytes int               `json:"bodyBytes"`
	Truncated bool              `json:"truncated"`
	TS        int64             `json:"ts"`
}

// fakeCollector accepts capture batches strictly (unknown fields refused) and keeps them.
type fakeCollector struct {
	mu       sync.Mutex
	captures []wireCapture
	bad      []string
}

func (c *fakeCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var batch struct {
		Captures []wireCapture `json:"captures"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&batch)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/v1/captures" || r.Header.Get("content-type") != "application/json" {
		c.bad = append(c.bad, fmt.Sprintf("%s %s: %v", r.Method, r.URL, err))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.captures = append(c.captures, batch.Captures...)
	w.WriteHeader(http.StatusAccepted)
	_, _ = fmt.Fprintf(w, `{"accepted":%d}`, len(batch.Captures))
}

func (c *fakeCollector) snapshot() []wireCapture {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wireCapture(nil), c.captures...)
}

// ordersApp answers GET /orders/<n> with a total, a customer, a timestamp and a random id; the candidate has
// the planted changes (total recomputed with tax, customer renamed customerName). It records whether it saw
// an authorization header.
type ordersApp struct {
	mu       sync.Mutex
	authSeen int
	n        int
}

func (a *ordersApp) handler(candidate bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.n++
		seq := a.n
		if r.Header.Get("authorization") != "" {
			a.authSeen++
		}
		a.mu.Unlock()
		total, customer := 100, "customer"
		if candidate {
			total, customer = 108, "customerName"
		}
		w.Header().Set("content-type", "application/json")
		_, _ = fmt.Fprintf(w, `{"order":%q,"total":%d,%q:"ann","generatedAt":"%s","traceId":"%x"}`,
			strings.TrimPrefix(r.URL.Path, "/orders/"), total, customer, time.Now().Format(time.RFC3339Nano), rand.Uint64()^uint64(seq))
	}
}

// compareMesh starts the three-role mesh with its collector at collectorAddr and returns the proxy and apps.
//
//	client ─► edge ─┬─► primary-in [shadowtag-compare primary] ─► primary app (live answer)
//	                ├┈► secondary-in [shadowtag-compare secondary, redact] ─► secondary app
//	                └┈► candidate-in [shadowtag-compare candidate, redact] ─► candidate app (planted change)
//	each -in listener ─ dispatch_http_call to the collector's cluster ─► collector
func compareMesh(t *testing.T, collectorAddr string) (p *Proxy, primary, secondary, candidate *ordersApp) {
	primary, secondary, candidate = &ordersApp{}, &ordersApp{}, &ordersApp{}
	serve := func(h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return strings.TrimPrefix(s.URL, "http://")
	}
	pAddr, sAddr, cAddr := serve(primary.handler(false)), serve(secondary.handler(false)), serve(candidate.handler(true))
	const cluster = "outbound|8080||collector.laneway.svc.cluster.local"
	compare := func(role, extra string) string {
		return `{"mode": "inbound", ` + extra + `"compare": {"role": "` + role + `", "collector": {"cluster": "` + cluster + `", "authority": "collector.laneway:8080", "timeoutMs": 10000},` +
			` "headers": ["content-type"], "bodyLimit": 4096, "service": "orders", "batchSize": 16, "flushMs": 50}}`
	}
	wasm := dist(t, "shadowtag-compare")
	yaml := fmt.Sprintf(`
clusters:
  "%s": %s
listeners:
  - name: edge
    routes:
      - upstream: listener:primary-in
        mirrors: [{upstream: listener:secondary-in}, {upstream: listener:candidate-in}]
  - name: primary-in
    direction: inbound
    filters: [{name: shadowtag-compare, wasm: %s, config: %s}]
    routes: [{upstream: %s}]
  - name: secondary-in
    direction: inbound
    filters: [{name: shadowtag-compare, wasm: %s, config: %s}]
    routes: [{upstream: %s}]
  - name: candidate-in
    direction: inbound
    filters: [{name: shadowtag-compare, wasm: %s, config: %s}]
    routes: [{upstream: %s}]
`, cluster, collectorAddr,
		wasm, compare("primary", ""), pAddr,
		wasm, compare("secondary", `"inbound": {"redact": {"headers": ["authorization"]}}, `), sAddr,
		wasm, compare("candidate", `"inbound": {"redact": {"headers": ["authorization"]}}, `), cAddr)
	return startProxy(t, yaml, Options{}), primary, secondary, candidate

}

// sendOrders sends n live GET /orders/<i> through the edge with credentials, each answered by the primary.
func sendOrders(t *testing.T, p *Proxy, n int) {
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < n; i++ {
		req, err := http.NewRequest(http.MethodGet, "http://"+p.Addr("edge")+fmt.Sprintf("/orders/%d", i), nil)
		require.NoError(t, err)
		req.Header.Set("authorization", "Bearer live-user")
		resp, err := client.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(b), `"total":100`, "the live answer is the primary's")
	}
}

// End to end in the local mesh: live traffic to the primary is mirrored to a secondary and a candidate;
// shadowtag-compare on each inbound listener captures every request and sends the captures to a collector
// through a named Envoy cluster with dispatch_http_call. Every request id arrives from all three roles, the
// bodies show the planted change and the noise, live responses are unaffected, and the candidate never sees
// the redacted header.
func TestCompareCapturesReachTheCollectorFromEveryRole(t *testing.T) {
	collector := &fakeCollector{}
	col := httptest.NewServer(collector)
	t.Cleanup(col.Close)
	p, primary, secondary, candidate := compareMesh(t, strings.TrimPrefix(col.URL, "http://"))
	sent, failed := counterDelta(p, "laneway_shadowtag_compare_sent_total"), counterDelta(p, "laneway_shadowtag_compare_failed_total")
	dropped, redacted := counterDelta(p, "laneway_shadowtag_compare_dropped_total"), counterDelta(p, "laneway_shadowtag_redacted_total")

	const requests = 300
	sendOrders(t, p, requests)

	deadline := time.Now().Add(20 * time.Second)
	for len(collector.snapshot()) < 3*requests && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	caps := collector.snapshot()
	collector.mu.Lock()
	assert.Empty(t, collector.bad, "every batch is well-formed")
	collector.mu.Unlock()
	require.Len(t, caps, 3*requests, "every role captured every request (sample rate 1)")

	byID := map[string]map[string]wireCapture{}
	for _, c := range caps {
		if byID[c.ID] == nil {
			byID[c.ID] = map[string]wireCapture{}
		}
		_, dup := byID[c.ID][c.Role]
		assert.False(t, dup, "one capture per role and id")
		byID[c.ID][c.Role] = c
	}
	require.Len(t, byID, requests, "the request id pairs the three roles")
	decode := func(c wireCapture) map[string]any {
		raw, err := base64.StdEncoding.DecodeString(c.Body)
		require.NoError(t, err)
		require.Equal(t, len(raw), c.BodyBytes)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
		return m
	}
	for id, roles := range byID {
		require.Len(t, roles, 3, "id %s", id)
		pc, sc, cc := roles["primary"], roles["secondary"], roles["candidate"]
		assert.Equal(t, pc.Path, cc.Path)
		assert.Equal(t, "orders", cc.Service)
		assert.Equal(t, 200, cc.Status)
		assert.Equal(t, "application/json", cc.Headers["content-type"])
		pb, sb, cb := decode(pc), decode(sc), decode(cc)
		assert.Equal(t, pb["order"], cb["order"])
		assert.Equal(t, pb["total"], sb["total"], "primary and secondary agree on the real field")
		assert.NotEqual(t, pb["total"], cb["total"], "the planted change")
		assert.NotEqual(t, pb["traceId"], sb["traceId"], "noise differs between the two live instances")
	}
	assert.Equal(t, int64(3*requests), sent())
	assert.Zero(t, failed())
	assert.Zero(t, dropped())
	assert.Equal(t, requests, primary.authSeen, "the live request keeps its credentials")
	assert.Zero(t, candidate.authSeen+secondary.authSeen, "shadow copies never carry the redacted header")
	assert.Equal(t, int64(2*requests), redacted())
}

// The whole loop with laneway's own collector (packager/compare) behind the cluster: a few hundred requests
// through the mesh, and the report names the planted fields (total recomputed, customer renamed) and not the
// noisy ones (a timestamp, a random id), which it learned as noise from primary vs secondary.
func TestCompareReportNamesThePlantedFieldsNotTheNoise(t *testing.T) {
	collector := compare.New(compare.Options{})
	col := httptest.NewServer(compare.Handler(collector, compare.ServerOptions{}))
	t.Cleanup(col.Close)
	p, _, _, _ := compareMesh(t, strings.TrimPrefix(col.URL, "http://"))
	sent := counterDelta(p, "laneway_shadowtag_compare_sent_total") // metrics are shared by the test binary's runtime
	failed := counterDelta(p, "laneway_shadowtag_compare_failed_total")
	dropped := counterDelta(p, "laneway_shadowtag_compare_dropped_total")
	incomplete := counterDelta(p, "laneway_shadowtag_compare_incomplete_total")
	const requests = 300
	sendOrders(t, p, requests)
	deadline := time.Now().Add(20 * time.Second)
	for sent() < 3*requests && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, int64(3*requests), sent(), "every capture accepted by the collector (failed %d, dropped %d, incomplete %d)",
		failed(), dropped(), incomplete())

	report, err := compare.FetchReport(context.Background(), http.DefaultClient, col.URL)
	require.NoError(t, err)
	assert.Equal(t, int64(3*requests), report.Totals.Captures)
	require.Len(t, report.Endpoints, 1, "/orders/<n> folds into one endpoint: %+v", report.Endpoints)
	ep := report.Endpoints[0]
	assert.Equal(t, "GET", ep.Method)
	assert.Equal(t, "orders", ep.Service)
	assert.Equal(t, int64(requests), ep.CandidateComparisons)
	assert.Equal(t, int64(requests), ep.NoiseComparisons)
	fields := map[string]compare.FieldReport{}
	var reported []string
	for _, f := range ep.Fields {
		fields[f.Field] = f
		if f.Reported {
			reported = append(reported, f.Field)
		}
	}
	assert.ElementsMatch(t, []string{"body:total", "body:customer", "body:customerName"}, reported, "exactly the planted fields are reported")
	assert.InDelta(t, 1.0, fields["body:total"].CandidateRate, 0.001)
	assert.Zero(t, fields["body:total"].NoiseRate)
	for _, noisy := range []string{"body:generatedAt", "body:traceId"} {
		f, ok := fields[noisy]
		require.True(t, ok, "%s differs and is counted", noisy)
		assert.True(t, f.Noise, "%s is learned as noise", noisy)
		assert.False(t, f.Reported, "%s is not reported", noisy)
	}
}

// counterDelta returns a function reading how much the named counter grew since now.
func counterDelta(p *Proxy, name string) func() int64 {
	base := p.Counter(name)
	return func() int64 { return p.Counter(name) - base }
}
