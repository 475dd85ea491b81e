package pluginconfig

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func TestErrorRendersFilterFieldReceivedAndAllowedOnOneLine(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"a field", Error{Filter: "tenantroute", Field: "allow[2]", Got: `string "A B"`, Allowed: "a DNS label"},
			`tenantroute config: field "allow[2]": got string "A B"; allowed: a DNS label`},
		{"the document", Error{Filter: "shadowtag", Got: "invalid JSON", Allowed: "a JSON object"},
			`shadowtag config: field "(document)": got invalid JSON; allowed: a JSON object`},
		{"a field with a quote is quoted safely", Error{Filter: "synthetic", Field: `a"b`, Got: "an unknown field", Allowed: "x"},
			`synthetic config: field "a\"b": got an unknown field; allowed: x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestDescribeNamesTheKindAndBoundsTheText(t *testing.T) {
	long := `"` + strings.Repeat("a", 200) + `"`
	tests := []struct {
		name, json, path, want string
	}{
		{"a string", `{"v":"A B"}`, "v", `string "A B"`},
		{"a number", `{"v":1.5}`, "v", "number 1.5"},
		{"true", `{"v":true}`, "v", "boolean true"},
		{"false", `{"v":false}`, "v", "boolean false"},
		{"null", `{"v":null}`, "v", "null"},
		{"an array", `{"v":[1, 2]}`, "v", "array [1, 2]"},
		{"an object", `{"v":{"a":1}}`, "v", `object {"a":1}`},
		{"an absent value", `{}`, "v", "nothing"},
		{"a long string", `{"v":` + long + `}`, "v", "string " + long[:77] + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Describe(gjson.Get(tt.json, tt.path)))
		})
	}
}

func TestObjectVisitsKnownFieldsInOrderAndRejectsUnknownAndRepeatedOnes(t *testing.T) {
	names := []string{"a", "b", "c"}
	tests := []struct {
		name, json, path string
		visited          []string // field paths visited, in order
		errField         string   // "" = no error expected
		errHas           []string
	}{
		{"known fields in document order", `{"c":1,"a":2}`, "", []string{"c", "a"}, "", nil},
		{"an empty object", `{}`, "", nil, "", nil},
		{"nested paths are joined with dots", `{"b":true}`, "outer.inner", []string{"outer.inner.b"}, "", nil},
		{"an unknown field", `{"a":1,"zz":2}`, "", []string{"a"}, "zz", []string{"unknown field", "a, b, c"}},
		{"an unknown nested field", `{"zz":2}`, "x", nil, "x.zz", []string{"unknown field"}},
		{"an empty name", `{"":2}`, "x", nil, `x.""`, []string{"unknown field"}},
		{"a repeated field", `{"a":1,"a":2}`, "", []string{"a"}, "a", []string{"a second time", "at most once"}},
		{"not an object", `[1]`, "x", nil, "x", []string{"array [1]", "JSON object with the fields a, b, c"}},
		{"the document is not an object", `"s"`, "", nil, "", []string{`string "s"`, "JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var visited []string
			err := Object("f", tt.path, gjson.Parse(tt.json), names, func(field, name string, v gjson.Result) error {
				assert.True(t, strings.HasSuffix(field, name), "field %q ends with name %q", field, name)
				visited = append(visited, field)
				return nil
			})
			assert.Equal(t, tt.visited, visited)
			if tt.errHas == nil {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.True(t, errors.As(err, &e), "error %v is an *Error", err)
			assert.Equal(t, "f", e.Filter)
			assert.Equal(t, tt.errField, e.Field)
			for _, s := range tt.errHas {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestObjectStopsAtTheFirstErrorTheVisitorReturns(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Object("f", "", gjson.Parse(`{"a":1,"b":2}`), []string{"a", "b"}, func(string, string, gjson.Result) error {
		n++
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

func TestWalkIsObject(t *testing.T) {
	var visited []string
	err := Walk("f", "", gjson.Parse(`{"a":1,"b":2}`), []string{"a", "b"}, func(field, _ string, _ gjson.Result) error {
		visited = append(visited, field)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, visited)
	assert.EqualError(t, Walk("f", "", gjson.Parse(`{"a":1,"a":2}`), []string{"a"}, func(string, string, gjson.Result) error { return nil }),
		`f config: field "a": got the field a second time; allowed: each field at most once`)
}

func TestListVisitsEntriesWithTheirPathsAndRejectsNonArraysAndLongLists(t *testing.T) {
	tests := []struct {
		name, json string
		visited    []string
		err        string
	}{
		{"entries in order", `["x","y"]`, []string{"p[0]=x", "p[1]=y"}, ""},
		{"empty array", `[]`, nil, ""},
		{"exactly max entries", `[1,2,3]`, []string{"p[0]=1", "p[1]=2", "p[2]=3"}, ""},
		{"one entry too many", `[1,2,3,4]`, nil, `f config: field "p": got 4 entries; allowed: strings; at most 3 entries`},
		{"an object", `{"a":1}`, nil, `f config: field "p": got object {"a":1}; allowed: strings`},
		{"absent", ``, nil, `f config: field "p": got nothing; allowed: strings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var visited []string
			err := List("f", "p", gjson.Parse(tt.json), 3, "strings", func(field string, e gjson.Result) error {
				visited = append(visited, field+"="+e.String())
				return nil
			})
			assert.Equal(t, tt.visited, visited)
			if tt.err == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.err)
			}
		})
	}
}

func TestListStopsAtTheFirstErrorTheVisitorReturns(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := List("f", "p", gjson.Parse(`[1,2,3]`), 8, "numbers", func(string, gjson.Result) error {
		n++
		return stop
	})
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

func TestIsTokenAcceptsExactlyRFC7230Tokens(t *testing.T) {
	for _, ok := range []string{"a", "x-laneway-tenant", "X-Upper", "!#$%&'*+-.^_`|~", "0"} {
		assert.True(t, IsToken(ok), "%q", ok)
	}
	for _, bad := range []string{"", ":authority", "a b", "a\tb", "a,b", "a;b", "a/b", `a"b`, "a(b)", "a\x00", "é", "a\x7f"} {
		assert.False(t, IsToken(bad), "%q", bad)
	}
}

func TestIsTokenCharMatchesTheGrammarForEveryByte(t *testing.T) {
	const extra = "!#$%&'*+-.^_`|~"
	for c := 0; c < 256; c++ {
		b := byte(c)
		want := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte(extra, b) >= 0
		assert.Equal(t, want, IsTokenChar(b), "byte %#x", c)
	}
}

func FuzzObjectAndDescribe(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"zz":[1,2]}`, `[`, `"x"`, `{"":null}`, `{"b":{"c":"` + strings.Repeat("y", 100) + `"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		v := gjson.Parse(data)
		require.LessOrEqual(t, len(Describe(v)), len("boolean ")+80)
		err := Object("f", "p", v, []string{"a", "b"}, func(field, name string, v gjson.Result) error {
			require.True(t, name == "a" || name == "b", "visited unknown name %q", name)
			require.Equal(t, "p."+name, field)
			return nil
		})
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e))
			require.NotEmpty(t, e.Got)
			require.NotEmpty(t, e.Allowed)
		}
	})
}

func BenchmarkIsToken(b *testing.B) {
	for b.Loop() {
		if !IsToken("x-laneway-synthetic-token") {
			b.Fatal("not a token")
		}
	}
}

func TestQuoteListMatchesFmtQ(t *testing.T) {
	for _, xs := range [][]string{nil, {}, {""}, {"a"}, {"tracestate", "uberctx"}, {"a b", "q\"\\", "\n\t\x00", "é", "\xc3", "\u2028"}} {
		assert.Equal(t, fmt.Sprintf("%q", xs), QuoteList(xs), "%#v", xs)
	}
}

func FuzzQuoteList(f *testing.F) {
	f.Add("a", "b\"c")
	f.Add("\xff", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		xs := []string{a, b}
		if got, want := QuoteList(xs), fmt.Sprintf("%q", xs); got != want {
			t.Fatalf("QuoteList(%#v) = %s, fmt %%q gives %s", xs, got, want)
		}
	})
}
