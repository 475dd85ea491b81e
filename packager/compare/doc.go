// Package compare is laneway's response-comparison collector (Diffy's idea inside the mesh):
// it receives the responses shadowtag captures for the primary, secondary and candidate copies
// of a request (POST /v1/captures, the wire format agreed with shadowtag's compare capture),
// pairs them by request id, learns per endpoint which fields differ between primary and
// secondary (noise), and reports the fields in which the candidate differs more often than that.
//
// Replicas. Counts are additive, so reports merge exactly (Merge sums counts and recomputes
// rates). `laneway compare report --collector URL...` is the merge point; the web page shows the
// replica that serves it, merged with the replicas given to `serve --peer` (GET ...?scope=all).
// Retained pairs live in one replica; the page asks the peers for a pair it does not hold.
//
// Routing captures to replicas. The DestinationRule `laneway compare manifest` writes hashes
// routed requests on x-request-id. A Wasm dispatch_http_call does not use that hash policy:
// Envoy hashes it on the call's :authority. With one configured authority every sidecar sends
// every capture to the same replica, which keeps pairing right but puts all load on it. To
// spread load, the capture side must send one batch per shard (shard = hash(request id) mod N)
// with an :authority that names the shard; the collector accepts any batch either way.
//
// Memory. Retention is bounded by count (Options.MaxPairs) and age (Options.MaxAge); the
// statistics by MaxEndpoints and MaxFields. BenchmarkRetainedPairMemory measures bytes per
// retained pair.
package compare
