// Package shadowtag keeps mirrored (shadow) traffic from changing real data.
//
// Envoy mirrors a request fire-and-forget and does not run the sender's
// filters on the copy, so everything happens on the receiving side:
//
//   - inbound (the shadow workload's inbound listener): detect a shadow copy
//     and mark it with `x-laneway-shadow: 1` plus the `laneway-shadow=1`
//     baggage member, so OpenTelemetry-instrumented apps carry the mark on.
//     The member always travels: in baggage already at W3C's limits (64
//     members, 8192 bytes) trailing members are dropped to make room, as W3C
//     allows. The baggage reaches the app with exactly one `laneway-shadow`
//     member: others are removed, including those this parser drops
//     (malformed, beyond the limits) that a laxer parser in the app could
//     still read; baggage whose one valid member is the only mention of the
//     key is forwarded byte for byte.
//     Optionally strip Envoy's `-shadow` host suffix for apps that route on Host.
//   - outbound (any workload's outbound listener): a shadow request with a
//     mutating method to a destination that is not allow-listed is answered
//     locally or re-routed to a test double; reads pass.
//   - edge (ingress gateway): shadow markers from untrusted callers are removed.
//   - auto: inbound or outbound from the listener's direction.
//
// Detection signals: Envoy's `-shadow` host suffix in both historical forms
// (`svc-shadow:8080` since Envoy 1.6, `svc:8080-shadow` before), inbound only;
// a shadow-workload switch that treats every request through the workload as
// shadow (Istio >= 1.28 turns the suffix off by default and Envoy >= 1.31 can
// disable it); configured marker headers; and laneway's own
// `x-laneway-shadow` header or `laneway-shadow` baggage member.
//
// The decision logic ([Config.Decide]) is pure Go over the request's header
// pairs; filter.go wires it to proxy-wasm SDK v0.24.0.
//
// # Configuration
//
//	{"mode": "inbound" | "outbound" | "edge" | "auto",                      (required)
//	 "detect":   {"hostSuffix": true, "shadowWorkload": false,
//	              "markerHeaders": [{"name": "x-mirror", "value": "optional exact value"}]},
//	 "inbound":  {"restoreHost": false, "baggage": true},
//	 "outbound": {"mutatingMethods": ["POST","PUT","PATCH","DELETE"],
//	              "allow": ["audit.prod.svc.cluster.local", "*.stubs.svc.cluster.local"],
//	              "action": "suppress" | "reroute",
//	              "response": {"status": 202, "headers": {...}, "body": "..."},
//	              "reroute":  {"header": "x-laneway-shadow-route", "value": "test-double"}}}
//
// # Design choices
//
//   - auto reads xds.listener_direction once per plugin, not per request: Envoy
//     takes the value from the plugin's listener and keys plugins (and so root
//     contexts) by name and traffic direction, so it cannot change under a
//     plugin. It is read in OnPluginStart; if the root context cannot see it,
//     the first request reads it once. When it is still unknown, requests pass
//     unchanged and one warning says to set the mode explicitly.
//   - The host suffix is an inbound signal only: on outbound the :authority is
//     the destination the app chose, and a real service named "*-shadow" would
//     otherwise have every production write suppressed.
//   - Fail closed on containment: a missing :method counts as mutating,
//     methods compare case-insensitively, `laneway-shadow` baggage members
//     that disagree (`1` and `0`, or `1` and `true`) mark the request as
//     shadow when any of them says so (filters/baggage reports conflicting
//     occurrences as absent, which suits routing but would let a client
//     unmark a shadow write), a failed reroute-header write
//     suppresses instead, and a suppressed request is paused even if the local
//     reply could not be sent.
//   - Header edits go to the host as one replace of the whole header map (one
//     host call, identical semantics in Envoy and test hosts), and only when
//     there is something to change; ordinary requests cost one
//     get_header_map_pairs and no allocation in the decision.
//   - Outcomes (passed, marked, suppressed, rerouted, stripped) are exclusive:
//     their counters add up to the requests seen; detected counts shadow
//     requests on inbound and outbound.
package shadowtag
