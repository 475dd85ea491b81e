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
// value should rewrite the header with [AppendSetMember] or [AppendSetKeys] so
// that exactly one occurrence per key travels on.
//
// # Keys as other propagators read them
//
// This parser compares keys byte for byte, as W3C says and as OpenTelemetry Go and
// Java do. The SDKs applications use do not all agree, and an application
// forwards what it read, re-encoded, on its next call:
//
//   - OpenTelemetry JS (@opentelemetry/core, parsePairKeyValue) trims key and
//     value with JavaScript's trim() and then decodes both with
//     decodeURIComponent: `laneway%2Dtenant=evil` is read, and forwarded, as
//     `laneway-tenant=evil`. Malformed escapes or non-UTF-8 drop the member.
//     Node hands header bytes over as Latin-1, so trim() also removes a raw
//     0xA0 byte around a key; such a key is not a token, and this parser drops
//     the member, so no boundary forwards it (checked against the real Node
//     app in testenv/apphop).
//   - OpenTelemetry Python (W3CBaggagePropagator.extract) checks that the raw key
//     is a token, then reads `unquote_plus(key).strip()`: `+` is a space, escapes
//     are decoded, and white space (str.isspace) is stripped after decoding, so
//     `laneway-tenant+`, `laneway-tenant%20` and `laneway-tenant%C2%A0` are all
//     `laneway-tenant`. It reads values the same way, properties included.
//   - OpenTelemetry Java (Parser/Element) trims spaces and tabs and never
//     decodes keys; OpenTelemetry Go (parseMember) trims Unicode white space
//     from the raw key and never decodes it either. Both re-emit keys as read.
//
// Every SDK encodes on output what it decoded on input, so a key is decoded
// at most once along a chain of applications (`laneway%252Dtenant` stays
// `laneway%252Dtenant` after JS or Python: decoded to `laneway%2Dtenant`,
// re-encoded). A filter that must be sure no application reads a protected
// key therefore compares keys after one normalisation that covers all four
// ([AppendNormalizedKey], compared without allocating by [KeyReadsAs]):
//
//  1. every `%XX` escape (two hex digits, either case) is decoded; a `%`
//     without two hex digits stays (Python keeps it; JS drops the member);
//  2. every `+`, literal or decoded, is read as a space (Python reads a
//     literal `+` as a space, JS reads it as `+`: folding both to a space on
//     both sides matches either reading, at the price of also matching
//     `a%20b` to a key `a+b`, a key nobody uses);
//  3. white space is trimmed from both ends, after decoding: the characters
//     Python's str.isspace accepts (\t \n \v \f \r, \x1c-\x1f, space, U+0085,
//     U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000),
//     plus U+FEFF, which JavaScript's trim removes (before decoding, so this
//     only widens the match).
//
// Keys stay case-sensitive: no SDK folds case. A raw key without `%`, `+` or
// white space normalises to itself, so the common case is one byte scan.
// [RemoveKeys], [AppendWithoutKeys], [AppendSetMember] and [AppendSetKeys]
// remove every member whose key reads as a listed key; [MayHoldKeys] is the
// cheap pre-check (the key's text, or a `%` or `+` in some key). Lookup and
// Get still match exactly: they decide what laneway's own sidecars read.
//
// # Adding a member
//
// A member is appended after a single comma, never after an empty list
// element: [AppendMemberTo] drops trailing blanks and commas first, and
// [AppendSetMember] forwards the headers byte for byte only when they are
// [Clean] (no blank value, no leading, trailing or doubled comma) and cannot
// hold a listed key; otherwise it writes the kept members joined by single
// commas, which also drops malformed members. So adding a member never makes a
// valid header invalid, and an invalid one comes out cleaned.
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
