package jsonunquote

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viaEncodingJSON is the behaviour being replaced: github.com/tidwall/pretty's parsestr ignores the error.
func viaEncodingJSON(s []byte) string {
	var str string
	_ = json.Unmarshal(s, &str)
	return str
}

var unquoteCases = []struct {
	name, in, want string
}{
	{"a plain string is copied", `"acme"`, "acme"},
	{"the empty string decodes to empty", `""`, ""},
	{"an escaped quote", `"a\"b"`, `a"b`},
	{"an escaped backslash", `"a\\b"`, `a\b`},
	{"an escaped slash", `"a\/b"`, "a/b"},
	{"backspace", `"\b"`, "\b"},
	{"form feed", `"\f"`, "\f"},
	{"newline", `"\n"`, "\n"},
	{"carriage return", `"\r"`, "\r"},
	{"tab", `"\t"`, "\t"},
	{"a \\u escape in lower-case hex", `"\u00e9"`, "é"},
	{"a \\u escape in upper-case hex", `"\u00E9"`, "é"},
	{"a \\u escape of NUL", `"\u0000"`, "\x00"},
	{"a surrogate pair makes one rune", `"\ud83d\ude00"`, "😀"},
	{"a lone high surrogate becomes U+FFFD", `"\ud83dx"`, "\uFFFDx"},
	{"a lone low surrogate becomes U+FFFD", `"\ude00"`, "\uFFFD"},
	{"a high surrogate before a non-surrogate escape keeps that escape", `"\ud83d\u0041"`, "\uFFFDA"},
	{"two high surrogates become two U+FFFD", `"\ud83d\ud83d"`, "\uFFFD\uFFFD"},
	{"a high surrogate before a bad escape is invalid", `"\ud83d\uZZZZ"`, ""},
	{"raw UTF-8 is copied", `"zürich ✓"`, "zürich ✓"},
	{"invalid UTF-8 bytes each become U+FFFD", "\"a\xff\xfeb\"", "a\uFFFD\uFFFDb"},
	{"a truncated UTF-8 sequence becomes U+FFFD", "\"\xe2\x9c\"", "\uFFFD\uFFFD"},
	{"surrounding JSON whitespace is allowed", " \t\r\n\"x\" \n", "x"},
	{"an unknown escape is invalid", `"\x41"`, ""},
	{"a short \\u escape is invalid", `"\u12"`, ""},
	{"a non-hex \\u escape is invalid", `"\u12g4"`, ""},
	{"a raw control byte is invalid", "\"a\nb\"", ""},
	{"a trailing backslash is invalid", `"abc\"`, ""},
	{"an unterminated string is invalid", `"abc`, ""},
	{"bytes after the string are invalid", `"a"b"`, ""},
	{"a second value after the string is invalid", `"a" "b"`, ""},
	{"a number is not a string", `12`, ""},
	{"null is not a string", `null`, ""},
	{"a lone quote is invalid", `"`, ""},
	{"empty input is invalid", ``, ""},
	{"non-JSON whitespace around the string is invalid", "\v\"x\"", ""},
}

func TestUnquoteDecodesJSONStringsExactlyLikeEncodingJSON(t *testing.T) {
	for _, tc := range unquoteCases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, viaEncodingJSON([]byte(tc.in)), "the table itself must describe encoding/json")
			assert.Equal(t, tc.want, unquoteJSONString([]byte(tc.in)))
		})
	}
}

func FuzzUnquoteMatchesEncodingJSON(f *testing.F) {
	for _, tc := range unquoteCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		assert.Equal(t, viaEncodingJSON(in), unquoteJSONString(in), "input %q", in)
	})
}
