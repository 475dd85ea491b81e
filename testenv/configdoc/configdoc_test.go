package configdoc_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/configdoc"
)

func TestToJSONRefusesRepeatedKeysNamingThem(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"JSON, top level", `{"mode":"inbound","mode":"edge"}`, `key "mode" is given twice (the second time at line 1, column 19)`},
		{"JSON, nested, second line", "{\"trust\": {\"principals\": [\"a\"],\n  \"principals\": [\"b\"]}}", `key "trust.principals" is given twice (the second time at line 2, column 3)`},
		{"JSON, in a list", `{"listeners":[{"name":"a"},{"name":"b","name":"c"}]}`, `key "listeners[1].name" is given twice`},
		{"YAML, top level", "mode: inbound\nmode: edge\n", `"mode" already set in map`},
		{"YAML, nested", "trust:\n  principals: [a]\n  principals: [b]\n", `"principals" already set in map`},
		{"YAML flow style", "{mode: inbound, mode: edge}", `"mode" already set in map`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configdoc.ToJSON([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestToJSONReportsBrokenJSONWithLineAndColumn(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a missing comma", "{\n  \"mode\": \"inbound\"\n  \"detect\": {}\n}", "invalid JSON at line 3, column 3"},
		{"a trailing comma", `{"mode":"inbound",}`, "invalid JSON at line 1, column 19"},
		{"cut short", "{\"mode\": \"inb", "invalid JSON at line 1, column 14: the document ends early"},
		{"text after the document", `{"mode":"inbound"} x`, "invalid JSON at line 1, column 20: text after the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configdoc.ToJSON([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "yaml", "JSON input gets a JSON error")
		})
	}
}

func TestToJSONAcceptsJSONAndYAML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"mode": "inbound", "n": 1.50}`, `{"mode":"inbound","n":1.50}`},
		{"mode: inbound\ncount: 2\n", `{"mode":"inbound","count":2}`},
		{"{mode: inbound}", `{"mode":"inbound"}`},
		{"[1, 2]", `[1,2]`},
		{"", "null"},
	} {
		got, err := configdoc.ToJSON([]byte(tc.in))
		require.NoError(t, err, tc.in)
		assert.JSONEq(t, tc.want, string(got), tc.in)
	}
}

func FuzzToJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, "a: 1\n", `{"a":[{"b":1}]}`, "{", `[1,`, "{a: b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := configdoc.ToJSON([]byte(in))
		if err == nil {
			assert.True(t, json.Valid(out), "output is JSON: %q", out)
		}
	})
}
