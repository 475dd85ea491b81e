// Package baggage parses and edits W3C baggage headers inside proxy-wasm
// filters, where it runs on every request, so it allocates as little as it can.
//
// # Grammar
//
// A header is a comma-separated list of members `key OWS "=" OWS value
// *(OWS ";" OWS property)`, where OWS is spaces and horizontal tabs only, key is
// an RFC 7230 token, value is zero or more baggage-octets (printable ASCII
// except space, `"`, `,`, `;` and `\`), and a property is `key` or
// `key OWS "=" OWS value`. Values may be empty and may contain `=`. Values are
// percent-decoded (no `+` to space); a `%` not followed by two hex digits makes
// the member malformed, and decoded bytes that are not valid UTF-8 become
// U+FFFD, one per invalid byte. Properties are validated the same way but kept
// as raw text: [Member.Properties] is everything after the first `;`. Empty
// list elements (`a=1,,b=2`, a trailing comma) are ignored, as RFC 7230 asks of
// list recipients, and are not counted as dropped. Keys are case-sensitive.
//
// Several `baggage` header values are one list, combined as if joined with ","
// in the order given. A malformed member is skipped and counted in
// [Baggage.Dropped]; the members around it are kept.
//
// # Limits
//
// W3C requires propagating everything up to [MaxMembers] members and
// [MaxBytes] bytes and allows dropping whole members beyond that. The limits
// apply to the combination of all header values: a well-formed member is kept
// only if fewer than MaxMembers members were kept before it and it ends (its
// last non-blank byte) within the first MaxBytes bytes of the combined,
// comma-joined text. A member straddling byte MaxBytes is dropped whole, as is
// everything after it; a member is never truncated. Malformed members do not
// count towards MaxMembers but their bytes do count towards MaxBytes, because
// the byte limit is about the text on the wire.
//
// # Duplicate keys
//
// W3C allows a key to appear more than once and does not say which occurrence
// wins; OpenTelemetry Go keeps the last one, other libraries keep the first.
// For routing, both are unsafe. With "last wins", anyone who can append to the
// list (a second `baggage` header, an application adding a member) overrides
// the value a trusted hop validated. With "first wins", an attacker appends
// `laneway-tenant=evil` after a validated `laneway-tenant=acme`: this filter
// routes on acme, but an OpenTelemetry application behind it reads evil and
// forwards only evil, so the next hop routes somewhere nobody validated.
// Therefore [Baggage.Get] and [Lookup] report a key as absent when its kept
// occurrences have different decoded values (the request then takes the
// baseline route), and return the value when all occurrences agree.
// [Baggage.At] still lists every occurrence. A trust boundary that accepts a
// value should rewrite the header with [RemoveKeys] followed by [AppendMember]
// so that exactly one occurrence travels on.
//
// # Differences from go.opentelemetry.io/otel/baggage
//
// The differential fuzz test checks that for every list member OpenTelemetry
// (v1.47) accepts, this package returns the same key, value and properties,
// except for these deliberate differences (each asserted by
// TestDifferencesFromOtel):
//
//   - Malformed members: both skip only the offending member and keep the
//     others (OpenTelemetry up to v1.40 dropped the whole header).
//   - Member limit: this package counts every kept occurrence towards
//     MaxMembers; OpenTelemetry counts distinct keys, so with duplicates it
//     keeps members at the end of the list that this package drops.
//   - Whitespace: OpenTelemetry trims any Unicode white space around keys and
//     values (`k=v\n`, `k=v` followed by U+00A0); this package only trims OWS
//     (space, tab) as the grammar says and rejects the member. Accepting
//     characters that other parsers ignore is how values get smuggled.
//   - Empty properties: OpenTelemetry accepts `k=v;` and `k=v;;p` but rejects
//     `k=v; ` and `k=v; ;p`; this package accepts all four, since blank
//     property elements carry nothing.
//   - Duplicate keys: OpenTelemetry keeps the last value; this package keeps all
//     occurrences and treats conflicting ones as absent (see above).
//   - Byte limit: OpenTelemetry's Parse returns empty baggage when one header
//     exceeds 8192 bytes, and its propagator drops all baggage when the
//     headers together do; this package keeps the whole members that end
//     within 8192 bytes of the original text, across all header values.
//   - Order: OpenTelemetry stores a map; this package keeps wire order.
package baggage
