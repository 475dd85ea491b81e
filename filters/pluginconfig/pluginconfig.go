// Package pluginconfig is the one configuration vocabulary of the laneway filters: typed readers that turn
// a JSON plugin configuration into Go values strictly, each kind of value read by one rule, every refusal an
// *Error in one format ("<filter> config: field "<path>": got <received>; allowed: <what is accepted>").
//
// The rules, one per kind:
//   - Document: empty or all-blank input (and an absent configuration) is {}; text that is not JSON, and
//     JSON that is not an object, is refused. The received text is never echoed (it may hold a secret).
//   - Object: a JSON object whose member names are among the allowed ones, each at most once; unknown
//     and repeated names are refused, so {"allow":["a"],"allow":["b"]} is an error, never ["b"].
//   - Missing: a required field left out is refused as "got nothing", with what it takes.
//   - HeaderMap: a JSON object of header names to header values, by the two rules below, each name at
//     most once after case folding.
//   - List: a JSON array of at most a given number of entries; StringList: the same, of strings, each
//     checked by the caller's reader, no entry twice (compared after the reader normalised it).
//   - Bool: JSON true or false; nothing else ("true", 1 and null are refused).
//   - Enum: a JSON string spelled exactly (case-sensitive) as one of the enum's names; the values are
//     1, 2, 3... in the order of the names, and 0 is the zero value, named "unset".
//   - String: a JSON string of at most a given number of bytes that the caller's check accepts.
//   - Uint, Status: a JSON number written as decimal digits only (no sign, fraction or exponent) within a
//     range; a status is also within 200..599.
//   - Duration: a JSON string in Go's duration syntax ("250ms", "30s", "1h") within a range.
//   - HeaderName: an RFC 7230 token of 1 to 128 bytes; upper case is accepted and folded to lower case;
//     refused: the names the proxy owns (Reserved: host, content-length, transfer-encoding, connection,
//     te, upgrade, keep-alive, proxy-connection; pseudo-headers are not tokens) and any extra names
//     the filter passes.
//   - HeaderValue: visible ASCII (0x21-0x7e) with inner spaces, no leading or trailing space, within a
//     length range.
//   - Methods: a non-empty JSON array of at most MaxMethods HTTP method names, each an RFC 7230 token of
//     at most 32 bytes, upper-cased, none twice (after upper-casing).
//
// It is pure Go on gjson and compiles for wasip1; it is linked into every filter module, so it stays small:
// no fmt, no reflect, no encoding/json, no unicode case tables (tokens are folded as ASCII). Native code
// that reads a whole configuration file into tagged structs uses testenv/configdoc.Decode, which reports
// this package's Error.
package pluginconfig

import (
	"strconv"

	"github.com/tidwall/gjson"
)

// Error is one invalid field of a plugin configuration: which filter, which field, what was received and
// what is allowed.
type Error struct {
	Filter  string // the filter whose configuration this is, e.g. "tenantroute"
	Field   string // JSON path of the field, e.g. "allow[2]"; "" for the document itself
	Got     string // what was received, e.g. Describe(v) or "an unknown field"
	Allowed string // what would be accepted
}

// Error renders e on one line: `<filter> config: field "<path>": got <got>; allowed: <allowed>`.
func (e *Error) Error() string {
	f := e.Field
	if f == "" {
		f = "(document)"
	}
	return e.Filter + " config: field " + strconv.Quote(f) + ": got " + e.Got + "; allowed: " + e.Allowed
}

// maxRaw bounds how much of a received value Describe shows.
const maxRaw = 80

// Describe renders a received JSON value for an error message: its kind and its text, shortened to
// about 80 bytes; "nothing" when the value is absent.
func Describe(v gjson.Result) string {
	if !v.Exists() {
		return "nothing"
	}
	raw := trimBlank(v.Raw)
	if len(raw) > maxRaw {
		raw = raw[:maxRaw-3] + "..."
	}
	switch v.Type {
	case gjson.String:
		return "string " + raw
	case gjson.Number:
		return "number " + raw
	case gjson.True, gjson.False:
		return "boolean " + raw
	case gjson.Null:
		return "null"
	}
	if v.IsArray() {
		return "array " + raw
	}
	return "object " + raw
}

// trimBlank returns s without leading and trailing JSON whitespace (space, tab, CR, LF); unlike
// strings.TrimSpace it links no unicode tables.
func trimBlank(s string) string {
	for s != "" && isBlank(s[0]) {
		s = s[1:]
	}
	for s != "" && isBlank(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// QuoteList renders strings for a message as fmt's %q does (["a" "b\n"]) without fmt, which the filter
// modules do not link (see packager/wasmbuild).
func QuoteList(xs []string) string {
	b := []byte{'['}
	for i, x := range xs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendQuote(b, x)
	}
	return string(append(b, ']'))
}
