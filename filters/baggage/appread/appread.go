// Package appread models how the W3C baggage propagators of OpenTelemetry SDKs read a baggage header, so
// that tests can ask what an application behind a laneway filter would read (and forward on its next call).
// It is test support: no filter imports it.
//
// The models follow the SDKs' extract code, rule for rule, for the parts that decide which key and value an
// application sees (list splitting, validation, trimming, decoding); limits are left out where they only
// drop members. See filters/baggage/doc.go ("Keys as other propagators read them") for the sources.
package appread

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Member is one key/value pair as an application's propagator reads it.
type Member struct{ Key, Value string }

// Python reads the header as OpenTelemetry Python's W3CBaggagePropagator does: it splits on commas with
// surrounding spaces and tabs, skips empty and non-ASCII entries, splits each at the first '=', strips spaces
// and tabs, keeps pairs whose key is a token and whose value (the rest, properties included) is made of
// baggage octets, then reads both as unquote_plus(text).strip().
func Python(header string) []Member {
	var out []Member
	for _, e := range strings.Split(header, ",") {
		e = strings.Trim(e, " \t")
		if e == "" || !isASCII(e) {
			continue
		}
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			continue
		}
		k, v = strings.Trim(k, " \t"), strings.Trim(v, " \t")
		if !isToken(k) || !pythonValue(v) {
			continue
		}
		out = append(out, Member{PythonText(k), PythonText(v)})
	}
	return out
}

// PythonText is Python's unquote_plus(text).strip(): '+' becomes a space, `%XX` escapes are decoded as UTF-8
// (invalid sequences become U+FFFD, a '%' without two hex digits stays), then white space (str.isspace) is
// stripped from both ends.
func PythonText(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.TrimFunc(strings.ToValidUTF8(string(b), "\uFFFD"), pythonSpace)
}

// pythonSpace is Python's str.isspace for one rune.
func pythonSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// pythonValue is Python's _is_valid_value: the part before the first ';' is baggage octets, and every
// property after it is non-empty text without ';' or ',' (the property pattern's practical effect).
func pythonValue(v string) bool {
	parts := strings.Split(v, ";")
	for i := 0; i < len(parts[0]); i++ {
		c := parts[0][i]
		if c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	for _, p := range parts[1:] {
		if strings.Trim(p, " \t") == "" {
			return false
		}
	}
	return true
}

// JS reads the header as OpenTelemetry JS's W3CBaggagePropagator (@opentelemetry/core) does: it splits on
// commas, cuts properties at the first ';', splits at the first '=' (an entry starting with '=' is skipped),
// trims key and value with JavaScript's trim(), then decodes both with decodeURIComponent; an entry whose
// escapes are malformed or not UTF-8 is skipped. Keys are not validated.
func JS(header string) []Member {
	var out []Member
	for _, e := range strings.Split(header, ",") {
		if e == "" {
			continue
		}
		kv, _, _ := strings.Cut(e, ";")
		i := strings.IndexByte(kv, '=')
		if i <= 0 {
			continue
		}
		k, v := strings.TrimFunc(kv[:i], jsSpace), strings.TrimFunc(kv[i+1:], jsSpace)
		if k == "" {
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
