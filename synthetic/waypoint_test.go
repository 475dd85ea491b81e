package synthetic

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waypointScenarios are the edge scenarios in the waypoint position (mode waypoint, the waypoint's
// inbound listener direction; its job is edge's) and the waypoint's own, where the caller's identity
// comes from the filter state io.istio.peer_principal and not from the connection's certificate.
func waypointScenarios(t testing.TB, now time.Time) []scenario {
	var out []scenario
	for _, sc := range scenarios(t, now) {
		if !strings.Contains(sc.config, `"mode":"edge"`) {
			continue
		}
		w := sc
		w.name = "waypoint: " + strings.ReplaceAll(sc.name, "at the edge", "at the waypoint")
		w.config = strings.Replace(sc.config, `"mode":"edge"`, `"mode":"waypoint"`, 1)
		w.peerPrincipal, w.uriSAN = sc.uriSAN, ""
		out = append(out, w)
	}
	wp := `{"mode":"waypoint","trust":{"principals":["` + trustedSA + `","spiffe://cluster.local/ns/qa/*"]},"participants":["orders"]}`
	return append(out,
		scenario{
			name: "waypoint: a trusted caller identity's synthetic write to a participant is accepted and passes", config: wp, peerPrincipal: trustedSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1;id=tx-w1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-w1", "baggage": "laneway-synthetic=tx-w1"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1, OutcomePassed: 1},
		},
		scenario{
			name: "waypoint: a trusted caller identity's synthetic write to a service that is not rollback-capable is refused", config: wp, peerPrincipal: "spiffe://cluster.local/ns/qa/sa/driver",
			request:      req("POST", "billing", "baggage", "laneway-synthetic=tx-w2"),
			wantLocal:    403,
			wantCounters: map[string]uint64{OutcomeAccepted: 1, OutcomeRefused: 1},
		},
		scenario{
			name: "waypoint: a marker from an identity not trusted is stripped and the write is ordinary", config: wp, peerPrincipal: "spiffe://cluster.local/ns/shop/sa/outsider",
			request:      req("POST", "billing", "x-laneway-synthetic", "1", "baggage", "laneway-synthetic=1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "baggage": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		scenario{
			name: "waypoint: the connection's certificate is not the caller's there (internal listener) and is not read", config: wp, uriSAN: trustedSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
	)
}

// allScenarios is every scenario table of the filter: sidecar and gateway positions, then the waypoint's.
func allScenarios(t testing.TB, now time.Time) []scenario {
	return append(scenarios(t, now), waypointScenarios(t, now)...)
}

func TestWaypointScenariosCoverTheEdgeTable(t *testing.T) {
	edge := 0
	for _, sc := range scenarios(t, time.Now()) {
		if strings.Contains(sc.config, `"mode":"edge"`) {
			edge++
		}
	}
	require.NotZero(t, edge)
	assert.Len(t, waypointScenarios(t, time.Now()), edge+4)
}

func TestWaypointModeIsParsedAndSummarised(t *testing.T) {
	c, err := ParseConfig([]byte(`{"mode":"waypoint","participants":["orders"]}`))
	require.NoError(t, err)
	assert.Equal(t, ModeWaypoint, c.Mode)
	assert.Contains(t, c.Summary(), "mode=waypoint")
	_, err = ParseConfig([]byte(`{"mode":"ambient"}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"waypoint"`)
}
