package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiffComparesStatusHeadersAndJSONFieldByField(t *testing.T) {
	base := func(body string) Capture { return capture("r", Primary, body) }
	tests := []struct {
		name string
		a, b Capture
		want []Difference
	}{
		{name: "identical responses", a: base(`{"a":1}`), b: base(`{"a":1}`), want: nil},
		{name: "key order and spacing do not matter", a: base(`{"a":1,"b":[1,2]}`), b: base(`{ "b": [1, 2], "a": 1 }`), want: nil},
		{name: "a number written differently is the same number", a: base(`{"a":1.0,"b":1e2}`), b: base(`{"a":1,"b":100}`), want: nil},
		{name: "big integers compare by text", a: base(`{"a":9007199254740993}`), b: base(`{"a":9007199254740992}`),
			want: []Difference{{"body:a", "9007199254740993", "9007199254740992"}}},
		{name: "a changed field by its gjson path", a: base(`{"o":{"total":10}}`), b: base(`{"o":{"total":11}}`),
			want: []Difference{{"body:o.total", "10", "11"}}},
		{name: "arrays by index", a: base(`{"items":[{"q":1},{"q":2}]}`), b: base(`{"items":[{"q":1},{"q":3},{"q":4}]}`),
			want: []Difference{{"body:items.1.q", "2", "3"}, {"body:items.2.q", Absent, "4"}}},
		{name: "a renamed field is absent on one side and new on the other", a: base(`{"total":10}`), b: base(`{"sum":10}`),
			want: []Difference{{"body:sum", Absent, "10"}, {"body:total", "10", Absent}}},
		{name: "string vs number", a: base(`{"a":"1"}`), b: base(`{"a":1}`), want: []Difference{{"body:a", `"1"`, "1"}}},
		{name: "an empty object differs from an absent one", a: base(`{"a":{}}`), b: base(`{}`),
			want: []Difference{{"body:@this", Absent, "{}"}, {"body:a", "{}", Absent}}},
		{name: "an empty array differs from an empty object", a: base(`[]`), b: base(`{}`), want: []Difference{{"body:@this", "[]", "{}"}}},
		{name: "keys with dots and wildcards are escaped gjson paths", a: base(`{"a.b":1,"c*":2}`), b: base(`{"a.b":2,"c*":2}`),
			want: []Difference{{`body:a\.b`, "1", "2"}}},
		{name: "a scalar document", a: base(`42`), b: base(`43`), want: []Difference{{"body:@this", "42", "43"}}},
		{name: "status and headers", a: base(`{}`), b: func() Capture {
			c := base(`{}`)
			c.Status = 500
			c.Headers = map[string]string{"content-type": "text/plain", "x-version": "2"}
			return c
		}(), want: []Difference{{"header:content-type", "application/json", "text/plain"}, {"header:x-version", Absent, "2"}, {"status", "200", "500"}}},
		{name: "non-JSON bodies by hash and length", a: base(`hello`), b: base(`hellp`),
			want: []Difference{{"body", sha("hello") + " (5 bytes)", sha("hellp") + " (5 bytes)"}}},
		{name: "equal non-JSON bodies", a: base(`<html>`), b: base(`<html>`), want: nil},
		{name: "JSON vs non-JSON compares whole bodies", a: base(`{"a":1}`), b: base(`oops`),
			want: []Difference{{"body", sha(`{"a":1}`) + " (7 bytes)", sha("oops") + " (4 bytes)"}}},
		{name: "truncated bodies compare by hash of the bytes seen and total length", a: func() Capture {
			c := base(`{"a":`)
			c.BodyBytes, c.Truncated = 90, true
			return c
		}(), b: func() Capture {
			c := base(`{"a":`)
			c.BodyBytes, c.Truncated = 91, true
			return c
		}(), want: []Difference{{"body", sha(`{"a":`) + " (90 bytes, first 5 hashed)", sha(`{"a":`) + " (91 bytes, first 5 hashed)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(&tc.a, &tc.b)
			assert.Equal(t, tc.want, got)
		})
	}
}

// sha is the first 8 bytes of the SHA-256 of s in hex, as whole-body values show it.
func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

func TestDiffFieldsAreGJSONPathsOfTheValue(t *testing.T) {
	doc := `{"a.b":{"c":[{"d?":5}]},"e":[[1]]}`
	for _, l := range flatten([]byte(doc)) {
		assert.Equal(t, l.val.Raw, gjsonGet(doc, l.path), "path %s", l.path)
	}
}

func TestDiffKeepsShownValuesShort(t *testing.T) {
	long := strings.Repeat("x", 1000)
	a, b := capture("r", Primary, `{"a":"`+long+`"}`), capture("r", Primary, `{"a":"y"}`)
	d := Diff(&a, &b)
	require.Len(t, d, 1)
	assert.Len(t, d[0].A, maxShownValue+3)
}

func FuzzDiff(f *testing.F) {
	f.Add(`{"a":[1,{"b":2}]}`, `{"a":[1,{"b":3}],"c":null}`)
	f.Add(`[]`, `{}`)
	f.Add(`"x"`, `not json`)
	f.Fuzz(func(t *testing.T, x, y string) {
		a, b := capture("r", Primary, x), capture("r", Primary, y)
		require.Empty(t, Diff(&a, &a), "a response does not differ from itself")
		ab, ba := Diff(&a, &b), Diff(&b, &a)
		require.Len(t, ba, len(ab), "the same fields differ both ways")
		for i := range ab {
			require.Equal(t, ab[i].Field, ba[i].Field)
			require.Equal(t, ab[i].A, ba[i].B)
		}
	})
}
