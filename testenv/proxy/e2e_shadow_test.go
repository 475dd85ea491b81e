package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"
)

// ledgerCall is one request the collaborator (a ledger service both orders versions write
// to) received.
type ledgerCall struct {
	Method string
	Order  string
	// Shadow: the request carried a shadow mark (x-laneway-shadow or laneway-shadow in baggage).
	Shadow bool
}

// orderCall is what one orders version did with one request it received.
type orderCall struct {
	Method, Host, Order string
	// MarkedShadow: x-laneway-shadow as the app received it; BaggageShadow: the
	// laneway-shadow member of the baggage its OTel SDK extracted (and forwards).
	MarkedShadow, BaggageShadow string
	// LedgerStatus, LedgerShadowHeader and LedgerBody are the ledger call's answer.
	LedgerStatus       int
	LedgerShadowHeader string
	LedgerBody         string
}

// orderReply is what an orders version answers.
type orderReply struct {
	Version      string `json:"version"`
	Order        string `json:"order"`
	LedgerStatus int    `json:"ledgerStatus"`
}

// shadowMesh: a caller's outbound listener routes orders traffic to v1 and mirrors it to v2's
// inbound listener (shadowtag inbound); both versions write to the ledger through their own
// outbound listener (shadowtag outbound).
//
//	client ─► caller-outbound ─┬─► orders-v1 ─► orders-v1-outbound [shadowtag outbound] ─► ledger
//	                           └┈► orders-v2-inbound [shadowtag inbound] ─► orders-v2 ─► orders-v2-outbound [shadowtag outbound] ─┤ (suppressed)
type shadowMesh struct {
	proxy     *Proxy
	kit       *otelKit
	client    *http.Client
	entry     string
	ledger    recorder[ledgerCall]
	v1, v2    recorder[orderCall]
	decisions *decisions
}

// newShadowMesh starts the mesh; contain=false leaves shadowtag off v2's outbound listener
// (the control: what reaches the ledger when nothing contains shadow traffic).
func newShadowMesh(t *testing.T, contain bool) *shadowMesh {
	m := &shadowMesh{kit: newOtelKit(t), decisions: &decisions{}}
	ledger := m.kit.serve(t, "ledger", func(w http.ResponseWriter, r *http.Request) {
		body := drain(&http.Response{Body: r.Body})
		bag := baggage.FromContext(r.Context())
		m.ledger.add(ledgerCall{Method: r.Method, Order: body, Shadow: r.Header.Get("x-laneway-shadow") != "" || bag.Member("laneway-shadow").Value() != ""})
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	v2Filters := "filters: []"
	if contain {
		v2Filters = `filters: [{name: shadowtag, wasm: ` + dist(t, "shadowtag") + `, config: {"mode": "outbound"}}]`
	}
	var v1Out, v2Out atomic.Pointer[url.URL]
	v1 := m.kit.serve(t, "orders-v1", m.ordersApp("v1", &m.v1, m.kit.sidecarClient(t, &v1Out)))
	v2 := m.kit.serve(t, "orders-v2", m.ordersApp("v2", &m.v2, m.kit.sidecarClient(t, &v2Out)))
	m.proxy = startProxy(t, fmt.Sprintf(`
workers: 2
mirrorTimeout: 4s
listeners:
- name: caller-outbound
  direction: outbound
  routes:
  - name: orders-v1
    upstream: %[1]s
    mirrors:
    - upstream: listener:orders-v2-inbound
- name: orders-v2-inbound
  direction: inbound
  filters:
  - {name: shadowtag, wasm: %[3]s, config: {"mode": "inbound"}}
  routes:
  - {name: orders-v2, upstream: %[2]s}
- name: orders-v1-outbound
  direction: outbound
  filters:
  - {name: shadowtag, wasm: %[3]s, config: {"mode": "outbound"}}
  routes:
  - {name: ledger, upstream: %[4]s}
- name: orders-v2-outbound
  direction: outbound
  %[5]s
  routes:
  - {name: ledger, upstream: %[4]s}
`, v1, v2, dist(t, "shadowtag"), ledger, v2Filters), Options{OnDecision: m.decisions.add})
	v1Out.Store(&url.URL{Scheme: "http", Host: m.proxy.Addr("orders-v1-outbound")})
	v2Out.Store(&url.URL{Scheme: "http", Host: m.proxy.Addr("orders-v2-outbound")})
	m.client = m.kit.client(t)
	m.entry = "http://" + m.proxy.Addr("caller-outbound")
	return m
}

// ordersApp is one orders version: it records the ledger with the same method (POST writes,
// GET reads) through its outbound sidecar, the OTel SDK forwarding the incoming baggage.
func (m *shadowMesh) ordersApp(version string, rec *recorder[orderCall], ledgerClient *http.Client) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		order := r.URL.Query().Get("order")
		call := orderCall{Method: r.Method, Host: r.Host, Order: order,
			MarkedShadow: r.Header.Get("x-laneway-shadow"), BaggageShadow: baggage.FromContext(r.Context()).Member("laneway-shadow").Value()}
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://ledger:8080/entries", strings.NewReader(order))
		resp, err := ledgerClient.Do(req)
		if err != nil {
			rec.add(call)
			http.Error(w, "orders: calling the ledger: "+err.Error(), http.StatusBadGateway)
			return
		}
		call.LedgerStatus, call.LedgerShadowHeader = resp.StatusCode, resp.Header.Get("x-laneway-shadow")
		call.LedgerBody = drain(resp)
		rec.add(call)
		status := http.StatusOK
		if r.Method == http.MethodPost {
			status = http.StatusCreated
		}
		if resp.StatusCode >= 300 {
			status = http.StatusBadGateway
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(orderReply{Version: version, Order: order, LedgerStatus: resp.StatusCode})
	}
}

// send makes one client request to the orders service through the caller's outbound listener.
func (m *shadowMesh) send(t *testing.T, method, order string) (*http.Response, orderReply, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(method, m.entry+"/orders?order="+order, nil)
	require.NoError(t, err)
	req.Host = "orders:8080"
	start := time.Now()
	resp, err := m.client.Do(req)
	require.NoError(t, err)
	took := time.Since(start)
	body := drain(resp)
	var rep orderReply
	require.NoError(t, json.Unmarshal([]byte(body), &rep), "status %d body %q", resp.StatusCode, body)
	return resp, rep, took
}

func shadowCounters(p *Proxy) map[string]int64 {
	out := map[string]int64{}
	for _, o := range []string{"detected", "passed", "marked", "suppressed", "rerouted", "stripped"} {
		out[o] = p.Counter("laneway_shadowtag_" + o + "_total")
	}
	return out
}

func TestEndToEndShadowWritesToACollaboratorAreSuppressedWhileLiveWritesReachIt(t *testing.T) {
	m := newShadowMesh(t, true)
	const writes, reads = 8, 2
	before, statsBefore := shadowCounters(m.proxy), m.proxy.Stats()
	start := time.Now()

	var latencies []time.Duration
	for i := range writes + reads {
		method, order := http.MethodPost, fmt.Sprintf("w%d", i)
		if i >= writes {
			method, order = http.MethodGet, fmt.Sprintf("r%d", i)
		}
		resp, rep, took := m.send(t, method, order)
		latencies = append(latencies, took)
		want := http.StatusCreated
		if method == http.MethodGet {
			want = http.StatusOK
		}
		assert.Equal(t, want, resp.StatusCode, "live %s %s", method, order)
		assert.Equal(t, orderReply{Version: "v1", Order: order, LedgerStatus: want}, rep, "the live answer is v1's, built on the ledger's real answer")
		assert.Empty(t, resp.Header.Get("x-laneway-shadow"), "no shadow marker leaks into the live response")
	}
	// Mirrors are fire and forget: wait (bounded) until every copy was answered.
	require.Eventually(t, func() bool {
		st := m.proxy.Stats()
		return st.MirrorsCompleted+st.MirrorsFailed-statsBefore.MirrorsCompleted-statsBefore.MirrorsFailed == writes+reads
	}, 5*time.Second, 5*time.Millisecond)
	elapsed := time.Since(start)

	t.Run("the ledger got every live write and no shadow write", func(t *testing.T) {
		assert.Equal(t, writes, m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodPost && !c.Shadow }))
		assert.Equal(t, 0, m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodPost && c.Shadow }))
		var orders []string
		for _, c := range m.ledger.all() {
			if c.Method == http.MethodPost {
				orders = append(orders, c.Order)
			}
		}
		sort.Strings(orders)
		assert.Equal(t, []string{"w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"}, orders, "exactly the live orders were written, once each")
	})
	t.Run("shadow reads still reach the ledger", func(t *testing.T) {
		assert.Equal(t, reads, m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodGet && c.Shadow }))
		assert.Equal(t, reads, m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodGet && !c.Shadow }))
	})
	t.Run("v2 received every mirrored request, marked shadow, and its writes got the local suppression reply", func(t *testing.T) {
		calls := m.v2.all()
		require.Len(t, calls, writes+reads)
		for _, c := range calls {
			assert.Equal(t, "orders-shadow:8080", c.Host, "Envoy's mirror host")
			assert.Equal(t, "1", c.MarkedShadow, "shadowtag inbound marked the copy")
			assert.Equal(t, "1", c.BaggageShadow, "the mark is in the baggage v2's OTel SDK forwards")
			if c.Method == http.MethodPost {
				assert.Equal(t, http.StatusAccepted, c.LedgerStatus, c.Order)
				assert.Equal(t, "suppressed", c.LedgerShadowHeader, c.Order)
				assert.Contains(t, c.LedgerBody, "shadow-suppressed")
			} else {
				assert.Equal(t, http.StatusOK, c.LedgerStatus, "a shadow read passes to the real ledger")
			}
		}
		assert.Equal(t, writes, m.v2.count(func(c orderCall) bool { return c.Method == http.MethodPost }))
	})
	t.Run("v1 saw live traffic only", func(t *testing.T) {
		calls := m.v1.all()
		require.Len(t, calls, writes+reads)
		for _, c := range calls {
			assert.Equal(t, "orders:8080", c.Host)
			assert.Empty(t, c.MarkedShadow)
			assert.Empty(t, c.BaggageShadow)
			assert.Empty(t, c.LedgerShadowHeader)
		}
	})
	t.Run("the counters and the decision log agree", func(t *testing.T) {
		after := shadowCounters(m.proxy)
		delta := map[string]int64{}
		for k, v := range after {
			delta[k] = v - before[k]
		}
		assert.Equal(t, map[string]int64{
			"suppressed": writes,                 // v2's outbound: every shadow write
			"marked":     writes + reads,         // v2's inbound: every copy
			"passed":     writes + reads + reads, // v1's outbound (all live) + v2's shadow reads
			"detected":   2 * (writes + reads),   // each copy on v2's inbound and again on its outbound
			"rerouted":   0,
			"stripped":   0,
		}, delta)
		st := m.proxy.Stats()
		assert.Equal(t, int64(writes+reads), st.MirrorsStarted-statsBefore.MirrorsStarted)
		assert.Equal(t, int64(writes+reads), st.MirrorsCompleted-statsBefore.MirrorsCompleted)
		assert.Equal(t, int64(writes), st.LocalReplies-statsBefore.LocalReplies, "the only local replies are the suppressed writes")
		suppressed := 0
		for _, d := range m.decisions.all() {
			if d.Listener == "orders-v2-outbound" && d.Method == http.MethodPost {
				assert.Equal(t, http.StatusAccepted, d.Status)
				assert.True(t, strings.HasPrefix(d.LocalReply, "shadowtag: "), d.LocalReply)
				assert.Empty(t, d.Route, "a suppressed write never reaches a route")
				suppressed++
			}
		}
		assert.Equal(t, writes, suppressed)
	})
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	t.Logf("%d live writes + %d reads: ledger live writes %d, shadow writes %d, shadow reads %d; v2 copies %d; live latency p50 %v max %v; all mirrors settled in %v",
		writes, reads, m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodPost && !c.Shadow }),
		m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodPost && c.Shadow }),
		m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodGet && c.Shadow }),
		len(m.v2.all()), latencies[len(latencies)/2], latencies[len(latencies)-1], elapsed)
}

func TestEndToEndWithoutShadowtagOnV2sOutboundTheShadowWritesReachTheCollaborator(t *testing.T) {
	// The control for the test above: the same mesh without containment lets every mirrored
	// write through, so "zero shadow writes" there is the filter's doing, not the harness's.
	m := newShadowMesh(t, false)
	const writes = 3
	for i := range writes {
		resp, _, _ := m.send(t, http.MethodPost, fmt.Sprintf("c%d", i))
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
	}
	require.Eventually(t, func() bool {
		return m.ledger.count(func(c ledgerCall) bool { return c.Shadow }) == writes
	}, 5*time.Second, 5*time.Millisecond, "the ledger should see the %d uncontained shadow writes", writes)
	assert.Equal(t, writes, m.ledger.count(func(c ledgerCall) bool { return c.Method == http.MethodPost && !c.Shadow }))
	for _, c := range m.v2.all() {
		assert.Equal(t, http.StatusCreated, c.LedgerStatus, "v2's write really happened")
	}
}
