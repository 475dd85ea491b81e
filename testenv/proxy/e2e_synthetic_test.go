package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/baggage"

	"github.com/laneway/laneway/synthetic"
)

const (
	synthSecret    = "e2e-secret-0123456789abcdef"
	runnerIdentity = "spiffe://cluster.local/ns/synthetics/sa/runner"
	svcAIdentity   = "spiffe://cluster.local/ns/shop/sa/svc-a"
	refuseStatus   = 409
)

// synthSeen is what an app saw of the synthetic marker on one request.
type synthSeen struct {
	Method  string `json:"method"`
	Marker  string `json:"marker"`  // x-laneway-synthetic
	Baggage string `json:"baggage"` // the laneway-synthetic member its OTel SDK extracted
	Token   string `json:"token"`   // x-laneway-synthetic-token (must never reach an app)
}

// checkoutReply is svc-a's answer: what it saw, and what its calls to svc-b and svc-c got.
type checkoutReply struct {
	Seen          synthSeen `json:"seen"`
	BStatus       int       `json:"bStatus"`
	BSeen         synthSeen `json:"bSeen"`
	CStatus       int       `json:"cStatus"`
	CBody         string    `json:"cBody"`
	CMarkerHeader string    `json:"cMarkerHeader"`
}

// synthMesh: two edges (a plain one, and one whose connections present the synthetic
// runner's mTLS identity) in front of svc-a; svc-a writes to svc-b (a participant, with its
// own inbound sidecar that trusts svc-a's identity) and to svc-c (not a participant).
//
//	client ─► edge | edge-mtls [synthetic edge] ─► svc-a ─► svc-a-outbound [synthetic outbound] ─┬─► svc-b-inbound [synthetic inbound] ─► svc-b
//	                                                                                           └─► svc-c (refused for synthetic writes)
type synthMesh struct {
	proxy     *Proxy
	client    *http.Client
	b, c      recorder[synthSeen]
	decisions *decisions
}

func newSynthMesh(t *testing.T) *synthMesh {
	m := &synthMesh{decisions: &decisions{}}
	kit := newOtelKit(t)
	see := func(r *http.Request) synthSeen {
		return synthSeen{Method: r.Method, Marker: r.Header.Get("x-laneway-synthetic"), Token: r.Header.Get("x-laneway-synthetic-token"),
			Baggage: baggage.FromContext(r.Context()).Member("laneway-synthetic").Value()}
	}
	svcB := kit.serve(t, "svc-b", func(w http.ResponseWriter, r *http.Request) {
		s := see(r)
		m.b.add(s)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(s)
	})
	svcC := kit.serve(t, "svc-c", func(w http.ResponseWriter, r *http.Request) {
		m.c.add(see(r))
		w.WriteHeader(http.StatusCreated)
	})
	var aOut atomic.Pointer[url.URL]
	aClient := kit.sidecarClient(t, &aOut)
	svcA := kit.serve(t, "svc-a", func(w http.ResponseWriter, r *http.Request) {
		rep := checkoutReply{Seen: see(r)}
		post := func(target string) (*http.Response, error) {
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, target, strings.NewReader("{}"))
			return aClient.Do(req)
		}
		resp, err := post("http://svc-b:8080/reservations")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		rep.BStatus = resp.StatusCode
		_ = json.Unmarshal([]byte(drain(resp)), &rep.BSeen)
		if resp, err = post("http://svc-c:8080/notifications"); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		rep.CStatus, rep.CMarkerHeader = resp.StatusCode, resp.Header.Get("x-laneway-synthetic")
		rep.CBody = drain(resp)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	})
	wasm := dist(t, "synthetic")
	edge := fmt.Sprintf(`{name: synthetic, wasm: %s, config: {"mode": "edge", "trust": {"principals": [%q], "token": {"secret": %q}}, "participants": ["svc-a", "svc-b"]}}`, wasm, runnerIdentity, synthSecret)
	m.proxy = startProxy(t, fmt.Sprintf(`
workers: 2
listeners:
- name: edge
  direction: inbound
  filters: [%[1]s]
  routes: [{name: svc-a, upstream: %[2]s}]
- name: edge-mtls
  direction: inbound
  properties: {connection.uri_san_peer_certificate: %[3]q}
  filters: [%[1]s]
  routes: [{name: svc-a, upstream: %[2]s}]
- name: svc-a-outbound
  direction: outbound
  filters:
  - {name: synthetic, wasm: %[4]s, config: {"mode": "outbound", "participants": ["svc-a", "svc-b"], "refuse": {"status": %[5]d, "body": "synthetic tx {id}: {method} to {host} refused\n"}}}
  routes:
  - {name: svc-b, match: [{authority: {prefix: "svc-b"}}], upstream: "listener:svc-b-inbound"}
  - {name: svc-c, match: [{authority: {prefix: "svc-c"}}], upstream: %[6]s}
- name: svc-b-inbound
  direction: inbound
  properties: {connection.uri_san_peer_certificate: %[7]q}
  filters:
  - {name: synthetic, wasm: %[4]s, config: {"mode": "inbound", "trust": {"principals": ["spiffe://cluster.local/ns/shop/*"]}}}
  routes: [{name: svc-b, upstream: %[8]s}]
`, edge, svcA, runnerIdentity, wasm, refuseStatus, svcC, svcAIdentity, svcB), Options{OnDecision: m.decisions.add})
	aOut.Store(&url.URL{Scheme: "http", Host: m.proxy.Addr("svc-a-outbound")})
	m.client = kit.client(t)
	return m
}

// checkout posts to svc-a through the named edge listener with the given headers.
func (m *synthMesh) checkout(t *testing.T, listener string, hdr map[string]string) checkoutReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+m.proxy.Addr(listener)+"/checkout", strings.NewReader("{}"))
	require.NoError(t, err)
	req.Host = "svc-a:8080"
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := m.client.Do(req)
	require.NoError(t, err)
	body := drain(resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	var rep checkoutReply
	require.NoError(t, json.Unmarshal([]byte(body), &rep), body)
	return rep
}

func synthCounters(p *Proxy) map[string]int64 {
	out := map[string]int64{}
	for _, o := range []string{synthetic.OutcomeAccepted, synthetic.OutcomeStripped, synthetic.OutcomePassed, synthetic.OutcomeRefused, synthetic.OutcomeRerouted} {
		out[o] = p.Counter(synthetic.MetricName(o))
	}
	return out
}

func synthDelta(before, after map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		d[k] = v - before[k]
	}
	return d
}

func mint(t *testing.T, secret, txid string, expiry time.Time) string {
	t.Helper()
	tok, err := synthetic.MintToken([]byte(secret), txid, expiry)
	require.NoError(t, err)
	return tok
}

func TestEndToEndSyntheticTransactionCrossesTwoParticipantsAndIsRefusedBeforeANonParticipant(t *testing.T) {
	m := newSynthMesh(t)
	tests := []struct {
		name     string
		listener string
		hdr      func(txid string) map[string]string
		// wantID: the apps see the client's id; otherwise the edge generates one.
		wantID bool
	}{
		{"a client holding a valid token starts the transaction with its own id", "edge", func(txid string) map[string]string {
			return map[string]string{"x-laneway-synthetic": "1;id=" + txid, "x-laneway-synthetic-token": mint(t, synthSecret, txid, time.Now().Add(5*time.Minute))}
		}, true},
		{"a client whose connection presents the runner's mTLS identity needs no token", "edge-mtls", func(string) map[string]string {
			return map[string]string{"x-laneway-synthetic": "1"}
		}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			txid := fmt.Sprintf("e2e-tx-%d", i)
			before, cBefore, start := synthCounters(m.proxy), len(m.c.all()), time.Now()
			rep := m.checkout(t, tc.listener, tc.hdr(txid))
			took := time.Since(start)

			id, ok := strings.CutPrefix(rep.Seen.Marker, "1;id=")
			require.True(t, ok, "svc-a sees the normalised marker, got %q", rep.Seen.Marker)
			if tc.wantID {
				assert.Equal(t, txid, id)
			} else {
				assert.True(t, synthetic.ValidTxID(id) && len(id) == 32, "the edge generated an id: %q", id)
			}
			assert.Equal(t, id, rep.Seen.Baggage, "the id travels in baggage, which svc-a's OTel SDK forwards")
			assert.Empty(t, rep.Seen.Token, "the token never reaches an app")

			assert.Equal(t, http.StatusCreated, rep.BStatus, "the participant svc-b took the write")
			assert.Equal(t, "1;id="+id, rep.BSeen.Marker, "svc-b sees the normalised marker with the caller's id")
			assert.Equal(t, id, rep.BSeen.Baggage)
			assert.Empty(t, rep.BSeen.Token)

			assert.Equal(t, refuseStatus, rep.CStatus, "the write to the non-participant svc-c was refused locally")
			assert.Equal(t, "synthetic tx "+id+": POST to svc-c:8080 refused\n", rep.CBody)
			assert.Equal(t, "1;id="+id, rep.CMarkerHeader)
			assert.Equal(t, cBefore, len(m.c.all()), "svc-c received nothing")

			assert.Equal(t, map[string]int64{
				synthetic.OutcomeAccepted: 2, // the edge (token or identity) and svc-b's inbound (svc-a's identity)
				synthetic.OutcomePassed:   2, // the edge to svc-a, svc-a's outbound to svc-b
				synthetic.OutcomeRefused:  1, // svc-a's outbound to svc-c
				synthetic.OutcomeStripped: 0,
				synthetic.OutcomeRerouted: 0,
			}, synthDelta(before, synthCounters(m.proxy)))
			t.Logf("tx %s: svc-a and svc-b saw it, svc-c refused with %d before any request; round trip %v", id, rep.CStatus, took)
		})
	}
	assert.Equal(t, 0, m.c.count(func(s synthSeen) bool { return s.Marker != "" || s.Baggage != "" }), "svc-c never saw a synthetic request")
	refused := 0
	for _, d := range m.decisions.all() {
		if d.Listener == "svc-a-outbound" && d.LocalReply != "" {
			assert.Equal(t, refuseStatus, d.Status)
			assert.True(t, strings.HasPrefix(d.LocalReply, "synthetic: "), d.LocalReply)
			refused++
		}
	}
	assert.Equal(t, 2, refused, "one refusal per transaction in the decision log")
}

func TestEndToEndAnUntrustedClientsSyntheticMarkerIsStrippedAtTheEdge(t *testing.T) {
	m := newSynthMesh(t)
	now := time.Now()
	tests := []struct {
		name string
		hdr  map[string]string
	}{
		{"a marker without a token", map[string]string{"x-laneway-synthetic": "1"}},
		{"a marker with an id and no token", map[string]string{"x-laneway-synthetic": "1;id=spoof-1"}},
		{"a marker with a forged token", map[string]string{"x-laneway-synthetic": "1;id=spoof-2", "x-laneway-synthetic-token": mint(t, "not-the-edge-secret-0123", "spoof-2", now.Add(time.Minute))}},
		{"a marker with an expired token", map[string]string{"x-laneway-synthetic": "1;id=spoof-3", "x-laneway-synthetic-token": mint(t, synthSecret, "spoof-3", now.Add(-time.Hour))}},
		{"a marker whose id differs from the token's", map[string]string{"x-laneway-synthetic": "1;id=spoof-4", "x-laneway-synthetic-token": mint(t, synthSecret, "other-tx", now.Add(time.Minute))}},
		{"a marker in baggage only", map[string]string{"baggage": "laneway-synthetic=spoof-5,user=7"}},
		{"a garbage token", map[string]string{"x-laneway-synthetic": "1", "x-laneway-synthetic-token": "v1.x.y.z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, cBefore := synthCounters(m.proxy), len(m.c.all())
			rep := m.checkout(t, "edge", tc.hdr)
			assert.Empty(t, rep.Seen.Marker, "svc-a sees no marker header")
			assert.Empty(t, rep.Seen.Baggage, "svc-a sees no marker in baggage")
			assert.Empty(t, rep.Seen.Token, "the token header is removed even when it is not trusted")
			assert.Empty(t, rep.BSeen.Marker, "svc-b sees no marker")
			assert.Empty(t, rep.BSeen.Baggage)
			assert.Equal(t, http.StatusCreated, rep.BStatus)
			assert.Equal(t, http.StatusCreated, rep.CStatus, "ordinary traffic reaches the non-participant as usual")
			assert.Empty(t, rep.CMarkerHeader)
			require.Len(t, m.c.all(), cBefore+1)
			assert.Equal(t, synthSeen{Method: http.MethodPost}, m.c.all()[cBefore], "svc-c got an ordinary request")
			assert.Equal(t, map[string]int64{
				synthetic.OutcomeStripped: 1, // the edge; later hops see no marker and count nothing
				synthetic.OutcomeAccepted: 0,
				synthetic.OutcomePassed:   0,
				synthetic.OutcomeRefused:  0,
				synthetic.OutcomeRerouted: 0,
			}, synthDelta(before, synthCounters(m.proxy)))
		})
	}
	t.Run("the same marker is trusted on the listener whose peers present the runner's identity", func(t *testing.T) {
		before := synthCounters(m.proxy)
		rep := m.checkout(t, "edge-mtls", map[string]string{"x-laneway-synthetic": "1"})
		assert.True(t, strings.HasPrefix(rep.Seen.Marker, "1;id="), rep.Seen.Marker)
		assert.Equal(t, refuseStatus, rep.CStatus)
		assert.Equal(t, int64(0), synthDelta(before, synthCounters(m.proxy))[synthetic.OutcomeStripped])
	})
}
