package shadowtag

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// Identities as an Istio waypoint sees them (io.istio.peer_principal).
const (
	candidateID = "spiffe://cluster.local/ns/shop/sa/orders-candidate"
	ordinaryID  = "spiffe://cluster.local/ns/shop/sa/checkout"
)

const cfgWaypoint = `{"mode":"waypoint","detect":{"principals":["` + candidateID + `"]},"outbound":{"allow":["audit.prod.svc.cluster.local","*.stubs.svc.cluster.local","[fd00::7]"]}}`

// waypointScenarios are the outbound scenarios in the waypoint position (mode waypoint, the waypoint's
// listener direction, inbound, for every request; no caller identity) plus the waypoint's own: a
// waypoint does outbound's containment, and where outbound lets a shadow read pass with the marker
// header, the waypoint marks it fully (header and baggage), the inbound job of the same proxy.
func waypointScenarios() []scenario {
	var out []scenario
	for _, sc := range scenarios {
		if !strings.Contains(sc.config, `"mode":"outbound"`) {
			continue
		}
		w := sc
		w.name = "waypoint: " + strings.Replace(sc.name, "outbound", "the waypoint", 1)
		w.config = strings.Replace(sc.config, `"mode":"outbound"`, `"mode":"waypoint"`, 1)
		w.direction = 1 // main_internal is an INBOUND listener
		if w.want.detected && w.want.outcome == OutcomePassed {
			w.want.outcome = OutcomeMarked
		}
		out = append(out, w)
	}
	return append(out,
		scenario{name: "waypoint: a write from the candidate's identity is suppressed though it carries no mark (the copy skipped every filter)",
			config: cfgWaypoint, direction: 1, principal: candidateID, headers: req("POST", "payments.prod.svc.cluster.local"),
			want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
		scenario{name: "waypoint: a read from the candidate's identity is marked, header and baggage, for the collaborator and later hops",
			config: cfgWaypoint, direction: 1, principal: candidateID, headers: req("GET", "payments:8080", "baggage", "k=v"),
			want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "k=v,laneway-shadow=1"}}},
		scenario{name: "waypoint: a write from the candidate to an allowed destination is marked and passes",
			config: cfgWaypoint, direction: 1, principal: candidateID, headers: req("PUT", "audit.prod.svc.cluster.local"),
			want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1"}}},
		scenario{name: "waypoint: a write from another identity passes unmarked",
			config: cfgWaypoint, direction: 1, principal: ordinaryID, headers: req("POST", "payments", "baggage", "k=v"),
			want: want{outcome: OutcomePassed, set: map[string]string{"baggage": "k=v"}, absent: []string{MarkerHeader}}},
		scenario{name: "waypoint: a write without a known identity passes unmarked",
			config: cfgWaypoint, direction: 1, headers: req("POST", "payments"),
			want: want{outcome: OutcomePassed, absent: []string{MarkerHeader, "baggage"}}},
		scenario{name: "waypoint: an identity prefix entry matches the candidate's service accounts",
			config: `{"mode":"waypoint","detect":{"principals":["spiffe://cluster.local/ns/shop/sa/orders-cand*"]}}`, direction: 1, principal: candidateID, headers: req("DELETE", "payments"),
			want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
		scenario{name: "waypoint: a write marked by an earlier waypoint is suppressed whoever sends it",
			config: cfgWaypoint, direction: 1, principal: ordinaryID, headers: req("POST", "payments", "baggage", "laneway-shadow=1"),
			want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
		scenario{name: "waypoint: the -shadow host suffix is not a signal (a waypoint never sees a mirrored copy)",
			config: cfgWaypoint, direction: 1, principal: ordinaryID, headers: req("POST", "orders-shadow:8080"),
			want: want{outcome: OutcomePassed, absent: []string{MarkerHeader}}},
		scenario{name: "waypoint: a write from the candidate is rerouted to a test double when configured",
			config: `{"mode":"waypoint","detect":{"principals":["` + candidateID + `"]},"outbound":{"action":"reroute"}}`, direction: 1, principal: candidateID, headers: req("POST", "payments"),
			want: want{outcome: OutcomeRerouted, detected: true, set: map[string]string{MarkerHeader: "1", "x-laneway-shadow-route": "test-double"}}},
	)
}

// allScenarios is every scenario table of the filter: the sidecar and gateway positions, then the waypoint's.
func allScenarios() []scenario {
	return append(append([]scenario(nil), scenarios...), waypointScenarios()...)
}

func TestWaypointScenariosCoverTheOutboundTable(t *testing.T) {
	outbound := 0
	for _, sc := range scenarios {
		if strings.Contains(sc.config, `"mode":"outbound"`) {
			outbound++
		}
	}
	require.NotZero(t, outbound)
	assert.Len(t, waypointScenarios(), outbound+9)
}

func TestWaypointConfigIsChecked(t *testing.T) {
	tests := []struct{ config, errHas string }{
		{`{"mode":"outbound","detect":{"principals":["` + candidateID + `"]}}`, "no principals outside mode waypoint"},
		{`{"mode":"waypoint","detect":{"principals":["spiffe://*"]}}`, "a shorter prefix would mark whole meshes"},
		{`{"mode":"waypoint","detect":{"principals":["spiffe://a b"]}}`, "detect.principals[0]"},
		{`{"mode":"waypoint","detect":{"principals":[""]}}`, "detect.principals[0]"},
		{`{"mode":"waypoint","detect":{"principals":"` + candidateID + `"}}`, "an array of caller identities"},
		{`{"mode":"ambient"}`, `"inbound", "outbound", "edge", "auto", "waypoint"`},
		{`{"mode":"waypoint","inbound":{"redact":{"headers":["authorization"]}}}`, "never passes a waypoint"},
	}
	for _, tc := range tests {
		_, err := ParseConfig([]byte(tc.config))
		require.Error(t, err, tc.config)
		assert.Contains(t, err.Error(), tc.errHas)
	}
	c, err := ParseConfig([]byte(cfgWaypoint))
	require.NoError(t, err)
	assert.Equal(t, ModeWaypoint, c.Mode)
	assert.Contains(t, c.Summary(), "caller "+candidateID)
}

// TestWasmWaypointRequestsDoNotStartTheGC holds the waypoint paths to the filter's zero-allocation rule:
// each request reads the caller identity (its own stream attribute, as on a waypoint) and decides.
func TestWasmWaypointRequestsDoNotStartTheGC(t *testing.T) {
	wasm := testenvtest.DistModule(t, "shadowtag")
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	read := testenv.RequestHeaders("GET", "payments.shop.svc.cluster.local:8080", "/api/charges/42", "baggage", "userid=42")
	write := testenv.RequestHeaders("POST", "payments.shop.svc.cluster.local:8080", "/api/charge", "content-type", "application/json")
	for _, c := range []struct {
		name, peer, outcome string
		request             testenv.Headers
	}{
		{"another caller's write passes", ordinaryID, "passed", write},
		{"the candidate's write is suppressed", candidateID, "suppressed", write},
		{"the candidate's read is marked", candidateID, "marked", read},
	} {
		t.Run(c.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(cfgWaypoint), LogLevel: testenv.LogInfo, Env: testenv.GCProbeEnv(),
				Properties: map[string][]byte{"xds.listener_direction": testenv.IntValue(1)}})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			peer := []byte(c.peer)
			stream := func() *testenv.HTTPStream {
				s := vm.NewHTTPStream()
				s.SetProperty("filter_state\x00io.istio.peer_principal", peer)
				return s
			}
			run := func(n int) {
				for i := 0; i < n; i++ {
					s := stream()
					s.RequestHeaders(c.request, true)
					s.Complete()
				}
			}
			m0, _ := vm.Metric(MetricPrefix + c.outcome + "_total")
			run(1000)
			testenvtest.AssertNoGC(t, vm, func() { run(testenv.GCProbeRequests) }, "the GC ran: a request allocates")
			m, ok := vm.Metric(MetricPrefix + c.outcome + "_total")
			require.True(t, ok)
			assert.Equal(t, int64(1000+testenv.GCProbeRequests), m.Value-m0.Value, "every request was %s", c.outcome)
			if c.outcome == "marked" {
				s := stream()
				s.RequestHeaders(c.request, true)
				assert.Equal(t, []string{"userid=42,laneway-shadow=1"}, s.Request().Headers.Values("baggage"))
			}
		})
	}
}
