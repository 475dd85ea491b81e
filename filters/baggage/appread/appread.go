// Package appread models how the W3C baggage propagators of OpenTelemetry SDKs read a baggage header, so
// that tests can ask what an application behind a laneway filter would read (and forward on its next call).
// It is test support: no filter imports it, and it imports nothing of laneway (testenv imports it).
//
// The models follow the SDKs' extract code, rule for rule, for the parts that decide which key and value an
// application sees (list splitting, validation, trimming, decoding). See filters/baggage/doc.go ("Keys as
// other propagators read them") for the sources.
//
//   - Python ([Python], [PythonText], [PythonForward]): the one model of opentelemetry-python in laneway,
//     limits, WSGI/ASGI header handling and re-injection included (python.go cites the source files).
//   - JS ([JS], [JSDecode]): a model for pure-Go tests (fuzz, filter unit tests); limits are left out
//     where they only drop members. Tests that can afford a process use the real Node app in
//     testenv/apphop, whose tests check this model against it key by key.
//   - Java ([Java]): keys as OpenTelemetry Java reads them.
package appread

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Member is one key/value pair as an application's propagator reads it.
type Member struct{ Key, Value string }

// JS reads the header as OpenTelemetry JS's W3CBaggagePropagator (@opentelemetry/core 2.x, parsePairKeyValue)
// does: Node hands the header over as Latin-1 text (every byte one character); it is split on commas,
// properties are cut at the first ';', each entry is split at its first '=' (an entry starting with '=' is
// skipped), key and value are trimmed with JavaScript's trim() and skipped when either is empty, then both
// are decoded with decodeURIComponent; an entry whose escapes are malformed or not UTF-8 is skipped. Keys are
// not validated. The result is UTF-8 (what encodeURIComponent re-injects, decoded).
func JS(header string) []Member {
	var out []Member
	for _, e := range strings.Split(latin1(header), ",") {
		if e == "" {
			continue
		}
		kv, _, _ := strings.Cut(e, ";")
		i := strings.IndexByte(kv, '=')
		if i <= 0 {
			continue
		}
		k, v := strings.TrimFunc(kv[:i], jsSpace), strings.TrimFunc(kv[i+1:], jsSpace)
		if k == "" || v == "" {
			continue
		}
		dk, ok1 := JSDecode(k)
		dv, ok2 := JSDecode(v)
		if !ok1 || !ok2 {
			continue
		}
		out = append(out, Member{dk, dv})
	}
	return out
}

// JSDecode is decodeURIComponent: `%XX` escapes decoded as UTF-8; false (JavaScript throws URIError) for a
// '%' without two hex digits or escapes that are not valid UTF-8.
func JSDecode(s string) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	if !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// latin1 returns s with every byte read as one Latin-1 character (how Node decodes header values), in UTF-8.
func latin1(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// jsSpace is the set String.prototype.trim removes: WhiteSpace and LineTerminator.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0xfeff, 0x2028, 0x2029:
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// Java reads the header as OpenTelemetry Java's W3CBaggagePropagator does for keys: a key is the text before
// '=' without surrounding spaces and tabs, made of printable ASCII other than separators; keys are never
// decoded. Values are returned as they appear (Java decodes them; callers comparing keys need not).
func Java(header string) []Member {
	var out []Member
	for _, e := range strings.Split(header, ",") {
		kv, _, _ := strings.Cut(e, ";")
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.Trim(k, " \t")
		if !isToken(k) {
			continue
		}
		out = append(out, Member{k, strings.Trim(v, " \t")})
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
