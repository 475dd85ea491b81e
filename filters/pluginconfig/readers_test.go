package pluginconfig

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// value returns the JSON text js as the value of a field; "" is an absent field.
func value(js string) gjson.Result {
	if js == "" {
		return gjson.Result{}
	}
	return gjson.Get(`{"v":`+js+`}`, "v")
}

// readCase is one input of a reader: the JSON text of the field ("" = absent) and either the value read
// or the whole error message.
type readCase struct {
	name string
	json string
	want any
	err  string
}

// runReader runs cases through read, which reads field "f" of filter "x".
func runReader(t *testing.T, cases []readCase, read func(v gjson.Result) (any, error)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(value(tc.json))
			if tc.err != "" {
				require.Error(t, err)
				var e *Error
				require.True(t, errors.As(err, &e), "error %v is an *Error", err)
				assert.Equal(t, "x", e.Filter)
				assert.Equal(t, tc.err, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// badKinds are the JSON kinds a reader of kind except refuses, with how Describe shows them.
func badKinds(except string, allowed string) []readCase {
	all := []struct{ kind, json, got string }{
		{"string", `"s"`, `string "s"`},
		{"number", `7`, "number 7"},
		{"true", `true`, "boolean true"},
		{"false", `false`, "boolean false"},
		{"null", `null`, "null"},
		{"array", `["s"]`, `array ["s"]`},
		{"object", `{"s":1}`, `object {"s":1}`},
		{"absent", ``, "nothing"},
	}
	var out []readCase
	for _, k := range all {
		if k.kind == except || except == "boolean" && (k.kind == "true" || k.kind == "false") {
			continue
		}
		out = append(out, readCase{name: "a JSON " + k.kind, json: k.json, err: `x config: field "f": got ` + k.got + "; allowed: " + allowed})
	}
	return out
}

func TestBoolReadsOnlyJSONTrueAndFalse(t *testing.T) {
	cases := []readCase{
		{name: "true", json: `true`, want: true},
		{name: "false", json: `false`, want: false},
		{name: "the string true", json: `"true"`, err: `x config: field "f": got string "true"; allowed: true or false`},
		{name: "the number 1", json: `1`, err: `x config: field "f": got number 1; allowed: true or false`},
	}
	cases = append(cases, badKinds("boolean", "true or false")...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return Bool("x", "f", v) })
}

func TestEnumReadsExactSpellingsAsOneBasedValues(t *testing.T) {
	modes := Enum{"inbound", "outbound", "edge"}
	const allowed = `one of "inbound", "outbound", "edge"`
	cases := []readCase{
		{name: "the first name is 1", json: `"inbound"`, want: 1},
		{name: "the last name is len", json: `"edge"`, want: 3},
		{name: "another case", json: `"Inbound"`, err: `x config: field "f": got string "Inbound"; allowed: ` + allowed},
		{name: "unset is not a name", json: `"unset"`, err: `x config: field "f": got string "unset"; allowed: ` + allowed},
		{name: "an empty string", json: `""`, err: `x config: field "f": got string ""; allowed: ` + allowed},
		{name: "surrounding blanks", json: `" edge"`, err: `x config: field "f": got string " edge"; allowed: ` + allowed},
		{name: "an index", json: `1`, err: `x config: field "f": got number 1; allowed: ` + allowed},
	}
	cases = append(cases, badKinds("string", allowed)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return modes.Read("x", "f", v) })
}

func TestEnumNameSaysUnsetForZeroAndUnknownBeyondTheNames(t *testing.T) {
	modes := Enum{"inbound", "outbound"}
	for n, want := range map[int]string{0: "unset", 1: "inbound", 2: "outbound", 3: "unknown", -1: "unknown"} {
		assert.Equal(t, want, modes.Name(n), "%d", n)
	}
	assert.Equal(t, "unset", Enum(nil).Name(0))
	assert.Equal(t, `one of "a \"q\""`, Enum{`a "q"`}.Allowed())
}

func TestStringReadsBoundedStringsTheCheckAccepts(t *testing.T) {
	nonEmpty := func(s string) bool { return s != "" }
	const allowed = "a name of 1 to 4 bytes"
	cases := []readCase{
		{name: "a string", json: `"abc"`, want: "abc"},
		{name: "exactly the limit", json: `"abcd"`, want: "abcd"},
		{name: "an escaped string is unescaped", json: `"a\u0062"`, want: "ab"},
		{name: "one byte too long", json: `"abcde"`, err: `x config: field "f": got string "abcde"; allowed: ` + allowed},
		{name: "the check refuses", json: `""`, err: `x config: field "f": got string ""; allowed: ` + allowed},
	}
	cases = append(cases, badKinds("string", allowed)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return String("x", "f", v, 4, allowed, nonEmpty) })
	s, err := String("x", "f", value(`""`), 4, allowed, nil)
	require.NoError(t, err, "a nil check accepts any string")
	assert.Empty(t, s)
}

func TestUintReadsDecimalIntegersInRange(t *testing.T) {
	const allowed = "an integer from 1 to 4096"
	cases := []readCase{
		{name: "the low end", json: `1`, want: uint64(1)},
		{name: "the high end", json: `4096`, want: uint64(4096)},
		{name: "below", json: `0`, err: `x config: field "f": got number 0; allowed: ` + allowed},
		{name: "above", json: `4097`, err: `x config: field "f": got number 4097; allowed: ` + allowed},
		{name: "negative", json: `-1`, err: `x config: field "f": got number -1; allowed: ` + allowed},
		{name: "a fraction", json: `2.5`, err: `x config: field "f": got number 2.5; allowed: ` + allowed},
		{name: "an integral fraction", json: `2.0`, err: `x config: field "f": got number 2.0; allowed: ` + allowed},
		{name: "an exponent", json: `1e3`, err: `x config: field "f": got number 1e3; allowed: ` + allowed},
		{name: "beyond 64 bits", json: `18446744073709551616`, err: `x config: field "f": got number 18446744073709551616; allowed: ` + allowed},
		{name: "a numeric string", json: `"12"`, err: `x config: field "f": got string "12"; allowed: ` + allowed},
	}
	cases = append(cases, badKinds("number", allowed)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return Uint("x", "f", v, 1, 4096) })
	n, err := Uint("x", "f", value(`18446744073709551615`), 0, ^uint64(0))
	require.NoError(t, err)
	assert.Equal(t, ^uint64(0), n)
}

func TestStatusReadsIntegersInTheFilterRangeWithin200To599(t *testing.T) {
	const anyStatus = "an integer HTTP status from 200 to 599"
	cases := []readCase{
		{name: "200", json: `200`, want: uint32(200)},
		{name: "599", json: `599`, want: uint32(599)},
		{name: "199", json: `199`, err: `x config: field "f": got number 199; allowed: ` + anyStatus},
		{name: "a 1xx", json: `100`, err: `x config: field "f": got number 100; allowed: ` + anyStatus},
		{name: "600", json: `600`, err: `x config: field "f": got number 600; allowed: ` + anyStatus},
		{name: "a fraction", json: `202.5`, err: `x config: field "f": got number 202.5; allowed: ` + anyStatus},
		{name: "an exponent", json: `2e2`, err: `x config: field "f": got number 2e2; allowed: ` + anyStatus},
		{name: "a string", json: `"202"`, err: `x config: field "f": got string "202"; allowed: ` + anyStatus},
	}
	cases = append(cases, badKinds("number", anyStatus)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return Status("x", "f", v, MinStatus, MaxStatus) })

	const refusals = "an integer HTTP status from 400 to 599"
	runReader(t, []readCase{
		{name: "a filter range", json: `403`, want: uint32(403)},
		{name: "below a filter range", json: `302`, err: `x config: field "f": got number 302; allowed: ` + refusals},
	}, func(v gjson.Result) (any, error) { return Status("x", "f", v, 400, 599) })

	runReader(t, []readCase{
		{name: "a wider range is clamped", json: `100`, err: `x config: field "f": got number 100; allowed: an integer HTTP status from 200 to 599`},
		{name: "a clamped range still reads", json: `204`, want: uint32(204)},
	}, func(v gjson.Result) (any, error) { return Status("x", "f", v, 0, 1000) })
}

func TestDurationReadsGoDurationStringsInRange(t *testing.T) {
	const allowed = `a duration from 1s to 5m0s such as "30s", "250ms" or "1h"`
	cases := []readCase{
		{name: "seconds", json: `"30s"`, want: 30 * time.Second},
		{name: "compound", json: `"1m30s"`, want: 90 * time.Second},
		{name: "the low end", json: `"1000ms"`, want: time.Second},
		{name: "the high end", json: `"5m"`, want: 5 * time.Minute},
		{name: "below", json: `"999ms"`, err: `x config: field "f": got string "999ms"; allowed: ` + allowed},
		{name: "above", json: `"301s"`, err: `x config: field "f": got string "301s"; allowed: ` + allowed},
		{name: "negative", json: `"-5s"`, err: `x config: field "f": got string "-5s"; allowed: ` + allowed},
		{name: "no unit", json: `"30"`, err: `x config: field "f": got string "30"; allowed: ` + allowed},
		{name: "not a duration", json: `"soon"`, err: `x config: field "f": got string "soon"; allowed: ` + allowed},
		{name: "empty", json: `""`, err: `x config: field "f": got string ""; allowed: ` + allowed},
		{name: "a number of seconds", json: `30`, err: `x config: field "f": got number 30; allowed: ` + allowed},
	}
	cases = append(cases, badKinds("string", allowed)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return Duration("x", "f", v, time.Second, 5*time.Minute) })
}

func TestHeaderNameFoldsCaseAndRefusesNonTokensAndReservedNames(t *testing.T) {
	const rule = "a header name: 1 to 128 letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token; upper case is folded to lower case)"
	reserved := "a header name other than host, content-length, transfer-encoding, connection, te, upgrade, keep-alive, proxy-connection (the proxy owns them)"
	long := strings.Repeat("h", 128)
	cases := []readCase{
		{name: "lower case", json: `"x-laneway-tenant"`, want: "x-laneway-tenant"},
		{name: "upper case is folded", json: `"X-Laneway-Tenant"`, want: "x-laneway-tenant"},
		{name: "every token character", json: "\"a0!#$%&'*+-.^_`|~\"", want: "a0!#$%&'*+-.^_`|~"},
		{name: "128 bytes", json: `"` + long + `"`, want: long},
		{name: "129 bytes", json: `"` + long + `h"`, err: `x config: field "f": got string "` + long[:76] + `...; allowed: ` + rule},
		{name: "empty", json: `""`, err: `x config: field "f": got string ""; allowed: ` + rule},
		{name: "a space", json: `"x a"`, err: `x config: field "f": got string "x a"; allowed: ` + rule},
		{name: "a colon", json: `"x:a"`, err: `x config: field "f": got string "x:a"; allowed: ` + rule},
		{name: "non-ASCII", json: `"é"`, err: `x config: field "f": got string "é"; allowed: ` + rule},
		{name: "a pseudo-header", json: `":authority"`, err: `x config: field "f": got string ":authority"; allowed: ` + rule + ", not a pseudo-header"},
		{name: "host", json: `"host"`, err: `x config: field "f": got string "host"; allowed: ` + reserved + " and baggage (the filter sets them itself)"},
		{name: "Host in upper case", json: `"Host"`, err: `x config: field "f": got string "Host"; allowed: ` + reserved + " and baggage (the filter sets them itself)"},
		{name: "content-length", json: `"Content-Length"`, err: `x config: field "f": got string "Content-Length"; allowed: ` + reserved + " and baggage (the filter sets them itself)"},
		{name: "an extra reserved name", json: `"BAGGAGE"`, err: `x config: field "f": got string "BAGGAGE"; allowed: ` + reserved + " and baggage (the filter sets them itself)"},
	}
	for _, r := range Reserved {
		cases = append(cases, readCase{name: "reserved " + r, json: `"` + r + `"`,
			err: `x config: field "f": got string "` + r + `"; allowed: ` + reserved + " and baggage (the filter sets them itself)"})
	}
	cases = append(cases, badKinds("string", rule)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return HeaderName("x", "f", v, "baggage") })

	runReader(t, []readCase{
		{name: "without extra names baggage is a header", json: `"baggage"`, want: "baggage"},
		{name: "without extra names the message lists only the proxy's", json: `"te"`, err: `x config: field "f": got string "te"; allowed: ` + reserved},
	}, func(v gjson.Result) (any, error) { return HeaderName("x", "f", v) })
}

func TestHeaderValueAcceptsVisibleASCIIWithInnerSpacesInTheLengthRange(t *testing.T) {
	const rule = "a header value: 1 to 8 visible ASCII characters and inner spaces"
	cases := []readCase{
		{name: "a word", json: `"stub"`, want: "stub"},
		{name: "inner spaces", json: `"a b c"`, want: "a b c"},
		{name: "every visible kind", json: `"!~\"\\09Az"`, want: `!~"\09Az`},
		{name: "the high end", json: `"12345678"`, want: "12345678"},
		{name: "too long", json: `"123456789"`, err: `x config: field "f": got string "123456789"; allowed: ` + rule},
		{name: "empty below minLen", json: `""`, err: `x config: field "f": got string ""; allowed: ` + rule},
		{name: "a leading space", json: `" a"`, err: `x config: field "f": got string " a"; allowed: ` + rule},
		{name: "a trailing space", json: `"a "`, err: `x config: field "f": got string "a "; allowed: ` + rule},
		{name: "a tab", json: `"a\tb"`, err: `x config: field "f": got string "a\tb"; allowed: ` + rule},
		{name: "a newline", json: `"a\nb"`, err: `x config: field "f": got string "a\nb"; allowed: ` + rule},
		{name: "a NUL", json: `"a\u0000"`, err: `x config: field "f": got string "a\u0000"; allowed: ` + rule},
		{name: "DEL", json: `"a\u007f"`, err: `x config: field "f": got string "a\u007f"; allowed: ` + rule},
		{name: "non-ASCII", json: `"é"`, err: `x config: field "f": got string "é"; allowed: ` + rule},
	}
	cases = append(cases, badKinds("string", rule)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return HeaderValue("x", "f", v, 1, 8) })
	s, err := HeaderValue("x", "f", value(`""`), 0, 8)
	require.NoError(t, err, "minLen 0 accepts the empty value")
	assert.Empty(t, s)
}

func TestMethodsUpperCasesAndRefusesDuplicatesEmptyAndLongLists(t *testing.T) {
	const list = `a non-empty array of at most 16 distinct HTTP method names, e.g. ["POST","PUT","PATCH","DELETE"]`
	const entry = "an HTTP method name: 1 to 32 letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token; lower case is folded to upper case)"
	sixteen := `["A","B","C","D","E","F","G","H","I","J","K","L","M","N","O","P"]`
	cases := []readCase{
		{name: "upper case", json: `["POST","PUT"]`, want: []string{"POST", "PUT"}},
		{name: "lower case is folded", json: `["post","Patch"]`, want: []string{"POST", "PATCH"}},
		{name: "token characters beyond letters", json: `["M-SEARCH","X_Y","V2"]`, want: []string{"M-SEARCH", "X_Y", "V2"}},
		{name: "sixteen", json: sixteen, want: strings.Split("A B C D E F G H I J K L M N O P", " ")},
		{name: "seventeen", json: sixteen[:len(sixteen)-1] + `,"Q"]`, err: `x config: field "f": got 17 entries; allowed: an array of strings, each an HTTP method name; at most 16 entries`},
		{name: "empty", json: `[]`, err: `x config: field "f": got array []; allowed: ` + list},
		{name: "a duplicate", json: `["POST","PUT","POST"]`, err: `x config: field "f[2]": got string "POST", the same as an earlier entry; allowed: each entry at most once`},
		{name: "a duplicate in another case", json: `["POST","post"]`, err: `x config: field "f[1]": got string "post", the same as an earlier entry; allowed: each entry at most once`},
		{name: "an empty name", json: `[""]`, err: `x config: field "f[0]": got string ""; allowed: ` + entry},
		{name: "a space", json: `["PO ST"]`, err: `x config: field "f[0]": got string "PO ST"; allowed: ` + entry},
		{name: "33 bytes", json: `["` + strings.Repeat("M", 33) + `"]`, err: `x config: field "f[0]": got string "` + strings.Repeat("M", 33) + `"; allowed: ` + entry},
		{name: "a number entry", json: `[1]`, err: `x config: field "f[0]": got number 1; allowed: ` + entry},
		{name: "a null entry", json: `[null]`, err: `x config: field "f[0]": got null; allowed: ` + entry},
	}
	cases = append(cases, badKinds("array", "an array of strings, each an HTTP method name")...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return Methods("x", "f", v) })
}

func TestStringListReadsEachEntryAndRefusesRepeatedOnes(t *testing.T) {
	const allowed = "an array of strings, each a tenant name"
	lower := func(f string, e gjson.Result) (string, error) {
		return String("x", f, e, 8, "a tenant name", func(s string) bool { return s != "" && strings.ToLower(s) == s })
	}
	cases := []readCase{
		{name: "in order", json: `["b","a"]`, want: []string{"b", "a"}},
		{name: "empty gives nil", json: `[]`, want: []string(nil)},
		{name: "at most max", json: `["a","b","c"]`, want: []string{"a", "b", "c"}},
		{name: "more than max", json: `["a","b","c","d"]`, err: `x config: field "f": got 4 entries; allowed: ` + allowed + "; at most 3 entries"},
		{name: "a repeated entry", json: `["a","b","a"]`, err: `x config: field "f[2]": got string "a", the same as an earlier entry; allowed: each entry at most once`},
		{name: "an entry the reader refuses", json: `["a","B"]`, err: `x config: field "f[1]": got string "B"; allowed: a tenant name`},
		{name: "a non-string entry", json: `["a",{}]`, err: `x config: field "f[1]": got object {}; allowed: a tenant name`},
	}
	cases = append(cases, badKinds("array", allowed)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return StringList("x", "f", v, 3, "a tenant name", lower) })

	runReader(t, []readCase{
		{name: "a nil reader takes any string", json: `["", "A b"]`, want: []string{"", "A b"}},
		{name: "a nil reader refuses non-strings", json: `[true]`, err: `x config: field "f[0]": got boolean true; allowed: a tenant name`},
		{name: "a nil reader refuses repeats", json: `["A","A"]`, err: `x config: field "f[1]": got string "A", the same as an earlier entry; allowed: each entry at most once`},
	}, func(v gjson.Result) (any, error) { return StringList("x", "f", v, 3, "a tenant name", nil) })
}

func TestHeaderMapReadsNamesAndValuesAndRefusesRepeatsInAnyCase(t *testing.T) {
	const allowed = "a JSON object of at most 2 header names to string values"
	const rule = "a header name: 1 to 128 letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token; upper case is folded to lower case)"
	cases := []readCase{
		{name: "in document order, names folded", json: `{"Content-Type":"a/b","x-a":""}`, want: [][2]string{{"content-type", "a/b"}, {"x-a", ""}}},
		{name: "empty", json: `{}`, want: [][2]string(nil)},
		{name: "more than max", json: `{"a":"1","b":"2","c":"3"}`, err: `x config: field "f": got more than 2 headers; allowed: ` + allowed},
		{name: "a repeated name", json: `{"a":"1","a":"2"}`, err: `x config: field "f.a": got the header a second time; allowed: each header name at most once (names are compared in lower case)`},
		{name: "a repeated name in another case", json: `{"x-a":"1","X-A":"2"}`, err: `x config: field "f.X-A": got the header a second time; allowed: each header name at most once (names are compared in lower case)`},
		{name: "a bad name", json: `{"a b":"1"}`, err: `x config: field "f.a b": got string "a b"; allowed: ` + rule},
		{name: "an empty name", json: `{"":"1"}`, err: `x config: field "f.\"\"": got string ""; allowed: ` + rule},
		{name: "a reserved name", json: `{"Content-Length":"1"}`, err: `x config: field "f.Content-Length": got string "Content-Length"; allowed: a header name other than host, content-length, transfer-encoding, connection, te, upgrade, keep-alive, proxy-connection (the proxy owns them) and x-mark (the filter sets them itself)`},
		{name: "an extra reserved name", json: `{"x-mark":"1"}`, err: `x config: field "f.x-mark": got string "x-mark"; allowed: a header name other than host, content-length, transfer-encoding, connection, te, upgrade, keep-alive, proxy-connection (the proxy owns them) and x-mark (the filter sets them itself)`},
		{name: "a bad value", json: `{"a":"x\ny"}`, err: `x config: field "f.a": got string "x\ny"; allowed: a header value: 0 to 4 visible ASCII characters and inner spaces`},
		{name: "a number value", json: `{"a":1}`, err: `x config: field "f.a": got number 1; allowed: a header value: 0 to 4 visible ASCII characters and inner spaces`},
		{name: "a long value", json: `{"a":"12345"}`, err: `x config: field "f.a": got string "12345"; allowed: a header value: 0 to 4 visible ASCII characters and inner spaces`},
	}
	cases = append(cases, badKinds("object", allowed)...)
	runReader(t, cases, func(v gjson.Result) (any, error) { return HeaderMap("x", "f", v, 2, 4, "x-mark") })
}

func TestDocumentTakesBlankAsEmptyAndRefusesInvalidJSONAndNonObjects(t *testing.T) {
	const invalid = "; allowed: a JSON object, e.g. {}; check quotes, commas and brackets"
	tests := []struct {
		name, data string
		members    string // the document's Raw when accepted
		err        string
	}{
		{name: "absent", data: "", members: "{}"},
		{name: "blank", data: " \t\r\n", members: "{}"},
		{name: "an empty object", data: "{}", members: "{}"},
		{name: "an object with surrounding blanks", data: "\n {\"a\":1} \n", members: `{"a":1}`},
		{name: "truncated", data: `{"a":`, err: `x config: field "(document)": got text that is not valid JSON (5 bytes)` + invalid},
		{name: "a trailing comma", data: `{"a":1,}`, err: `x config: field "(document)": got text that is not valid JSON (8 bytes)` + invalid},
		{name: "two documents", data: `{} {}`, err: `x config: field "(document)": got text that is not valid JSON (5 bytes)` + invalid},
		{name: "YAML", data: "a: 1", err: `x config: field "(document)": got text that is not valid JSON (4 bytes)` + invalid},
		{name: "a secret is not echoed", data: `{"secret":"hunter2hunter2hunter2"`, err: `x config: field "(document)": got text that is not valid JSON (33 bytes)` + invalid},
		{name: "an array", data: `[{}]`, err: `x config: field "(document)": got array [{}]; allowed: a JSON object, e.g. {}`},
		{name: "a string", data: `"{}"`, err: `x config: field "(document)": got string "{}"; allowed: a JSON object, e.g. {}`},
		{name: "a number", data: `1`, err: `x config: field "(document)": got number 1; allowed: a JSON object, e.g. {}`},
		{name: "null", data: `null`, err: `x config: field "(document)": got null; allowed: a JSON object, e.g. {}`},
		{name: "true", data: `true`, err: `x config: field "(document)": got boolean true; allowed: a JSON object, e.g. {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Document("x", []byte(tt.data))
			if tt.err != "" {
				assert.EqualError(t, err, tt.err)
				assert.NotContains(t, err.Error(), "hunter2")
				var e *Error
				assert.True(t, errors.As(err, &e))
				return
			}
			require.NoError(t, err)
			assert.True(t, doc.IsObject())
			assert.Equal(t, tt.members, strings.TrimSpace(doc.Raw))
		})
	}
	doc, err := Document("x", nil)
	require.NoError(t, err)
	assert.True(t, doc.IsObject(), "a nil configuration is {}")
}

func TestObjectRefusesRepeatedKeysAtEveryLevel(t *testing.T) {
	// {"allow":["a"],"allow":["b"]} must never read as ["b"].
	tests := []struct{ name, json, field string }{
		{"the top level", `{"allow":["a"],"allow":["b"]}`, "allow"},
		{"a nested object", `{"outer":{"allow":1,"allow":2}}`, "outer.allow"},
		{"an escaped spelling of the same name", `{"allow":1,"\u0061llow":2}`, "allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Document("x", []byte(tt.json))
			require.NoError(t, err)
			var read func(path string, v gjson.Result) error
			read = func(path string, v gjson.Result) error {
				return Object("x", path, v, []string{"allow", "outer"}, func(field, name string, v gjson.Result) error {
					if name == "outer" {
						return read(field, v)
					}
					return nil
				})
			}
			err = read("", doc)
			assert.EqualError(t, err, `x config: field "`+tt.field+`": got the field a second time; allowed: each field at most once`)
		})
	}
}

func TestMissingSaysNothingWasGivenAndTheFieldIsRequired(t *testing.T) {
	assert.EqualError(t, Missing("x", "reroute.header", "a header name"), `x config: field "reroute.header": got nothing; allowed: a header name (required)`)
}

// FuzzDocumentAndObject: any bytes either give an *Error or an object whose members Object visits
// exactly once each, with known names only; readers never panic on what they are handed.
func FuzzDocumentAndObject(f *testing.F) {
	for _, s := range []string{``, ` `, `{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":[1,"x",null]},"b":"X-Y"}`, `[`, `"x"`,
		`{"":null}`, `{"a\u0000":1}`, `{"b":"` + strings.Repeat("y", 100) + `"}`, `{"a":1e400}`, `{"b":"\ud800"}`} {
		f.Add([]byte(s))
	}
	modes := Enum{"inbound", "outbound"}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Document("f", data)
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e))
			require.NotEmpty(t, e.Got)
			require.NotEmpty(t, e.Allowed)
			return
		}
		require.True(t, doc.IsObject())
		seen := map[string]bool{}
		err = Object("f", "", doc, []string{"a", "b"}, func(field, name string, v gjson.Result) error {
			require.True(t, name == "a" || name == "b", "visited unknown name %q", name)
			require.Equal(t, name, field)
			require.False(t, seen[name], "visited %q twice", name)
			seen[name] = true
			// Every reader takes every value without panicking, and errs with an *Error or succeeds.
			checks := []error{}
			_, e1 := Bool("f", field, v)
			_, e2 := modes.Read("f", field, v)
			_, e3 := String("f", field, v, 64, "s", nil)
			_, e4 := Uint("f", field, v, 0, 100)
			_, e5 := Status("f", field, v, 200, 599)
			_, e6 := Duration("f", field, v, 0, time.Hour)
			h, e7 := HeaderName("f", field, v)
			_, e8 := HeaderValue("f", field, v, 0, 64)
			ms, e9 := Methods("f", field, v)
			_, e10 := StringList("f", field, v, 8, "s", nil)
			_, e11 := HeaderMap("f", field, v, 8, 64)
			checks = append(checks, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11)
			for _, e := range checks {
				if e != nil {
					var pe *Error
					require.True(t, errors.As(e, &pe), "%v", e)
				}
			}
			if e7 == nil {
				require.True(t, IsToken(h))
				require.Equal(t, strings.ToLower(h), h)
			}
			if e9 == nil {
				require.NotEmpty(t, ms)
				for _, m := range ms {
					require.Equal(t, strings.ToUpper(m), m)
				}
			}
			return nil
		})
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e))
			require.NotEmpty(t, e.Allowed)
		}
	})
}

func TestFoldASCIIMatchesTheStringsCaseFoldsOnTokens(t *testing.T) {
	for _, s := range []string{"", "a", "A", "x-Laneway-TENANT", "!#$%&'*+-.^_`|~09", "ZZ", "m-search", "@[`{"} {
		assert.Equal(t, strings.ToLower(s), foldASCII(s, 'A', 'Z'), "%q to lower", s)
		assert.Equal(t, strings.ToLower(s), LowerASCII(s), "%q LowerASCII", s)
		assert.Equal(t, strings.ToUpper(s), foldASCII(s, 'a', 'z'), "%q to upper", s)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = LowerASCII("x-already-lower") }), "nothing to fold: no copy")
	assert.Equal(t, "é-x", LowerASCII("é-X"), "non-ASCII bytes are left alone")
}

func FuzzFoldASCII(f *testing.F) {
	f.Add("X-Laneway-Tenant")
	f.Add("é\x00Z")
	f.Fuzz(func(t *testing.T, s string) {
		lower, upper := foldASCII(s, 'A', 'Z'), foldASCII(s, 'a', 'z')
		require.Len(t, lower, len(s))
		require.Len(t, upper, len(s))
		for i := 0; i < len(s); i++ {
			c := s[i]
			wantL, wantU := c, c
			if c >= 'A' && c <= 'Z' {
				wantL = c + 'a' - 'A'
			}
			if c >= 'a' && c <= 'z' {
				wantU = c - ('a' - 'A')
			}
			require.Equal(t, wantL, lower[i])
			require.Equal(t, wantU, upper[i])
		}
	})
}
