package synthetic

import (
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file holds the filter's scenarios as data, independent of the host
// that runs them: TestScenarios (wasm_test.go) replays the very same table natively under proxytest and
// against dist/synthetic.wasm and dist/laneway.wasm.

// scenario is one request (and, unless answered locally, its response) through one plugin configuration.
type scenario struct {
	name   string
	config string
	// uriSAN and sourcePrincipal are the connection.uri_san_peer_certificate
	// and source.principal properties ("" = the host does not have them).
	uriSAN, sourcePrincipal string
	// peerPrincipal is the filter_state io.istio.peer_principal property, where a waypoint keeps the caller's identity.
	peerPrincipal string
	// direction is the listener's xds.listener_direction: "inbound" (1), "outbound" (2), "unspecified" (0,
	// as on a gateway) or "" (the host does not have the property).
	direction string
	request   [][2]string
	// response headers the upstream answers with; "{id}" in a value is
	// replaced by the transaction id the upstream received.
	response [][2]string

	// wantLocal is the status of a local reply (0: the request goes upstream).
	wantLocal int
	// wantBody are substrings of the local reply's body ("{id}" as above is not expanded).
	wantBody []string
	// wantHeaders are the upstream request headers after the filter: each
	// named header must occur once with that value, or not at all for "".
	// A value starting with "re:" is a regular expression.
	wantHeaders map[string]string
	// wantCounters are the outcome counters; unlisted outcomes must be 0.
	wantCounters map[string]uint64
	// wantWarn is a substring of a warn log line ("" = no warn log at all).
	wantWarn string
	// wantRouteCacheCleared: the filter asked the host to clear the route cache.
	wantRouteCacheCleared bool
}

// outcome is what a host observed for one scenario.
type outcome struct {
	localStatus     int // 0 = none
	localBody       string
	localHeaders    [][2]string
	upstream        [][2]string // request headers as forwarded
	counters        map[string]uint64
	warnLogs        []string
	debugLogs       []string
	routeCacheClear int
}

// allOutcomes lists every counter the filter defines.
var allOutcomes = []string{OutcomeAccepted, OutcomeStripped, OutcomePassed, OutcomeRefused, OutcomeRerouted, OutcomeAcked, OutcomeAckMissing}

const (
	genID      = `re:^1;id=[0-9a-f]{32}$`
	genBaggage = `re:^laneway-synthetic=[0-9a-f]{32}$`
	trustedSA  = "spiffe://cluster.local/ns/synthetics/sa/runner"
	otherSA    = "spiffe://cluster.local/ns/shop/sa/web"
)

func get(path, host string) [][2]string {
	return [][2]string{{":method", "GET"}, {":path", path}, {":authority", host}}
}

func req(method, host string, extra ...string) [][2]string {
	h := [][2]string{{":method", method}, {":path", "/"}, {":authority", host}}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, [2]string{extra[i], extra[i+1]})
	}
	return h
}

// scenarios returns the table; tokens are minted relative to now (the host's clock).
func scenarios(t testing.TB, now time.Time) []scenario {
	mint := func(txid string, exp time.Time) string {
		tok, err := MintToken([]byte(testSecret), txid, exp)
		require.NoError(t, err)
		return tok
	}
	inbound := `{"mode":"inbound","trust":{"principals":["` + trustedSA + `","spiffe://cluster.local/ns/qa/*"],
		"token":{"secret":"` + testSecret + `"}}}`
	outbound := `{"mode":"outbound","participants":["orders","pay.shop.svc.cluster.local:8080","*.sbx.svc.cluster.local"],
		"ack":{"required":true}}`
	edge := `{"mode":"edge","trust":{"token":{"secret":"` + testSecret + `"}},"participants":["orders"],
		"refuse":{"status":409,"body":"tx {id}: {method} {host} is not rollback-capable"}}`
	reroute := `{"mode":"outbound","participants":["orders"],"reroute":{"header":"x-laneway-route","value":"synthetic-stub"}}`
	principalsOnly := `{"mode":"inbound","trust":{"principals":["` + trustedSA + `"]}}`
	valid := mint("tx-token", now.Add(10*time.Minute))
	members := make([]string, 64)
	for i := range members {
		members[i] = "f" + strconv.Itoa(i) + "=1"
	}
	full := strings.Join(members, ",")             // 64 members: the W3C limit laneway's parser keeps
	big := "f=" + strings.Repeat("b", 8180)        // a member that leaves no room under 8 KiB for another
	nearlyFull := "f=" + strings.Repeat("b", 8166) // room for ",laneway-synthetic=tx-g" (8191 bytes in all), not for ",k=v" too

	return []scenario{
		// Trust at a participant's inbound.
		{
			name: "an unmarked request passes untouched and is not counted", config: inbound, uriSAN: otherSA,
			request:     req("POST", "orders", "baggage", "laneway-tenant=acme"),
			wantHeaders: map[string]string{"x-laneway-synthetic": "", "baggage": "laneway-tenant=acme"},
		},
		{
			name: "a marker from a listed peer identity is accepted and gets a generated id in header and baggage", config: inbound, uriSAN: trustedSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": genID, "baggage": genBaggage},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a marker id from a peer under a trusted prefix is kept and other baggage members survive", config: inbound, uriSAN: "spiffe://cluster.local/ns/qa/sa/bot",
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=tx-7", "baggage", "laneway-tenant=acme"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-7", "baggage": "laneway-tenant=acme,laneway-synthetic=tx-7"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a baggage-only marker is normalised into the header for the application", config: inbound, uriSAN: trustedSA,
			request:      req("GET", "orders", "baggage", "laneway-synthetic=tx-b"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-b", "baggage": "laneway-synthetic=tx-b"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "the identity is read from source.principal when the host has no uri SAN property", config: inbound, sourcePrincipal: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=tx-sp"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-sp"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a marker from an unlisted peer is stripped from header and baggage, keeping other members", config: inbound, uriSAN: otherSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1;id=tx-x", "baggage", "laneway-tenant=acme,laneway-synthetic=tx-x"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "baggage": "laneway-tenant=acme"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a marker without any peer identity or token is stripped", config: inbound,
			request:      req("POST", "orders", "x-laneway-synthetic", "1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "an untrusted baggage-only marker removes a baggage header that held nothing else", config: inbound, uriSAN: otherSA,
			request:      req("GET", "orders", "baggage", "laneway-synthetic=1"),
			wantHeaders:  map[string]string{"baggage": "", "x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "conflicting duplicate baggage members from an untrusted peer are both stripped", config: inbound, uriSAN: otherSA,
			request:      req("GET", "orders", "baggage", "laneway-synthetic=a,k=v,laneway-synthetic=b"),
			wantHeaders:  map[string]string{"baggage": "k=v"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a valid token is trusted without a peer identity, its txid is used and the token is removed", config: inbound,
			request:      req("POST", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", valid),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-token", "x-laneway-synthetic-token": "", "baggage": "laneway-synthetic=tx-token"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "an expired token is not trusted and both marker and token are removed", config: inbound,
			request:      req("POST", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", mint("tx-old", now.Add(-2*time.Minute))),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "x-laneway-synthetic-token": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a forged token is not trusted", config: inbound,
			request:      req("POST", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", strings.Replace(valid, "tx-token", "tx-evil0", 1)),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "x-laneway-synthetic-token": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a valid token does not vouch for a marker carrying another txid", config: inbound,
			request:      req("POST", "orders", "x-laneway-synthetic", "1;id=tx-other", "x-laneway-synthetic-token", valid),
			wantHeaders:  map[string]string{"x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a token without a marker is removed and nothing is counted", config: inbound,
			request:     req("GET", "orders", "x-laneway-synthetic-token", valid),
			wantHeaders: map[string]string{"x-laneway-synthetic-token": "", "x-laneway-synthetic": ""},
		},
		{
			name: "header and baggage ids that disagree get a fresh id from a trusted peer", config: inbound, uriSAN: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=aaa", "baggage", "laneway-synthetic=bbb"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": genID, "baggage": genBaggage},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a malformed marker value from a trusted peer still marks the request, with a fresh id", config: inbound, uriSAN: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "yes please"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": genID},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "without a token secret a client's token is still removed before the application", config: principalsOnly, uriSAN: trustedSA,
			request:     req("GET", "orders", "x-laneway-synthetic-token", valid),
			wantHeaders: map[string]string{"x-laneway-synthetic-token": "", "x-laneway-synthetic": ""},
		},
		{
			name: "without a token secret the token is removed from an accepted synthetic request too", config: principalsOnly, uriSAN: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=tx-p", "x-laneway-synthetic-token", valid),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-p", "x-laneway-synthetic-token": ""},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "with no trusted source configured a client's marker and token are both removed", config: `{"mode":"inbound"}`, uriSAN: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", valid),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "x-laneway-synthetic-token": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},

		// The baggage member is what an OpenTelemetry application forwards: it must always travel.
		{
			name: "a trusted marker gets its baggage member in full baggage (64 members) by dropping the last member", config: inbound, uriSAN: trustedSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1;id=tx-1", "baggage", full),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-1", "baggage": strings.Join(members[:63], ",") + ",laneway-synthetic=tx-1"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a trusted marker gets its baggage member in full baggage (8190 bytes) by dropping the member that fills it", config: inbound, uriSAN: trustedSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1;id=tx-1", "baggage", "big="+strings.Repeat("x", 8186)),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-1", "baggage": "laneway-synthetic=tx-1"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a synthetic read at outbound keeps its baggage member in full baggage", config: outbound,
			request:      append(get("/items", "billing"), [2]string{"x-laneway-synthetic", "1;id=tx-g"}, [2]string{"baggage", nearlyFull + ",k=v"}),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-g", "baggage": nearlyFull + ",laneway-synthetic=tx-g"},
			wantCounters: map[string]uint64{OutcomePassed: 1},
		},
		// Hidden marker members are removed whoever the peer, also next to an accepted marker.
		{
			name: "a trusted marker's baggage loses a hidden marker member OpenTelemetry would read (trailing NBSP)", config: inbound, uriSAN: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=tx-ok", "baggage", "laneway-synthetic=tx-ok,laneway-synthetic=tx-evil\u00a0"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-ok", "baggage": "laneway-synthetic=tx-ok"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a trusted marker's baggage loses a marker member beyond the 64-member limit", config: inbound, uriSAN: trustedSA,
			request: req("GET", "orders", "x-laneway-synthetic", "1;id=tx-ok",
				"baggage", strings.Join(members[:63], ",")+",laneway-synthetic=tx-ok,laneway-synthetic=tx-evil"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-ok", "baggage": strings.Join(members[:63], ",") + ",laneway-synthetic=tx-ok"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},
		{
			name: "a trusted marker's baggage that already holds just the one member is forwarded byte for byte", config: inbound, uriSAN: trustedSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=tx-ok", "baggage", " k=v , laneway-synthetic=tx-ok ;p"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-ok", "baggage": " k=v , laneway-synthetic=tx-ok ;p"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1},
		},

		// Marker members the baggage parser drops are stripped where markers are checked.
		{
			name: "a marker member beyond the 64-member baggage limit is stripped at inbound, keeping the kept members", config: inbound, uriSAN: otherSA,
			request:      req("GET", "orders", "baggage", full+",laneway-synthetic=1"),
			wantHeaders:  map[string]string{"baggage": full, "x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a malformed marker member is stripped at inbound", config: inbound, uriSAN: otherSA,
			request:      req("GET", "orders", "baggage", "k=v,laneway-synthetic=a b"),
			wantHeaders:  map[string]string{"baggage": "k=v"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a marker member past 8 KiB of baggage is stripped at inbound", config: inbound, uriSAN: otherSA,
			request:      req("GET", "orders", "baggage", big+",laneway-synthetic=1"),
			wantHeaders:  map[string]string{"baggage": big},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a hidden marker member even from a trusted peer is stripped: it is no marker the mesh honours", config: inbound, uriSAN: trustedSA,
			request:      req("GET", "orders", "baggage", "laneway-synthetic=a b"),
			wantHeaders:  map[string]string{"baggage": "", "x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a hidden marker member next to an untrusted marker header is stripped with it", config: inbound, uriSAN: otherSA,
			request:      req("GET", "orders", "x-laneway-synthetic", "1", "baggage", "laneway-synthetic=a b,k=v"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "baggage": "k=v"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "a baggage member that merely mentions the marker key passes untouched and is not counted", config: inbound, uriSAN: otherSA,
			request:     req("GET", "orders", "baggage", "note=laneway-synthetic-docs"),
			wantHeaders: map[string]string{"baggage": "note=laneway-synthetic-docs"},
		},
		{
			name: "at outbound a hidden marker member is left to the workload's own inbound decision", config: outbound,
			request:     req("GET", "billing", "baggage", "laneway-synthetic=a b"),
			wantHeaders: map[string]string{"baggage": "laneway-synthetic=a b"},
		},

		// Destination policy at a caller's outbound.
		{
			name: "a synthetic POST to a destination that is not rollback-capable is refused locally", config: outbound,
			request:      req("POST", "billing:8080", "x-laneway-synthetic", "1;id=tx-r"),
			wantLocal:    403,
			wantBody:     []string{"tx-r", "POST", "billing:8080", "not declared rollback-capable"},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "a synthetic DELETE marked only in baggage is refused too", config: outbound,
			request:      req("DELETE", "billing", "baggage", "laneway-synthetic=tx-d"),
			wantLocal:    403,
			wantBody:     []string{"tx-d", "DELETE"},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "a synthetic write spelled in lower case (post) is refused like POST", config: outbound,
			request:      req("post", "billing", "x-laneway-synthetic", "1;id=tx-l"),
			wantLocal:    403,
			wantBody:     []string{"tx-l", "post"},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "a synthetic write spelled in mixed case (Delete) is refused like DELETE", config: outbound,
			request:      req("Delete", "billing", "baggage", "laneway-synthetic=tx-l"),
			wantLocal:    403,
			wantBody:     []string{"tx-l", "Delete"},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "a synthetic read of a destination that is not rollback-capable passes", config: outbound,
			request:      append(get("/items", "billing"), [2]string{"baggage", "laneway-synthetic=tx-g"}),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-g", "baggage": "laneway-synthetic=tx-g"},
			wantCounters: map[string]uint64{OutcomePassed: 1},
		},
		{
			name: "an ordinary POST to a destination that is not rollback-capable passes untouched", config: outbound,
			request:     req("POST", "billing"),
			wantHeaders: map[string]string{"x-laneway-synthetic": ""},
		},
		{
			name: "a synthetic POST to a participant that acknowledges with the txid is counted as acked", config: outbound,
			request:      req("POST", "orders:8080", "x-laneway-synthetic", "1;id=tx-a"),
			response:     [][2]string{{":status", "201"}, {"x-laneway-synthetic-ack", "{id}"}},
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-a"},
			wantCounters: map[string]uint64{OutcomePassed: 1, OutcomeAcked: 1},
		},
		{
			name: "a participant that does not acknowledge is counted and logged with the txid", config: outbound,
			request:      req("PUT", "pay.shop.svc.cluster.local:8080", "x-laneway-synthetic", "1;id=tx-miss"),
			response:     [][2]string{{":status", "200"}},
			wantCounters: map[string]uint64{OutcomePassed: 1, OutcomeAckMissing: 1},
			wantWarn:     "tx tx-miss",
		},
		{
			name: "an acknowledgement naming another txid counts as missing", config: outbound,
			request:      req("PATCH", "x.sbx.svc.cluster.local", "x-laneway-synthetic", "1;id=tx-m2"),
			response:     [][2]string{{":status", "200"}, {"x-laneway-synthetic-ack", "tx-other"}},
			wantCounters: map[string]uint64{OutcomePassed: 1, OutcomeAckMissing: 1},
			wantWarn:     "tx-other",
		},
		{
			name: "a participant listed with another port is not a participant", config: outbound,
			request:      req("POST", "pay.shop.svc.cluster.local:9090", "x-laneway-synthetic", "1"),
			wantLocal:    403,
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "reads of participants need no acknowledgement", config: outbound,
			request:      req("GET", "orders", "x-laneway-synthetic", "1"),
			response:     [][2]string{{":status", "200"}},
			wantHeaders:  map[string]string{"x-laneway-synthetic": genID},
			wantCounters: map[string]uint64{OutcomePassed: 1},
		},
		{
			name: "with reroute configured a mutating call goes on with the routing header", config: reroute,
			request:               req("POST", "billing", "x-laneway-synthetic", "1;id=tx-rr"),
			wantHeaders:           map[string]string{"x-laneway-route": "synthetic-stub", "x-laneway-synthetic": "1;id=tx-rr"},
			wantCounters:          map[string]uint64{OutcomeRerouted: 1},
			wantRouteCacheCleared: true,
		},

		// The edge: trust and destination policy together.
		{
			name: "an outsider's marker at the edge is stripped and the write goes on as ordinary traffic", config: edge,
			request:      req("POST", "billing", "x-laneway-synthetic", "1", "baggage", "laneway-synthetic=1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "baggage": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "an outsider's marker member beyond the 64-member baggage limit is stripped at the edge", config: edge,
			request:      req("GET", "orders", "baggage", full+",laneway-synthetic=1"),
			wantHeaders:  map[string]string{"baggage": full, "x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "an outsider's malformed marker member is stripped at the edge", config: edge,
			request:      req("GET", "orders", "baggage", "laneway-synthetic=a b"),
			wantHeaders:  map[string]string{"baggage": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		// Issue 17: what other propagators read as the marker key.
		{
			name: "an outsider's laneway%2Dsynthetic member is stripped at the edge (issue 17, item 1)", config: edge,
			request:      req("POST", "billing", "baggage", "a=1,laneway%2Dsynthetic=tx-1"),
			wantHeaders:  map[string]string{"baggage": "a=1"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "an outsider's laneway-synthetic%20 member, read by OpenTelemetry Python, is stripped at the edge", config: edge,
			request:      req("POST", "billing", "baggage", "laneway-synthetic%20=tx-1"),
			wantHeaders:  map[string]string{"baggage": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "an outsider's ot-baggage- and uberctx- marker headers are stripped at the edge", config: edge,
			request:      req("POST", "billing", "ot-baggage-laneway-synthetic", "tx-1", "uberctx-laneway-synthetic", "tx-1"),
			wantHeaders:  map[string]string{"ot-baggage-laneway-synthetic": "", "uberctx-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "an accepted marker at the edge travels alone: an encoded copy is removed", config: edge,
			request:      req("POST", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", valid, "baggage", "laneway%2Dsynthetic=evil,a=1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-token", "baggage": "a=1,laneway-synthetic=tx-token"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1, OutcomePassed: 1},
		},
		// Issue 17, item 5: adding the marker never leaves an empty list member.
		{
			name: "an accepted marker is added to baggage ending in a comma without an empty member", config: edge,
			request:      req("POST", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", valid, "baggage", "a=1,"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-token", "baggage": "a=1,laneway-synthetic=tx-token"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1, OutcomePassed: 1},
		},
		{
			name: "a token-bearing synthetic write to a non-participant at the edge is refused with the configured reply", config: edge,
			request:      req("POST", "billing", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", valid),
			wantLocal:    409,
			wantBody:     []string{"tx tx-token: POST billing is not rollback-capable"},
			wantCounters: map[string]uint64{OutcomeAccepted: 1, OutcomeRefused: 1},
		},
		{
			name: "a token-bearing synthetic write to a participant at the edge passes with the token removed", config: edge,
			request:      req("POST", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", valid),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-token", "x-laneway-synthetic-token": ""},
			wantCounters: map[string]uint64{OutcomeAccepted: 1, OutcomePassed: 1},
		},

		// Issue 19: an empty configuration starts the filter, in the mode of the listener direction.
		{
			name: "{} on an inbound listener strips a marker (no trusted source) and the token, as mode inbound", config: `{}`, direction: "inbound", uriSAN: trustedSA,
			request:      req("POST", "orders", "x-laneway-synthetic", "1;id=tx-e", "x-laneway-synthetic-token", valid, "baggage", "k=v,laneway-synthetic=tx-e"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "", "x-laneway-synthetic-token": "", "baggage": "k=v"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
		{
			name: "{} on an inbound listener passes an unmarked request untouched", config: `{}`, direction: "inbound",
			request:     req("POST", "orders", "baggage", "k=v"),
			wantHeaders: map[string]string{"baggage": "k=v", "x-laneway-synthetic": ""},
		},
		{
			name: "{} on an outbound listener refuses a synthetic write (no participant), as mode outbound", config: `{}`, direction: "outbound",
			request:      req("POST", "billing", "x-laneway-synthetic", "1;id=tx-e"),
			wantLocal:    403,
			wantBody:     []string{"tx-e", "POST", "billing", "not declared rollback-capable"},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "{} on an outbound listener passes a synthetic read with its marker normalised and the token kept", config: `{}`, direction: "outbound",
			request:      req("GET", "billing", "baggage", "laneway-synthetic=tx-e", "x-laneway-synthetic-token", "t"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": "1;id=tx-e", "baggage": "laneway-synthetic=tx-e", "x-laneway-synthetic-token": "t"},
			wantCounters: map[string]uint64{OutcomePassed: 1},
		},
		{
			name: "an empty configuration (no bytes) on an outbound listener is {}", config: ``, direction: "outbound",
			request:      req("DELETE", "billing", "x-laneway-synthetic", "1"),
			wantLocal:    403,
			wantCounters: map[string]uint64{OutcomeRefused: 1},
		},
		{
			name: "a configuration with only a header name takes its mode from the listener direction", config: `{"header":"x-synth"}`, direction: "outbound",
			request:      req("GET", "billing", "x-synth", "1;id=tx-h"),
			wantHeaders:  map[string]string{"x-synth": "1;id=tx-h", "baggage": "laneway-synthetic=tx-h"},
			wantCounters: map[string]uint64{OutcomePassed: 1},
		},
		{
			name: "{} where the listener direction is unspecified (a gateway) refuses a marked request and warns once", config: `{}`, direction: "unspecified",
			request:      req("GET", "orders", "x-laneway-synthetic", "1;id=tx-u"),
			wantLocal:    403,
			wantBody:     []string{"tx-u", "GET", "orders", "listener direction is unknown", `set "mode"`},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
			wantWarn:     "xds.listener_direction is 0",
		},
		{
			name: "{} where the host has no listener direction refuses a marked request and warns once", config: `{}`,
			request:      req("POST", "orders", "baggage", "laneway-synthetic=tx-u"),
			wantLocal:    403,
			wantBody:     []string{"tx-u", "listener direction is unknown"},
			wantCounters: map[string]uint64{OutcomeRefused: 1},
			wantWarn:     "xds.listener_direction is not available",
		},
		{
			name: "{} where the listener direction is unknown still strips a token and a hidden marker member", config: `{}`, direction: "unspecified",
			request:      req("GET", "orders", "x-laneway-synthetic-token", "t", "baggage", "k=v,laneway-synthetic=a b"),
			wantHeaders:  map[string]string{"x-laneway-synthetic-token": "", "baggage": "k=v"},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
			wantWarn:     "xds.listener_direction is 0",
		},
		{
			name: "an explicit mode wins over the listener direction", config: `{"mode":"inbound"}`, direction: "outbound",
			request:      req("POST", "billing", "x-laneway-synthetic", "1"),
			wantHeaders:  map[string]string{"x-laneway-synthetic": ""},
			wantCounters: map[string]uint64{OutcomeStripped: 1},
		},
	}
}

// check asserts a host's outcome against a scenario.
func check(t *testing.T, sc scenario, got outcome) {
	t.Helper()
	assert.Equal(t, sc.wantLocal, got.localStatus, "local reply status")
	for _, s := range sc.wantBody {
		assert.Contains(t, got.localBody, s, "local reply body")
	}
	if sc.wantLocal == 0 {
		for name, want := range sc.wantHeaders {
			var vals []string
			for _, h := range got.upstream {
				if strings.EqualFold(h[0], name) {
					vals = append(vals, h[1])
				}
			}
			switch {
			case want == "":
				assert.Empty(t, vals, "header %s must be absent", name)
			case strings.HasPrefix(want, "re:"):
				if assert.Len(t, vals, 1, "header %s", name) {
					assert.Regexp(t, regexp.MustCompile(want[3:]), vals[0], "header %s", name)
				}
			default:
				assert.Equal(t, []string{want}, vals, "header %s", name)
			}
		}
	}
	for _, o := range allOutcomes {
		assert.Equal(t, sc.wantCounters[o], got.counters[o], "counter %s", MetricName(o))
	}
	if sc.wantWarn == "" {
		assert.Empty(t, got.warnLogs, "warn logs")
	} else if assert.NotEmpty(t, got.warnLogs) {
		assert.Contains(t, strings.Join(got.warnLogs, "\n"), sc.wantWarn)
	}
	assert.Equal(t, sc.wantRouteCacheCleared, got.routeCacheClear > 0, "route cache cleared")
}

// directionValue returns the xds.listener_direction property of a scenario; ok is false when the host lacks it.
func directionValue(sc scenario) (value []byte, ok bool) {
	dirs := map[string]int64{"unspecified": 0, "inbound": proxyhost.DirectionInbound, "outbound": proxyhost.DirectionOutbound}
	if sc.direction == "" {
		return nil, false
	}
	dir, known := dirs[sc.direction]
	if !known {
		panic("scenario " + sc.name + ": unknown direction " + sc.direction)
	}
	return binary.LittleEndian.AppendUint64(nil, uint64(dir)), true
}

// upstreamID returns the txid in the forwarded marker header ("" if none).
func upstreamID(headers [][2]string) string {
	for _, h := range headers {
		if h[0] == DefaultHeader {
			if id, ok := parseHeaderMarker(h[1]); ok {
				return id
			}
		}
	}
	return ""
}
