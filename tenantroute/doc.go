// Package tenantroute routes a request tagged with a tenant to that tenant's sandbox of a service.
//
// The filter runs where routing happens: the caller's outbound sidecar or the ingress gateway. It reads
// every request header once, finds the tenant, validates it and writes it to a dedicated header
// (default x-laneway-tenant) that Istio VirtualServices match with `exact`; every copy of that header
// already on the request is removed first. Changing request headers makes Envoy re-match the route for
// ABI <= 0.2.1 modules; the filter also calls the clear_route_cache foreign function (Envoy >= 1.33)
// and, if the host lacks it, stops trying.
//
// # Where the tenant comes from
//
// Sources are tried in this order, and the first one present with a non-empty value decides (a
// malformed higher-priority value is not replaced by a lower-priority one):
//
//  1. baggage members, for each of baggageKeys in order (default laneway-tenant, then Signadot's
//     sd-routing-key); all `baggage` headers are one list; a key whose copies disagree is absent;
//  2. the configured carriers, in their configured order, each for every baggage key: a tracestate
//     member `<key>=<value>`, an `ot-baggage-<key>` or an `uberctx-<key>` header (first copy);
//  3. the plain header, if configured (first copy).
//
// A tenant is valid when it is a DNS label (1-63 of a-z, 0-9, '-', alphanumeric at both ends), or, with
// a custom pattern (a glob in path.Match syntax, e.g. "pr-[0-9]*"; a glob rather than a regular
// expression because Go's regexp adds half a megabyte to the module), when the whole value matches it and is 1-253 characters of A-Z a-z 0-9 - . _ ~ (a
// pattern can narrow that alphabet, never widen it, so a tenant is always safe in a header, in baggage
// and in a log line). With an allow list, only listed tenants are routed. Rejected values go to
// baseline, increment the invalid counter and are logged once per value, for at most invalidLogLimit
// distinct values (each remembered by its first 64 bytes).
//
// A tenant accepted from anything but baggage is also written to baggage (as baggageKeys[0], after
// removing the other tenant members) so that it keeps travelling through OpenTelemetry-instrumented apps.
//
// # Trust boundary (ingress gateway)
//
// With trustBoundary, every client-set header starting with stripHeaderPrefix (default x-laneway-) and
// the output header are removed, and a tenant is accepted only if the allow list names it (no allow list:
// no tenant is accepted). All callers through a trust-boundary plugin are treated as untrusted.
//
// A trust boundary strips by default (stripBaggage defaults to trustBoundary): it removes every client
// copy of a tenant key from every carrier laneway knows, whether or not it is configured to read that
// carrier: baggage members, tracestate members, ot-baggage-<key> and uberctx-<key> headers, headers
// named after a key (`sd-routing-key: x`) and the plain header. A copy counts when any common propagator
// would read its key as one of baggageKeys: OpenTelemetry JS and Python decode keys (`laneway%2Dtenant`,
// `laneway-tenant+`, `laneway-tenant%20`), so the comparison follows filters/baggage's key normalisation
// ("Keys as other propagators read them"). Members this parser drops (malformed, beyond the W3C limits)
// go too, since a laxer parser may still read them. `"stripBaggage": false` keeps rejected members for
// later hops, where they route; it is an explicit, unsafe choice and start-up logs a warning.
//
// The accepted tenant travels on in every carrier it arrived in, holding the accepted value, so that
// redundant propagation (Signadot's browser extension sends the key in baggage, tracestate,
// ot-baggage-sd-routing-key and uberctx-sd-routing-key) keeps working past the gateway: per carrier and
// key, the first copy spelled exactly as the key keeps its place and holds the tenant (its bytes when they
// already say so; properties dropped), and every other copy of that key, and every copy whose key only
// decodes to a tenant key, is removed. The key name is preserved as the client spelled it in that carrier
// (sd-routing-key stays sd-routing-key); header carriers keep one header of that name. Baggage always holds
// the tenant as baggageKeys[0] as well (appended when it did not arrive there), since that is what
// laneway's own sidecars read first. Carriers and keys the tenant did not arrive in stay empty.
//
// # Workload tenancy
//
// With workloadTenant, an outbound request that carries no accepted tenant gets that tenant, both in the
// output header and as a baggage member.
//
// # Metrics and logs
//
// Counters laneway_tenantroute_<outcome>_total count requests: routed, baseline, injected (each request
// is exactly one of those), invalid (a tenant value was rejected) and stripped (the trust boundary
// removed something). Start-up logs the effective configuration at info; a bad configuration fails
// on_configure with a critical log naming the field. Nothing is logged per request above debug.
//
// # Layout
//
// The package has the shape of every laneway filter: config.go parses the plugin configuration into an
// immutable Config (ParseConfig, Summary); decide.go holds Config.Decide, which turns a request's header
// pairs into a Decision (outcome, tenant, and a proxyhost.Verdict of header edits) without calling the host;
// filter.go wires the proxy-wasm callbacks: read headers once, Decide, proxyhost.Writer.Apply, Config.Count.
// CounterNames and Count let a module that runs several roles count with the same metric names.
package tenantroute
