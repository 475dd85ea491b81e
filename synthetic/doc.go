// Package synthetic is the laneway filter for synthetic transactions: requests
// that exercise the full path, data stores included, and that the participating
// services roll back.
//
// # Marker
//
// A request is synthetic when it carries the marker header (default
// `x-laneway-synthetic`) and/or the marker baggage member (default
// `laneway-synthetic`). The header value is `1` or `1;id=<txid>` (spaces and
// tabs are allowed around `;` and at both ends); the baggage value is `<txid>`,
// or `1` for "synthetic, no id yet". A transaction id (txid) is 1 to 64
// characters of `A-Z a-z 0-9 _ -`. Any other value of a present marker still
// marks the request; it just carries no usable id. Header and baggage ids that
// disagree also count as "no usable id".
//
// When no usable id is present the filter generates one (32 hex characters from
// math/rand/v2; crypto/rand is not used because its first use arms a Go timer,
// which is fatal on Envoy 1.33 to 1.38), so that every hop logs the same id.
//
// # Normalised form
//
// Every request the filter lets through as synthetic leaves it with exactly one
// marker header, `x-laneway-synthetic: 1;id=<txid>`, and exactly one baggage
// member `laneway-synthetic=<txid>`. The header is what the application reads;
// the baggage member is what OpenTelemetry-instrumented applications forward on
// their own outbound calls, so the next hop sees the same id. The member
// always travels: in baggage already at W3C's limits (64 members, 8192 bytes)
// trailing members are dropped to make room, as W3C allows. Any other member
// of the marker key is removed, including those the parser drops (below);
// baggage whose one valid member is the only mention of the key is forwarded
// byte for byte.
//
// # Modes
//
// A configuration names its mode, or leaves it out: then the filter is inbound on an inbound listener and
// outbound on an outbound one, as Envoy's xds.listener_direction says (read once, at start or on the first
// request, and named in the start-up log line). An empty configuration, `{}`, is such a filter with no
// trusted source and no participant: inbound it strips every marker, outbound it refuses every synthetic
// write. A configuration without a mode may hold only "header" and "baggageKey": "trust" and the
// destination policy ("participants", "mutatingMethods", "refuse", "reroute", "ack") each apply in one
// direction only, so naming them requires naming the mode, and a configuration that does not is refused
// with an error saying so. Where the direction is neither (a gateway's listeners have none), a filter
// without a mode refuses every marked request, since it cannot tell which check applies, and warns once;
// edge and waypoint are never guessed.
//
//   - inbound (a participant's sidecar, inbound): a marker is accepted only
//     from a trusted source (below), then normalised for the application;
//     otherwise the marker header, the baggage member and the token header are
//     stripped and the request goes on as ordinary traffic. Baggage members
//     the parser drops (malformed, or beyond W3C's 64 members and 8192 bytes)
//     are not markers; when the marker key occurs among them, the baggage is
//     rewritten without them whoever the peer, since a laxer parser in the
//     application could still read a marker nobody checked.
//   - outbound (a caller's sidecar, outbound): the marker comes from the local
//     workload, whose own inbound filter already decided whether to trust it,
//     so no trust check is made here. A synthetic request with a mutating
//     method to a destination that is not declared rollback-capable is refused
//     with a local reply (or rerouted to a stub with a routing header);
//     methods compare ASCII case-insensitively (`post` is mutating). Reads
//     pass. Mutating calls to participants may be required to answer with an
//     acknowledgement header.
//   - edge (an ingress gateway): both: the trust check of inbound and the
//     destination policy of outbound.
//
// At inbound and edge a baggage member counts as a marker member when any
// common propagator reads its key as the marker key (`laneway%2Dsynthetic`,
// `laneway-synthetic+`: see filters/baggage, "Keys as other propagators read
// them"); untrusted ones are stripped, and next to an accepted marker only the
// normalised member travels. ot-baggage-/uberctx- headers of the marker key are
// always removed there: the marker travels in the header and in W3C baggage.
//
// # Trust
//
// A marker is trusted when either
//   - the downstream mTLS peer identity is listed: the filter reads the
//     `connection.uri_san_peer_certificate` property (Envoy's attribute for
//     the peer's URI SAN, i.e. the SPIFFE id in Istio) and, if the host does
//     not have it, `source.principal`. Properties are read only for requests
//     that carry a marker and no valid token. Entries match exactly, or by
//     prefix when they end in `*`; or
//   - the request carries a valid token in the token header (default
//     `x-laneway-synthetic-token`). The token is
//     `v2.<expiry>.<txid>.<mac>` where expiry is Unix seconds and mac is the
//     lowercase hex HMAC-BLAKE2s-256 (RFC 2104 HMAC over BLAKE2s-256) of `v2.<expiry>.<txid>` under the configured
//     secret (see [MintToken]). It is valid until expiry plus the allowed
//     clock skew, and is refused when it expires further in the future than
//     the configured maximum lifetime. The token's txid becomes the
//     transaction id; a marker carrying a different id is not trusted.
//
// The token header is always removed at inbound and edge, so the credential
// never reaches an application or its logs.
//
// The HMAC secret is read from the plugin configuration. In Istio the plugin
// configuration lives in the WasmPlugin resource, so whoever may read
// WasmPlugins in that namespace may read the secret: restrict that with RBAC,
// and rotate the secret by deploying a new configuration. (Envoy also gives
// the VM the variables listed in `vmConfig.env` through WASI environ_get; a
// later version may read the secret from there.)
//
// # Layout
//
// config.go reads the configuration into an immutable Config (ParseConfig, WithDirection, Summary).
// decide.go is the request path as a pure function: Config.Decide reads the request headers once and
// leaves in a Decision the complete effect on them, as proxyhost edits, the local reply of a refusal and
// whether Envoy must select the route again (reroute); it calls no host function. The two facts it may need
// beyond the headers, the peer identity and the time, cost host calls, so it asks for them (Decision.Need)
// only when a marked request needs them, and Continue finishes the decision once the caller read them
// (Config.ReadFacts). filter.go is the proxy-wasm wiring: read the headers, decide, write the verdict with
// proxyhost.Writer, count (count.go), and check the acknowledgement on the response (ack.go).
//
// # Metrics and logs
//
// Counters are named `laneway_synthetic_<outcome>_total` with outcomes
// accepted (a marker passed the trust check), stripped (an untrusted marker, or
// the marker key in baggage members the parser drops, was removed), passed, refused and rerouted (the destination policy), acked and
// ack_missing (acknowledgements of mutating calls to participants). Other
// requests without a marker are not counted, so they cost no metric host call. The
// configuration is logged once at start; per-request logs are at debug level,
// except the first missing acknowledgement of a plugin, logged at warn with
// its transaction id.
package synthetic
