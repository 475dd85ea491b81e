package shadowtag

import (
	"strconv"
	"strings"
)

// scenario is one request through a configured filter, with what must come out.
// The same table runs natively under proxytest and against dist/shadowtag.wasm and dist/laneway.wasm in
// testenv, through TestScenarios (wasm_test.go).
type scenario struct {
	name      string      // reads as a sentence
	config    string      // plugin configuration JSON
	direction int64       // xds.listener_direction property; 0 = not provided
	principal string      // the caller's identity as a waypoint sees it (filter_state io.istio.peer_principal); "" = none
	headers   [][2]string // request headers as the host passes them
	want      want
}

type want struct {
	outcome  Outcome           // the one outcome counter incremented
	detected bool              // laneway_shadowtag_detected_total incremented
	local    *localReply       // a local response was sent (the request did not continue)
	set      map[string]string // headers that must occur exactly once, with this value
	absent   []string          // headers that must not occur
}

type localReply struct {
	status  uint32
	body    string            // exact body
	headers map[string]string // headers the reply must carry
}

func req(method, authority string, extra ...string) [][2]string {
	h := [][2]string{{":method", method}, {":authority", authority}, {":path", "/orders"}, {":scheme", "http"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, [2]string{extra[i], extra[i+1]})
	}
	return h
}

var defaultReply = &localReply{
	status:  202,
	body:    DefaultResponseBody,
	headers: map[string]string{"content-type": "application/json", MarkerHeader: "suppressed"},
}

const (
	cfgInbound  = `{"mode":"inbound"}`
	cfgOutbound = `{"mode":"outbound","outbound":{"allow":["audit.prod.svc.cluster.local","*.stubs.svc.cluster.local","[fd00::7]"]}}`
	cfgEdge     = `{"mode":"edge","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`
)

var scenarios = []scenario{
	// Inbound detection: Envoy's host suffix in both forms.
	{name: "inbound marks a mirror whose host has the current suffix form svc-shadow:8080",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1", ":authority": "orders-shadow:8080"}}},
	{name: "inbound marks a mirror whose host has the pre-1.6 suffix form svc:8080-shadow",
		config: cfgInbound, headers: req("GET", "orders:8080-shadow"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1"}}},
	{name: "inbound marks a mirror whose host has no port",
		config: cfgInbound, headers: req("GET", "orders.prod.svc.cluster.local-shadow"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "inbound marks a mirror of an IPv6 literal host in the current form",
		config: cfgInbound, headers: req("GET", "[fd00::1]-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "inbound marks a mirror of an IPv6 literal host in the old form",
		config: cfgInbound, headers: req("GET", "[fd00::1]:8080-shadow"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "inbound passes an ordinary request unchanged",
		config: cfgInbound, headers: req("POST", "orders:8080", "baggage", "k=v"),
		want: want{outcome: OutcomePassed, set: map[string]string{"baggage": "k=v", ":authority": "orders:8080"}, absent: []string{MarkerHeader}}},
	{name: "inbound ignores the suffix when hostSuffix is off",
		config: `{"mode":"inbound","detect":{"hostSuffix":false}}`, headers: req("GET", "orders-shadow:8080"),
		want: want{outcome: OutcomePassed, absent: []string{MarkerHeader, "baggage"}}},
	// Inbound detection: other signals.
	{name: "inbound treats every request as shadow in shadow-workload mode (Istio 1.28 drops the suffix)",
		config: `{"mode":"inbound","detect":{"shadowWorkload":true}}`, headers: req("GET", "orders:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1"}}},
	{name: "inbound detects a configured marker header with any value",
		config: `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`, headers: req("GET", "orders", "x-mirror", "yes"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "x-mirror": "yes"}}},
	{name: "inbound detects a configured marker header with its required value",
		config: `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-traffic","value":"shadow"}]}}`, headers: req("GET", "orders", "x-traffic", "Shadow"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "inbound ignores a configured marker header with another value",
		config: `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-traffic","value":"shadow"}]}}`, headers: req("GET", "orders", "x-traffic", "live"),
		want: want{outcome: OutcomePassed, absent: []string{MarkerHeader}}},
	{name: "inbound detects laneway's header from an earlier hop",
		config: cfgInbound, headers: req("GET", "orders", MarkerHeader, "1"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1"}}},
	{name: "inbound does not treat x-laneway-shadow: 0 as shadow",
		config: cfgInbound, headers: req("GET", "orders", MarkerHeader, "0"),
		want: want{outcome: OutcomePassed, set: map[string]string{MarkerHeader: "0"}}},
	{name: "inbound detects laneway's baggage member from an earlier hop and adds the header only",
		config: cfgInbound, headers: req("GET", "orders", "baggage", "tenant=acme,laneway-shadow=1"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "tenant=acme,laneway-shadow=1"}}},
	{name: "inbound appends the baggage member after the app's own members",
		config: cfgInbound, headers: req("GET", "orders-shadow:80", "baggage", "tenant=acme;p=1"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": "tenant=acme;p=1,laneway-shadow=1"}}},
	{name: "inbound combines repeated baggage headers into one that carries the member",
		config: cfgInbound, headers: req("GET", "orders-shadow:80", "baggage", "a=1", "baggage", "b=2"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": "a=1,b=2,laneway-shadow=1"}}},
	{name: "inbound replaces a contradicting laneway-shadow=0 baggage member",
		config: cfgInbound, headers: req("GET", "orders-shadow:80", "baggage", "laneway-shadow=0,a=1"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": "a=1,laneway-shadow=1"}}},
	// The mark must travel in baggage, or an OpenTelemetry app's own writes are not contained downstream.
	{name: "inbound makes room for the baggage member in full baggage (64 members) by dropping the last member",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080", "baggage", members(64)),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": members(63) + ",laneway-shadow=1"}}},
	{name: "inbound makes room for the baggage member in full baggage (8190 bytes) by dropping the member that fills it",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080", "baggage", "big="+strings.Repeat("x", 8186)),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": "laneway-shadow=1"}}},
	{name: "inbound makes room across several full baggage headers and combines them",
		config: cfgInbound, headers: req("GET", "orders-shadow:8080", "baggage", members(40), "baggage", members(64)),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": members(40) + "," + members(23) + ",laneway-shadow=1"}}},
	// A member the parser drops but OpenTelemetry reads must not reach the app, even next to a valid mark.
	{name: "inbound removes a malformed laneway-shadow member OpenTelemetry would read (trailing NBSP) next to a valid one",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080", "baggage", "a=1,laneway-shadow=1,laneway-shadow=0\u00a0"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": "a=1,laneway-shadow=1"}}},
	{name: "inbound removes a laneway-shadow member beyond the 64-member limit next to a valid one",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080", "baggage", members(63)+",laneway-shadow=1,laneway-shadow=0"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": members(63) + ",laneway-shadow=1"}}},
	{name: "inbound forwards baggage byte for byte when its one valid member is the only mention of the key",
		config: cfgInbound, headers: req("GET", "orders-shadow:8080", "baggage", " a=1 , laneway-shadow=1 ;p"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{"baggage": " a=1 , laneway-shadow=1 ;p"}}},
	{name: "inbound treats disagreeing baggage members as shadow when one says so, and leaves one (fail closed)",
		config: cfgInbound, headers: req("GET", "orders", "baggage", "laneway-shadow=1,a=1,laneway-shadow=true"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "a=1,laneway-shadow=1"}}},
	{name: "inbound collapses repeated marker headers into one",
		config: cfgInbound, headers: req("GET", "orders", MarkerHeader, "1", MarkerHeader, "true"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "inbound leaves baggage alone when baggage marking is off",
		config: `{"mode":"inbound","inbound":{"baggage":false}}`, headers: req("GET", "orders-shadow:80"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}, absent: []string{"baggage"}}},
	{name: "inbound restores the original host in the current form",
		config: `{"mode":"inbound","inbound":{"restoreHost":true}}`, headers: req("GET", "orders-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{":authority": "orders:8080", MarkerHeader: "1"}}},
	{name: "inbound restores the original host in the old form",
		config: `{"mode":"inbound","inbound":{"restoreHost":true}}`, headers: req("GET", "orders:8080-shadow"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{":authority": "orders:8080"}}},
	{name: "inbound restores an IPv6 literal host",
		config: `{"mode":"inbound","inbound":{"restoreHost":true}}`, headers: req("GET", "[fd00::1]-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{":authority": "[fd00::1]:8080"}}},

	// Outbound containment.
	{name: "outbound suppresses a shadow POST to a collaborator with the default 202 JSON reply",
		config: cfgOutbound, headers: req("POST", "payments:8080", MarkerHeader, "1"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound suppresses shadow PUT, PATCH and DELETE too",
		config: cfgOutbound, headers: req("DELETE", "payments", "baggage", "laneway-shadow=1"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound suppresses a shadow PATCH detected by a configured marker header",
		config: `{"mode":"outbound","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`, headers: req("PATCH", "payments", "x-mirror", "1"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound suppresses every write of a shadow workload even without markers",
		config: `{"mode":"outbound","detect":{"shadowWorkload":true}}`, headers: req("PUT", "payments:80"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound treats a lower-case method as the mutating method it names",
		config: cfgOutbound, headers: req("post", "payments", MarkerHeader, "1"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound suppresses a shadow POST whose baggage spells the mark two ways (1, true): fail closed",
		config: cfgOutbound, headers: req("POST", "payments", "baggage", "laneway-shadow=1,laneway-shadow=true"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound suppresses a shadow POST whose baggage members disagree (1, 0): fail closed",
		config: cfgOutbound, headers: req("POST", "payments", "baggage", "laneway-shadow=0", "baggage", "laneway-shadow=TRUE"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "outbound passes a POST whose disagreeing baggage members all say not shadow",
		config: cfgOutbound, headers: req("POST", "payments", "baggage", "laneway-shadow=0,laneway-shadow=no"),
		want: want{outcome: OutcomePassed, absent: []string{MarkerHeader}}},
	{name: "outbound passes a shadow GET and keeps it marked for the collaborator",
		config: cfgOutbound, headers: req("GET", "payments:8080", "baggage", "laneway-shadow=1"),
		want: want{outcome: OutcomePassed, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1"}}},
	{name: "outbound passes a non-shadow POST untouched",
		config: cfgOutbound, headers: req("POST", "payments:8080"),
		want: want{outcome: OutcomePassed, absent: []string{MarkerHeader, "x-laneway-shadow-route"}}},
	{name: "outbound passes a shadow POST to an allow-listed destination",
		config: cfgOutbound, headers: req("POST", "audit.prod.svc.cluster.local:8080", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "outbound passes a shadow POST to a wildcard allow-listed destination",
		config: cfgOutbound, headers: req("POST", "ledger.stubs.svc.cluster.local", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, detected: true}},
	{name: "outbound passes a shadow POST to an allow-listed IPv6 literal",
		config: cfgOutbound, headers: req("POST", "[fd00::7]:9000", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, detected: true}},
	{name: "outbound matches the allow-list without a forwarded -shadow suffix",
		config: cfgOutbound, headers: req("POST", "audit.prod.svc.cluster.local-shadow:8080", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, detected: true}},
	{name: "outbound does not read the host suffix as a signal",
		config: cfgOutbound, headers: req("POST", "payments-shadow:8080"),
		want: want{outcome: OutcomePassed, absent: []string{MarkerHeader}}},
	{name: "outbound lets DELETE pass when only POST is configured as mutating",
		config: `{"mode":"outbound","outbound":{"mutatingMethods":["POST"]}}`, headers: req("DELETE", "payments", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, detected: true}},
	{name: "outbound re-routes a shadow POST to the test double via the routing header",
		config: `{"mode":"outbound","outbound":{"action":"reroute"}}`, headers: req("POST", "payments", "baggage", "laneway-shadow=1"),
		want: want{outcome: OutcomeRerouted, detected: true, set: map[string]string{"x-laneway-shadow-route": "test-double", MarkerHeader: "1", ":authority": "payments"}}},
	{name: "outbound re-routes with a configured header and value",
		config: `{"mode":"outbound","outbound":{"action":"reroute","reroute":{"header":"x-stub","value":"hoverfly"}}}`, headers: req("PUT", "payments", MarkerHeader, "1", "x-stub", "old"),
		want: want{outcome: OutcomeRerouted, detected: true, set: map[string]string{"x-stub": "hoverfly"}}},
	{name: "outbound answers with the configured status, headers and body",
		config:  `{"mode":"outbound","outbound":{"response":{"status":200,"headers":{"content-type":"text/plain","x-why":"shadow"},"body":"ok (shadow)"}}}`,
		headers: req("POST", "payments", MarkerHeader, "true"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: &localReply{status: 200, body: "ok (shadow)",
			headers: map[string]string{"content-type": "text/plain", "x-why": "shadow"}}}},

	// Edge: trust boundary.
	{name: "edge strips every shadow marker an untrusted caller sent",
		config:  `{"mode":"edge","detect":{"markerHeaders":[{"name":"x-mirror"}]},"outbound":{"action":"reroute"}}`,
		headers: req("POST", "shop.example.com", MarkerHeader, "1", "x-mirror", "1", "x-laneway-shadow-route", "test-double", "baggage", "tenant=acme,laneway-shadow=1"),
		want:    want{outcome: OutcomeStripped, set: map[string]string{"baggage": "tenant=acme"}, absent: []string{MarkerHeader, "x-mirror", "x-laneway-shadow-route"}}},
	{name: "edge removes a baggage header that only carried the marker",
		config: cfgEdge, headers: req("GET", "shop.example.com", "baggage", "laneway-shadow=1"),
		want: want{outcome: OutcomeStripped, absent: []string{"baggage"}}},
	{name: "edge passes a clean request",
		config: cfgEdge, headers: req("POST", "shop.example.com", "baggage", "tenant=acme"),
		want: want{outcome: OutcomePassed, set: map[string]string{"baggage": "tenant=acme"}}},
	// Issue 17: what other propagators read as the marker key, and the mirror host suffix.
	{name: "edge strips laneway%2Dshadow=1, which an OpenTelemetry JS or Python app reads as the marker (issue 17, item 1)",
		config: cfgEdge, headers: req("POST", "shop.example.com", "baggage", "tenant=acme,laneway%2Dshadow=1"),
		want: want{outcome: OutcomeStripped, set: map[string]string{"baggage": "tenant=acme"}}},
	{name: "edge strips laneway-shadow+=1, which OpenTelemetry Python reads as the marker",
		config: cfgEdge, headers: req("POST", "shop.example.com", "baggage", "laneway-shadow+=1"),
		want: want{outcome: OutcomeStripped, absent: []string{"baggage"}}},
	{name: "edge strips laneway-shadow headers of the other propagators (ot-baggage-, uberctx-)",
		config: cfgEdge, headers: req("POST", "shop.example.com", "ot-baggage-laneway-shadow", "1", "uberctx-laneway-shadow", "1"),
		want: want{outcome: OutcomeStripped, absent: []string{"ot-baggage-laneway-shadow", "uberctx-laneway-shadow"}}},
	{name: "edge removes a client-set -shadow host suffix before the mesh sees it (issue 17, item 6)",
		config: cfgEdge, headers: req("POST", "svc-b-shadow:8080"),
		want: want{outcome: OutcomeStripped, set: map[string]string{":authority": "svc-b:8080"}}},
	{name: "edge removes a client-set pre-1.6 -shadow host suffix",
		config: cfgEdge, headers: req("GET", "svc-b:8080-shadow"),
		want: want{outcome: OutcomeStripped, set: map[string]string{":authority": "svc-b:8080"}}},
	// Issue 17, item 5: adding the mark never leaves an empty list member.
	{name: "inbound adds the mark to baggage ending in a comma without an empty member",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080", "baggage", "a=1,"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "a=1,laneway-shadow=1"}}},
	{name: "inbound adds the mark next to an empty baggage header without an empty member",
		config: cfgInbound, headers: req("POST", "orders-shadow:8080", "baggage", "", "baggage", "a=1"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "a=1,laneway-shadow=1"}}},

	// Auto: direction from the listener.
	{name: "auto on an inbound listener marks mirrors",
		config: `{"mode":"auto"}`, direction: 1, headers: req("GET", "orders-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "auto on an outbound listener suppresses shadow writes",
		config: `{"mode":"auto"}`, direction: 2, headers: req("POST", "payments", MarkerHeader, "1"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "auto without a listener direction passes requests unchanged",
		config: `{"mode":"auto"}`, headers: req("POST", "payments-shadow", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, set: map[string]string{MarkerHeader: "1", ":authority": "payments-shadow"}}},
	// No mode (an empty config, as Istio sends for a WasmPlugin without pluginConfig): auto.
	{name: "an empty config on an inbound listener marks mirrors as inbound does",
		config: `{}`, direction: 1, headers: req("POST", "orders-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1", ":authority": "orders-shadow:8080"}}},
	{name: "an empty config on an inbound listener passes an ordinary request unchanged",
		config: `{}`, direction: 1, headers: req("POST", "orders:8080"),
		want: want{outcome: OutcomePassed, absent: []string{MarkerHeader, "baggage"}}},
	{name: "an empty config on an inbound listener does not contain a shadow write (outbound's job)",
		config: `{}`, direction: 1, headers: req("POST", "payments", MarkerHeader, "1"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", "baggage": "laneway-shadow=1"}}},
	{name: "an empty config on an outbound listener suppresses shadow writes as outbound does",
		config: `{}`, direction: 2, headers: req("POST", "payments", MarkerHeader, "1"),
		want: want{outcome: OutcomeSuppressed, detected: true, local: defaultReply}},
	{name: "an empty config on an outbound listener does not take the -shadow host for a mirror (inbound's signal)",
		config: `{}`, direction: 2, headers: req("POST", "orders-shadow:8080"),
		want: want{outcome: OutcomePassed, set: map[string]string{":authority": "orders-shadow:8080"}, absent: []string{MarkerHeader}}},
	{name: "a blank config on an outbound listener lets shadow reads pass, marked",
		config: " \n", direction: 2, headers: req("GET", "payments", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, detected: true, set: map[string]string{MarkerHeader: "1"}}},
	{name: "an empty config without a listener direction passes requests unchanged",
		config: `{}`, headers: req("POST", "payments-shadow", MarkerHeader, "1"),
		want: want{outcome: OutcomePassed, set: map[string]string{MarkerHeader: "1", ":authority": "payments-shadow"}}},

	// Header maps Envoy would read back as empty if written whole (more than 1024 pairs or 1 MiB).
	{name: "edge strips the marker from a request of 1,026 headers and keeps every other header",
		config: cfgEdge, headers: append(req("POST", "shop.example.com", MarkerHeader, "1"), filler(1026)...),
		want: want{outcome: OutcomeStripped, set: map[string]string{":method": "POST", ":path": "/orders", "x-h-0": "v", "x-h-1025": "v"}, absent: []string{MarkerHeader}}},
	{name: "edge strips the marker next to a 1 MiB header and keeps every other header",
		config: cfgEdge, headers: req("POST", "shop.example.com", "x-big", mib, MarkerHeader, "1"),
		want: want{outcome: OutcomeStripped, set: map[string]string{":method": "POST", ":path": "/orders", "x-big": mib}, absent: []string{MarkerHeader}}},
	{name: "inbound marks a mirror whose 1 MiB host has the -shadow suffix and keeps every other header",
		config: cfgInbound, headers: req("GET", mib+"-shadow:8080"),
		want: want{outcome: OutcomeMarked, detected: true, set: map[string]string{MarkerHeader: "1", ":method": "GET", ":path": "/orders", ":authority": mib + "-shadow:8080"}}},
}

// mib is a 1 MiB header value: with it, the request's header map no longer fits one set_header_map_pairs call.
var mib = strings.Repeat("m", 1<<20)

// members returns n baggage members "k0=v,…,k<n-1>=v".
func members(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "k" + strconv.Itoa(i) + "=v"
	}
	return strings.Join(parts, ",")
}

// filler returns n unrelated headers x-h-0 … x-h-<n-1>.
func filler(n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = [2]string{"x-h-" + strconv.Itoa(i), "v"}
	}
	return out
}
