package pluginconfig

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Limits of the header and method readers.
const (
	MaxHeaderName = 128 // bytes of a header name
	MaxMethod     = 32  // bytes of a method name
	MaxMethods    = 16  // entries of a method list
)

// Reserved are the request and response headers the proxy owns: a filter never matches, sets or removes
// them by configuration (pseudo-headers such as :authority are not tokens, so HeaderName refuses them too).
var Reserved = []string{"host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "keep-alive", "proxy-connection"}

// headerNameRule says what HeaderName accepts.
const headerNameRule = "a header name: 1 to 128 letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token; upper case is folded to lower case)"

// HeaderName reads the JSON string v at field as a header name and returns it in lower case; names in
// Reserved and in extra (lower case) are refused.
func HeaderName(filter, field string, v gjson.Result, extra ...string) (string, error) {
	if v.Type != gjson.String || len(v.Str) > MaxHeaderName || !IsToken(v.Str) {
		allowed := headerNameRule
		if v.Type == gjson.String && strings.HasPrefix(v.Str, ":") {
			allowed += ", not a pseudo-header"
		}
		return "", &Error{Filter: filter, Field: field, Got: Describe(v), Allowed: allowed}
	}
	name := LowerASCII(v.Str)
	for _, r := range Reserved {
		if name == r {
			return "", reservedErr(filter, field, v, extra)
		}
	}
	for _, r := range extra {
		if name == r {
			return "", reservedErr(filter, field, v, extra)
		}
	}
	return name, nil
}

func reservedErr(filter, field string, v gjson.Result, extra []string) error {
	return &Error{Filter: filter, Field: field, Got: Describe(v),
		Allowed: "a header name other than " + strings.Join(Reserved, ", ") + " (the proxy owns them)" + extraText(extra)}
}

func extraText(extra []string) string {
	if len(extra) == 0 {
		return ""
	}
	return " and " + strings.Join(extra, ", ") + " (the filter sets them itself)"
}

// HeaderValue reads the JSON string v at field as a header value of minLen to maxLen bytes: visible ASCII
// and inner spaces, no leading or trailing space.
func HeaderValue(filter, field string, v gjson.Result, minLen, maxLen int) (string, error) {
	s := v.Str
	ok := v.Type == gjson.String && len(s) >= minLen && len(s) <= maxLen && (s == "" || s[0] != ' ' && s[len(s)-1] != ' ')
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= 0x20 && s[i] <= 0x7e
	}
	if !ok {
		return "", &Error{Filter: filter, Field: field, Got: Describe(v),
			Allowed: "a header value: " + strconv.Itoa(minLen) + " to " + strconv.Itoa(maxLen) + " visible ASCII characters and inner spaces"}
	}
	return s, nil
}

// HeaderMap reads the JSON object v at field as at most max header names (HeaderName, with extra) to
// values (HeaderValue, 0 to maxValue bytes), in document order; a name given twice, in any case, is
// refused.
func HeaderMap(filter, field string, v gjson.Result, max, maxValue int, extra ...string) ([][2]string, error) {
	allowed := "a JSON object of at most " + strconv.Itoa(max) + " header names to string values"
	if !v.IsObject() {
		return nil, &Error{Filter: filter, Field: field, Got: Describe(v), Allowed: allowed}
	}
	var out [][2]string
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		hp := join(field, k.Str)
		if len(out) == max {
			err = &Error{Filter: filter, Field: field, Got: "more than " + strconv.Itoa(max) + " headers", Allowed: allowed}
			return false
		}
		var name, value string
		if name, err = HeaderName(filter, hp, k, extra...); err != nil {
			return false
		}
		for _, h := range out {
			if h[0] == name {
				err = &Error{Filter: filter, Field: hp, Got: "the header a second time", Allowed: "each header name at most once (names are compared in lower case)"}
				return false
			}
		}
		if value, err = HeaderValue(filter, hp, val, 0, maxValue); err != nil {
			return false
		}
		out = append(out, [2]string{name, value})
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// methodsRule says what Methods accepts.
const methodsRule = `a non-empty array of at most 16 distinct HTTP method names, e.g. ["POST","PUT","PATCH","DELETE"]`

// Methods reads the JSON array v at field as HTTP method names: 1 to MaxMethods entries, each an RFC 7230
// token of at most MaxMethod bytes, returned upper-cased; a method given twice (in any case) is refused.
func Methods(filter, field string, v gjson.Result) ([]string, error) {
	ms, err := StringList(filter, field, v, MaxMethods, "an HTTP method name", func(f string, e gjson.Result) (string, error) {
		if e.Type != gjson.String || len(e.Str) > MaxMethod || !IsToken(e.Str) {
			return "", &Error{Filter: filter, Field: f, Got: Describe(e),
				Allowed: "an HTTP method name: 1 to 32 letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token; lower case is folded to upper case)"}
		}
		return foldASCII(e.Str, 'a', 'z'), nil
	})
	if err == nil && len(ms) == 0 {
		return nil, &Error{Filter: filter, Field: field, Got: Describe(v), Allowed: methodsRule}
	}
	return ms, err
}

// LowerASCII returns s with 'A'..'Z' in lower case, and s itself when it has none: the case fold for
// configured names, which are ASCII (header names, hosts). Unlike strings.ToLower it links no unicode tables,
// about 10 KB of a module.
func LowerASCII(s string) string { return foldASCII(s, 'A', 'Z') }

// foldASCII returns s with the letters lo..hi ('A'..'Z' or 'a'..'z') in the other case: an ASCII case fold for tokens, which are
// ASCII only (strings.ToLower and ToUpper would link unicode's case tables, about 10 KB per module). It
// returns s itself when nothing changes.
func foldASCII(s string, lo, hi byte) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= lo && s[i] <= hi {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= lo && b[j] <= hi {
					b[j] ^= 0x20 // the case bit of an ASCII letter
				}
			}
			return string(b)
		}
	}
	return s
}

// IsTokenChar reports whether c is an RFC 7230 tchar: a letter, a digit or one of !#$%&'*+-.^_`|~.
func IsTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// IsToken reports whether s is a non-empty RFC 7230 token (a valid header name).
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}
