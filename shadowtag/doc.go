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
//   - edge (ingress gateway): shadow markers from untrusted callers are removed:
//     the marker header, configured marker headers, the reroute header, every
//     baggage member whose key any common propagator reads as laneway-shadow
//     (`laneway%2Dshadow=1` is decoded by OpenTelemetry JS and Python; see
//     filters/baggage, "Keys as other propagators read them"), and
//     ot-baggage-/uberctx- headers of that key. A client-set mirror host is
//     normalised, not refused: `svc-b-shadow:8080` (or the pre-1.6
//     `svc-b:8080-shadow`) goes on as `svc-b:8080`, so the destination's
//     inbound filter never takes it for Envoy's mirror copy, and the request is
//     routed as what it is (laneway's modules declare ABI 0.2.1, so Envoy
//     re-matches the route after the edit). Refusing would fail a real service
//     whose name ends in -shadow for a signal the edge can simply remove.
//   - auto (also when mode is not set, so an empty configuration starts the
//     filter): inbound or outbound from the listener's direction
//     (xds.listener_direction). edge and waypoint are always explicit.
//
// Detection signals: Envoy's `-shadow` host suffix in both historical forms
// (`svc-shadow:8080` since Envoy 1.6, `svc:8080-shadow` before), inbound only;
// a shadow-workload switch that treats every request through the workload as
// shadow (Istio >= 1.28 turns the suffix off by default and Envoy >= 1.31 can
// disable it); configured marker headers; and laneway's own
// `x-laneway-shadow` header or `laneway-shadow` baggage member.
//
// The package has the shape of every laneway filter: config.go (the immutable
// [Config], read with filters/pluginconfig), decide.go ([Config.Decide]: pure
// Go over the request's header pairs and the [Facts] the filter reads from the
// host, filling a reused [Decision] whose embedded proxyhost.Verdict holds
// the header edits, the re-route request and the local reply) and filter.go
// (read the headers once, Decide, proxyhost.Writer.Apply, [Config.Count]).
// stream.go, compare.go and redact.go add the response and body callbacks the
// shadowtag-compare module exports.
//
// # Configuration
//
//	{"mode": "inbound" | "outbound" | "edge" | "auto" | "waypoint",         (default: auto)
//	 "detect":   {"hostSuffix": true, "shadowWorkload": false,
//	              "markerHeaders": [{"name": "x-mirror", "value": "optional exact value"}]},
//	 "inbound":  {"restoreHost": false, "baggage": true,
//	              "redact": {"headers": ["authorization"], "jsonFields": ["user.email", "items.#.card"], "mask": "redacted"}},
//	 "outbound": {"mutatingMethods": ["POST","PUT","PATCH","DELETE"],
//	              "allow": ["audit.prod.svc.cluster.local", "*.stubs.svc.cluster.local"],
//	              "action": "suppress" | "reroute",
//	              "response": {"status": 202, "headers": {...}, "body": "..."},
//	              "reroute":  {"header": "x-laneway-shadow-route", "value": "test-double"}},
//	 "compare":  {"role": "primary" | "secondary" | "candidate",                         (required)
//	              "collector": {"cluster": "outbound|8080||collector.laneway.svc.cluster.local",  (required)
//	                            "authority": "collector.laneway:8080",                      (required)
//	                            "path": "/v1/captures", "timeoutMs": 1000},
//	              "sampleRate": 1, "headers": ["content-type"], "bodyLimit": 4096,
//	              "service": "<plugin root id>", "batchSize": 32, "flushMs": 1000, "shards": 1}}
//
// # Compare captures (inbound, module shadowtag-compare)
//
// A workload of each role (primary: live; secondary: another live instance; candidate: the version under
// test, both mirror targets) reports sampled exchanges to the compare collector, which pairs them by
// x-request-id (Envoy keeps it on the mirrored copy). The wire format is {"captures":[{id, role, service,
// method, path, status, headers, body (base64 of the first bodyLimit bytes), bodyBytes, truncated, ts}]}.
//
//   - Sampling: FNV-1a (64-bit) of x-request-id modulo 1,000,000 below sampleRate×1,000,000. The hash is
//     unseeded and fully specified, so every role samples the same requests. A request without
//     x-request-id is not sampled; the primary skips shadow copies that reach it.
//   - The live exchange is never held: each response chunk is read (only up to bodyLimit) and continued at
//     once; the capture is complete at the response's end (end of stream or trailers) and queued in the
//     root context. Nothing is sent from a stream: the root context sends batches of batchSize on its
//     flushMs tick (each shard's captures, shard by shard) and, after an accepted batch, at once when
//     another full batch or a shard the tick found waiting is ready.
//   - Scale (shards): Envoy's dispatch_http_call hashes its request on :authority (Context::httpCall sets that
//     hash policy itself; the route's and DestinationRule's hash keys do not apply), and a batch holds many
//     request ids, so hashing on x-request-id cannot bring one request's captures together. The filter groups
//     captures by shard = (FNV1a64(x-request-id) >> 32) mod shards and sends each shard's batches with
//     :authority "<shard>.<authority>" (e.g. "3.laneway-compare.shop:8080"; with shards 1, the authority as
//     configured). A collector cluster with consistent hashing (Istio DestinationRule consistentHash; with
//     `maglev` Istio makes the cluster MAGLEV, otherwise RING_HASH; `laneway compare manifest` writes it)
//     maps a shard's :authority to one replica on every sidecar, so the captures of one request meet there
//     whatever their role. Use a few shards per replica (e.g. 4×replicas) for an even spread; more shards
//     mean smaller batches. shards > 1 needs a DNS-name authority.
//   - Bounds: at most (MaxQueuedBatches+shards-1)×batchSize captures and MaxQueueBytes (4 MiB) queued, at most
//     MaxInFlight (2) batches outstanding; beyond that captures are dropped. A failed batch (unknown
//     cluster, reset, timeout, non-2xx) is counted, not retried. Counters
//     laneway_shadowtag_compare_{sampled,sent,failed,dropped,incomplete}_total say what happened; the
//     collector's state changes are logged once each (warn when it fails, info when it recovers).
//   - The module: captures need the response callbacks, and Envoy calls every exported callback on every
//     stream, so they are exported only by the shadowtag-compare module (the same package, built with
//     them); the plain shadowtag module refuses a compare section and links none of this code.
//     Unsampled requests cost one hash of the x-request-id found by the one header pass and the empty
//     callbacks: in the Wasm build every stream starts on the plugin's one shared context and only a sampled
//     one switches to a context of its own; the flush tick runs only while captures wait
//     (BenchmarkCompareCost).
//
// # Redaction of shadow copies (inbound)
//
// On shadow copies only, the configured request headers are removed and, in the shadow-compare module, the
// values at the configured gjson paths of a JSON body are replaced by the mask (a JSON string). Live
// requests are never touched. Cost: a shadow copy with jsonFields configured has its content-length removed
// (the rewritten body's length is not known when the headers go on; the body travels chunked) and its body
// held in Envoy and in the VM until complete; a body over MaxRedactBody (1 MiB) is answered 413 rather than
// forwarded unmasked; a body that is not JSON is forwarded unchanged. laneway_shadowtag_redacted_total
// counts the shadow copies changed.
//
// # Design choices
//
//   - auto reads xds.listener_direction once per plugin, not per request: Envoy
//     takes the value from the plugin's listener and keys plugins (and so root
//     contexts) by name and traffic direction, so it cannot change under a
//     plugin. It is tried in OnPluginStart; Envoy (>= 1.33) answers it in
//     stream contexts only, so the first request usually reads it, once, and
//     logs the mode taken and why ("mode not set: inbound, taken from
//     xds.listener_direction=1"). When it is still unknown, requests pass
//     unchanged and one warning says to set the mode explicitly. A missing
//     mode is auto rather than an error: with Istio's default FAIL_OPEN a
//     filter that fails on_configure silently does nothing.
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
//   - Header edits go to the host through proxyhost.Writer (one call per edit,
//     or one replace of the whole header map for many), and only when there
//     is something to change; ordinary requests cost one get_header_map_pairs
//     and no allocation in the decision.
//   - Outcomes (passed, marked, suppressed, rerouted, stripped) are exclusive:
//     their counters add up to the requests seen; detected counts shadow
//     requests on inbound and outbound ([CounterNames]).
package shadowtag
