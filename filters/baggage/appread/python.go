package appread

import (
	"net/http"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PythonServer says how a Python web server hands repeated headers to the propagators.
type PythonServer int

const (
	// WSGI servers (gunicorn, uWSGI, werkzeug: Django, Flask) join repeated headers with a comma
	// into one environ value, so the propagators see every baggage header as one string.
	WSGI PythonServer = iota
	// ASGI servers (uvicorn, hypercorn: FastAPI, Starlette) hand over every value; the baggage and
	// traceparent extractors read only the first (opentelemetry-python's _extract_first_element),
	// tracestate reads all.
	ASGI
)

// String names the server interface.
func (s PythonServer) String() string {
	if s == ASGI {
		return "ASGI"
	}
	return "WSGI"
}

// The regular expressions of opentelemetry-python (opentelemetry-api/src/opentelemetry/util/re.py and
// opentelemetry-api/src/opentelemetry/trace/span.py), written for Go's regexp.
var (
	pyBaggageKey      = regexp.MustCompile(`^[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+$`)
	pyBaggageValue    = regexp.MustCompile(`^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$`)
	pyBaggageProperty = regexp.MustCompile(`^(?:[ \t]*[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+[ \t]*=[ \t]*[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*[ \t]*|[ \t]*[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+[ \t]*)$`)
	pyDelimiter       = regexp.MustCompile(`[ \t]*,[ \t]*`)
	pyTraceparent     = regexp.MustCompile(`^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?[ \t]*$`)
	pyTracestateKey   = `(?:[a-z][_0-9a-z\-\*\/]{0,255}|[a-z0-9][_0-9a-z\-\*\/]{0,240}@[a-z][_0-9a-z\-\*\/]{0,13})`
	pyTracestateValue = `[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]`
	pyTracestateMem   = regexp.MustCompile(`^(` + pyTracestateKey + `)=(` + pyTracestateValue + `)[ \t]*$`)
	pyTracestatePair  = regexp.MustCompile(`^` + pyTracestateKey + `$`)
	pyTracestateVal   = regexp.MustCompile(`^` + pyTracestateValue + `$`)
)

// Limits of opentelemetry-python's W3CBaggagePropagator and TraceState.
const (
	pyMaxHeaderLength = 8192
	pyMaxPairLength   = 4096
	pyMaxPairs        = 180
	pyMaxTraceState   = 32
)

// PythonForward returns the propagation headers an app instrumented with opentelemetry-python injects on
// its next call, given the headers of the request it received: its W3CBaggagePropagator and
// TraceContextTextMapPropagator (the default composite) extract a context, and the same
// propagators inject it. It is a Go model of opentelemetry-api's
// baggage/propagation/__init__.py and trace/propagation/tracecontext.py:
//
//   - baggage: the (first, under ASGI) header is dropped whole above 8192 bytes; it is split on
//     commas with surrounding spaces and tabs; entries that are empty, not ASCII or longer than
//     4096 are skipped, and reading stops after 180 entries or 8192 bytes; an entry is split at
//     its first '=', its raw key must be a token and its raw value (up to the first ';') a
//     baggage value with valid properties after it; then key and value are each
//     unquote_plus(...).strip(): '+' is a space, %XX is decoded (UTF-8, invalid bytes replaced),
//     and surrounding Unicode whitespace is removed, properties staying part of the value. A
//     later entry of a key replaces an earlier one.
//   - inject: quote_plus(key) + "=" + quote_plus(value) per entry, joined with ",", under the
//     same limits.
//   - traceparent/tracestate: version 00 without extra fields, non-zero ids; tracestate is
//     parsed from every header and discarded whole on one invalid member, a duplicate key or
//     more than 32 members; both are injected only when the traceparent was valid.
func PythonForward(in http.Header, server PythonServer) http.Header {
	out := http.Header{}
	if entries := pyExtractBaggage(pyFirst(in.Values("baggage"), server)); len(entries) > 0 {
		encoded := make([]string, len(entries))
		for i, e := range entries {
			encoded[i] = pyQuotePlus(e.Key) + "=" + pyQuotePlus(e.Value)
		}
		if s := strings.Join(pyApplyLimits(encoded), ","); s != "" {
			out.Set("baggage", s)
		}
	}
	if tp, ok := pyExtractTraceparent(pyFirst(in.Values("traceparent"), server)); ok {
		out.Set("traceparent", tp)
		states := in.Values("tracestate")
		if server == WSGI && len(states) > 0 {
			states = []string{strings.Join(states, ",")}
		}
		if ts := pyTraceState(states); ts != "" {
			out.Set("tracestate", ts)
		}
	}
	return out
}

// Python returns the baggage members opentelemetry-python extracts from one baggage header value (what a
// WSGI app reads from all its baggage headers joined, an ASGI app from its first), in the order its dict
// keeps them: a later entry of a key replaces the value of the first. See PythonForward for the rules.
func Python(header string) []Member {
	return pyExtractBaggage(header)
}

// PythonText is urllib.parse.unquote_plus(text).strip(), what opentelemetry-python applies to a baggage
// key and value after validating them: see pyUnquotePlus and pyStrip.
func PythonText(s string) string { return pyStrip(pyUnquotePlus(s)) }

// pyFirst is the header value the server hands to an extractor reading one value.
func pyFirst(values []string, server PythonServer) string {
	if len(values) == 0 {
		return ""
	}
	if server == ASGI {
		return values[0]
	}
	return strings.Join(values, ",")
}

func pyExtractBaggage(header string) []Member {
	if header == "" || len(header) > pyMaxHeaderLength {
		return nil
	}
	var entries []Member
	for _, entry := range pyApplyLimits(pyDelimiter.Split(header, -1)) {
		name, value, ok := strings.Cut(entry, "=")
		if !ok || !pyValidPair(name, value) {
			continue
		}
		name = pyStrip(pyUnquotePlus(name))
		value = pyStrip(pyUnquotePlus(value))
		replaced := false
		for i := range entries {
			if entries[i].Key == name {
				entries[i].Value, replaced = value, true
				break
			}
		}
		if !replaced {
			entries = append(entries, Member{name, value})
		}
	}
	return entries
}

// pyApplyLimits is _apply_baggage_limits over _filter_valid_entries.
func pyApplyLimits(entries []string) []string {
	var out []string
	length := 0
	for _, e := range entries {
		if e == "" || !isASCII(e) || len(e) > pyMaxPairLength {
			continue
		}
		if len(out) >= pyMaxPairs {
			break
		}
		if len(out) > 0 {
			length++
		}
		length += len(e)
		if length > pyMaxHeaderLength {
			break
		}
		out = append(out, e)
	}
	return out
}

// pyValidPair is _is_valid_pair on the raw key and value.
func pyValidPair(key, value string) bool {
	if !pyBaggageKey.MatchString(key) {
		return false
	}
	parts := strings.Split(value, ";")
	if !pyBaggageValue.MatchString(parts[0]) {
		return false
	}
	for _, p := range parts[1:] {
		if !pyBaggageProperty.MatchString(p) {
			return false
		}
	}
	return true
}

// pyUnquotePlus is urllib.parse.unquote_plus: '+' becomes a space, %XX (two hex digits) a byte,
// anything else stays; the bytes are then read as UTF-8 with every invalid byte replaced by
// U+FFFD (Python replaces a maximal invalid subsequence; both rule out a match on a protected key).
func pyUnquotePlus(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // utf8.RuneError for an invalid byte, as errors="replace"
		b = b[n:]
	}
	return sb.String()
}

// pyStrip is str.strip(): Python's whitespace is Unicode White_Space plus the ASCII separators
// U+001C to U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) })
}

// pyQuotePlus is urllib.parse.quote_plus(s, safe=""): letters, digits and _.-~ stay, a space
// becomes '+', every other UTF-8 byte %XX in upper-case hex.
func pyQuotePlus(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-', c == '~':
			sb.WriteByte(c)
		case c == ' ':
			sb.WriteByte('+')
		default:
			sb.WriteByte('%')
			sb.WriteByte(hexDigits[c>>4])
			sb.WriteByte(hexDigits[c&15])
		}
	}
	return sb.String()
}

func pyExtractTraceparent(h string) (string, bool) {
	m := pyTraceparent.FindStringSubmatch(h)
	if m == nil || m[2] == strings.Repeat("0", 32) || m[3] == strings.Repeat("0", 16) {
		return "", false
	}
	if (m[1] == "00" && m[5] != "") || m[1] == "ff" {
		return "", false
	}
	return "00-" + m[2] + "-" + m[3] + "-" + m[4], true
}

// pyTraceState is TraceState.from_header(...).to_header().
func pyTraceState(headers []string) string {
	var keys, values []string
	for _, h := range headers {
		for _, member := range pyDelimiter.Split(h, -1) {
			if member == "" {
				continue
			}
			m := pyTracestateMem.FindStringSubmatch(member)
			if m == nil {
				return ""
			}
			for _, k := range keys {
				if k == m[1] {
					return ""
				}
			}
			keys, values = append(keys, m[1]), append(values, m[2])
		}
	}
	if len(keys) > pyMaxTraceState {
		return ""
	}
	parts := make([]string, 0, len(keys))
	for i := range keys {
		if pyTracestatePair.MatchString(keys[i]) && pyTracestateVal.MatchString(values[i]) {
			parts = append(parts, keys[i]+"="+values[i])
		}
	}
	return strings.Join(parts, ",")
}
