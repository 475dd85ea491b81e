package tenantroute

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/laneway/laneway/testenv"
)

// waypointPeer is a caller's identity as an Istio waypoint keeps it (filter_state io.istio.peer_principal).
const waypointPeer = "spiffe://cluster.local/ns/shop/sa/svc-a"

// waypointScenarios are the scenarios of a routing position in the waypoint position: what a
// waypoint's filters see (xds.listener_direction inbound for every request, the caller's identity in
// filter state) must not change a routing decision. Trust-boundary configs belong on the ingress
// gateway and workloadTenant cannot work on a waypoint (it serves every caller), so `laneway
// wasmplugin --waypoint` refuses both and they are not replayed here.
func waypointScenarios() []scenario {
	var out []scenario
	for _, sc := range scenarios {
		if strings.Contains(sc.config, "trustBoundary") || strings.Contains(sc.config, "workloadTenant") {
			continue
		}
		w := sc
		w.name = "waypoint: " + sc.name
		w.waypoint = true
		out = append(out, w)
	}
	return out
}

// allScenarios is every scenario table of the filter: the sidecar and gateway positions, then the waypoint's.
func allScenarios() []scenario {
	return append(append([]scenario(nil), scenarios...), waypointScenarios()...)
}

// waypointProperties are the host attributes a filter on a waypoint's main_internal listener reads.
func waypointProperties() map[string][]byte {
	return map[string][]byte{
		"xds.listener_direction":                  testenv.IntValue(1),
		"filter_state\x00io.istio.peer_principal": testenv.StringValue(waypointPeer),
	}
}

func TestWaypointScenariosReplayTheRoutingTable(t *testing.T) {
	w := waypointScenarios()
	// Every scenario is replayed except the two kinds a waypoint cannot run (trust boundary, workload tenant);
	// the gateway's table grows on its own, so count what is dropped rather than a share of the whole.
	dropped := 0
	for _, sc := range scenarios {
		if strings.Contains(sc.config, "trustBoundary") || strings.Contains(sc.config, "workloadTenant") {
			dropped++
		}
	}
	assert.Equal(t, len(scenarios)-dropped, len(w), "every routing scenario is replayed at the waypoint")
	assert.GreaterOrEqual(t, len(w), 20, "the waypoint replays the routing table, not a handful of cases")
	routed := 0
	for _, sc := range w {
		routed += int(sc.counts["routed"])
	}
	assert.NotZero(t, routed, "the waypoint table routes tenants")
}
