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
// no tenant is accepted). With stripBaggage, only the accepted tenant travels on: it is the one tenant
// member of baggage (as baggageKeys[0]; baggage already holding exactly that member is left alone) and,
// if the request had the plain header, that header's only value. Every other tenant member is removed:
// the other members of baggageKeys in baggage (conflicting copies, members malformed to this parser or
// beyond the W3C limits, which another parser may still read), their tracestate members (if a configured
// carrier) and the ot-baggage-/uberctx- headers. A request whose tenant is not accepted loses all of
// those and every copy of the plain header, so later hops never see them. All callers through a
// trust-boundary plugin are treated as untrusted.
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
package tenantroute
