package configdoc_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/testenv/configdoc"
)

// upper is a Decoder: a string it stores in upper case, refusing anything but a lower-case word.
type upper string

func (u *upper) DecodeConfig(name, field string, v gjson.Result) error {
	s, err := pluginconfig.String(name, field, v, 8, "a lower-case word", func(s string) bool { return s != "" && strings.ToLower(s) == s })
	*u = upper(strings.ToUpper(s))
	return err
}

type inner struct {
	A string `json:"a"`
	B *bool  `json:"b"`
}

type doc struct {
	S    string         `json:"s"`
	B    bool           `json:"b"`
	I    int            `json:"i"`
	I8   int8           `json:"i8"`
	U    uint16         `json:"u"`
	F    float64        `json:"f"`
	D    time.Duration  `json:"d"`
	P    *inner         `json:"p"`
	L    []inner        `json:"l"`
	M    map[string]int `json:"m"`
	X    upper          `json:"x"`
	XP   *upper         `json:"xp"`
	XL   []upper        `json:"xl"`
	Skip string         // no tag: not read
	Dash string         `json:"-"`
}

func TestDecodeFillsEveryKindAndLeavesAbsentFieldsAlone(t *testing.T) {
	d := doc{S: "default", I: 7, Skip: "kept"}
	err := configdoc.Decode("x", "", gjson.Parse(`{"b":true,"i":-12,"i8":127,"u":65535,"f":12.5,"d":"1m30s",
		"p":{"a":"pa","b":false},"l":[{"a":"one"},{}],"m":{"k":1,"":2},"x":"word","xp":"ptr","xl":["a","b"]}`), &d)
	require.NoError(t, err)
	f := false
	assert.Equal(t, doc{S: "default", B: true, I: -12, I8: 127, U: 65535, F: 12.5, D: 90 * time.Second,
		P: &inner{A: "pa", B: &f}, L: []inner{{A: "one"}, {}}, M: map[string]int{"k": 1, "": 2},
		X: "WORD", XP: ptrTo(upper("PTR")), XL: []upper{"A", "B"}, Skip: "kept"}, d)
}

func ptrTo[T any](v T) *T { return &v }

func TestDecodeRefusesEveryBadValueNamingItsField(t *testing.T) {
	tests := []struct{ name, json, err string }{
		{"not an object", `[1]`, `x config: field "(document)": got array [1]; allowed: a JSON object with the fields s, b, i, i8, u, f, d, p, l, m, x, xp, xl`},
		{"an unknown member", `{"s":"a","zz":1}`, `x config: field "zz": got an unknown field; allowed: one of the fields s, b, i, i8, u, f, d, p, l, m, x, xp, xl`},
		{"an untagged field is unknown", `{"Skip":"a"}`, `x config: field "Skip": got an unknown field; allowed: one of the fields s, b, i, i8, u, f, d, p, l, m, x, xp, xl`},
		{"a dash-tagged field is unknown", `{"-":"a"}`, `x config: field "-": got an unknown field; allowed: one of the fields s, b, i, i8, u, f, d, p, l, m, x, xp, xl`},
		{"a repeated member", `{"s":"a","s":"b"}`, `x config: field "s": got the field a second time; allowed: each field at most once`},
		{"a repeated nested member", `{"p":{"a":"1","a":"2"}}`, `x config: field "p.a": got the field a second time; allowed: each field at most once`},
		{"a string from a number", `{"s":1}`, `x config: field "s": got number 1; allowed: a string`},
		{"a string from null", `{"s":null}`, `x config: field "s": got null; allowed: a string`},
		{"a bool from a string", `{"b":"true"}`, `x config: field "b": got string "true"; allowed: true or false`},
		{"an int from a fraction", `{"i":1.5}`, `x config: field "i": got number 1.5; allowed: an integer`},
		{"an int from an exponent", `{"i":1e3}`, `x config: field "i": got number 1e3; allowed: an integer`},
		{"an int from a string", `{"i":"1"}`, `x config: field "i": got string "1"; allowed: an integer`},
		{"an int8 overflow", `{"i8":128}`, `x config: field "i8": got number 128; allowed: an integer`},
		{"a uint from a negative", `{"u":-1}`, `x config: field "u": got number -1; allowed: an integer from 0 to 65535`},
		{"a uint16 overflow", `{"u":65536}`, `x config: field "u": got number 65536; allowed: an integer from 0 to 65535`},
		{"a float from a string", `{"f":"1"}`, `x config: field "f": got string "1"; allowed: a number`},
		{"an infinite float", `{"f":1e400}`, `x config: field "f": got number 1e400; allowed: a number`},
		{"a duration from a number", `{"d":5}`, `x config: field "d": got number 5; allowed: a duration such as "500ms", "5s" or "1m"`},
		{"a duration without a unit", `{"d":"5"}`, `x config: field "d": got string "5"; allowed: a duration such as "500ms", "5s" or "1m"`},
		{"a pointer to a struct from a string", `{"p":"a"}`, `x config: field "p": got string "a"; allowed: a JSON object with the fields a, b`},
		{"a bad member through a pointer", `{"p":{"b":1}}`, `x config: field "p.b": got number 1; allowed: true or false`},
		{"a list from an object", `{"l":{}}`, `x config: field "l": got object {}; allowed: a list of objects {a, b}`},
		{"a bad list entry", `{"l":[{},{"a":2}]}`, `x config: field "l[1].a": got number 2; allowed: a string`},
		{"an unknown member of a list entry", `{"l":[{"c":1}]}`, `x config: field "l[0].c": got an unknown field; allowed: one of the fields a, b`},
		{"a map from a list", `{"m":[1]}`, `x config: field "m": got array [1]; allowed: an object of names to numbers`},
		{"a bad map value", `{"m":{"a.b":"1"}}`, `x config: field "m[\"a.b\"]": got string "1"; allowed: an integer`},
		{"a repeated map name", `{"m":{"k":1,"k":2}}`, `x config: field "m[\"k\"]": got the name a second time; allowed: each name at most once`},
		{"a Decoder's own refusal", `{"x":"Word"}`, `x config: field "x": got string "Word"; allowed: a lower-case word`},
		{"a Decoder behind a pointer", `{"xp":1}`, `x config: field "xp": got number 1; allowed: a lower-case word`},
		{"a Decoder in a list", `{"xl":["a",""]}`, `x config: field "xl[1]": got string ""; allowed: a lower-case word`},
		{"a list of Decoders from a string", `{"xl":"a"}`, `x config: field "xl": got string "a"; allowed: a list of values`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := configdoc.Decode("x", "", gjson.Parse(tt.json), &d)
			require.Error(t, err)
			var e *pluginconfig.Error
			require.True(t, errors.As(err, &e), "%v is a *pluginconfig.Error", err)
			assert.Equal(t, tt.err, err.Error())
		})
	}
}

func TestDecodeRefusesMoreThanMaxEntries(t *testing.T) {
	list := "[" + strings.Repeat(`{},`, configdoc.MaxEntries) + "{}]"
	var d doc
	err := configdoc.Decode("x", "", gjson.Parse(`{"l":`+list+`}`), &d)
	assert.EqualError(t, err, `x config: field "l": got 4097 entries; allowed: a list of objects {a, b}; at most 4096 entries`)
	var m strings.Builder
	m.WriteString(`{"m":{`)
	for i := 0; i <= configdoc.MaxEntries; i++ {
		if i > 0 {
			m.WriteString(",")
		}
		m.WriteString(`"k` + strconv.Itoa(i) + `":1`)
	}
	m.WriteString("}}")
	err = configdoc.Decode("x", "", gjson.Parse(m.String()), &d)
	assert.EqualError(t, err, `x config: field "m": got more than 4096 entries; allowed: an object of names to numbers`)
}

func TestDecodeNeedsANonNilPointerAndSupportedTypes(t *testing.T) {
	var d doc
	assert.EqualError(t, configdoc.Decode("x", "", gjson.Parse(`{}`), d), `x config: field "(document)": got a destination of Go type configdoc_test.doc; allowed: a non-nil pointer`)
	assert.EqualError(t, configdoc.Decode("x", "", gjson.Parse(`{}`), (*doc)(nil)), `x config: field "(document)": got a destination of Go type *configdoc_test.doc; allowed: a non-nil pointer`)
	var c struct {
		C chan int `json:"c"`
	}
	assert.EqualError(t, configdoc.Decode("x", "", gjson.Parse(`{"c":1}`), &c), `x config: field "c": got a field of Go type chan int; allowed: a type Decode fills`)
	var k map[int]string
	assert.EqualError(t, configdoc.Decode("x", "k", gjson.Parse(`{"1":"a"}`), &k), `x config: field "k": got a map of Go type map[int]string; allowed: a map with string keys`)
}

// FuzzDecode: any JSON fills a doc or is refused with a *pluginconfig.Error; it never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"s":"a","b":true,"i":1,"l":[{"a":"x"}],"m":{"a":1},"p":{"b":null}}`, `{"d":"1h"}`,
		`{"x":"ab","xl":["c"],"xp":"d"}`, `{"s":"a","s":"b"}`, `{"i8":-129}`, `{"u":1e2}`, `{"f":-0}`, `[`, `{"m":{"":1,"":2}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, js string) {
		if !gjson.Valid(js) {
			return
		}
		var d doc
		err := configdoc.Decode("x", "", gjson.Parse(js), &d)
		if err != nil {
			var e *pluginconfig.Error
			require.True(t, errors.As(err, &e), "%v", err)
			require.NotEmpty(t, e.Got)
			require.NotEmpty(t, e.Allowed)
		}
	})
}
