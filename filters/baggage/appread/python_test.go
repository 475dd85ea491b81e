package appread

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	tracestate  = "laneway-tenant=evil,vendor=x"
)

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// pyPairs is Python's reading as key/value pairs (nil for none).
func pyPairs(header string) [][2]string {
	var out [][2]string
	for _, m := range Python(header) {
		out = append(out, [2]string{m.Key, m.Value})
	}
	return out
}

// TestPythonBaggage pins the model to opentelemetry-python's W3CBaggagePropagator.extract
// (opentelemetry-api/src/opentelemetry/baggage/propagation/__init__.py): raw key and value checked
// against util/re.py's formats, then unquote_plus(...).strip() on each.
func TestPythonBaggage(t *testing.T) {
	long := strings.Repeat("x", 4090)
	many := make([]string, 181)
	for i := range many {
		many[i] = fmt.Sprintf("k%d=v", i)
	}
	tests := []struct {
		name, header string
		want         [][2]string
	}{
		{"plain", "laneway-tenant=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"percent-encoded hyphen", "laneway%2Dtenant=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"lower-case escape", "laneway%2dtenant=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"encoded first letter", "%6Caneway-tenant=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"plus is a space, stripped", "laneway-tenant+=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"encoded space, stripped", "laneway-tenant%20=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"encoded tab and newline, stripped", "%09laneway-tenant%0A=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"encoded U+00A0, stripped (Unicode whitespace)", "laneway-tenant%C2%A0=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"encoded U+001F, stripped (Python whitespace)", "laneway-tenant%1F=evil", [][2]string{{"laneway-tenant", "evil"}}},
		{"spaces around a member (delimiter pattern)", "a=1 ,\tlaneway-tenant=evil", [][2]string{{"a", "1"}, {"laneway-tenant", "evil"}}},
		{"raw space before '=' is not a key", "laneway-tenant =evil", nil},
		{"raw space in the value is not a value", "laneway-tenant=ev il", nil},
		{"bad escape stays as is", "laneway%2tenant=evil", [][2]string{{"laneway%2tenant", "evil"}}},
		{"invalid UTF-8 is replaced", "laneway-tenant%FF=evil", [][2]string{{"laneway-tenant\uFFFD", "evil"}}},
		{"properties stay in the value", "laneway-tenant=evil;p=1", [][2]string{{"laneway-tenant", "evil;p=1"}}},
		{"bad property drops the entry", "laneway-tenant=evil;p p", nil},
		{"encoded value decoded", "k=a%2Cb+c", [][2]string{{"k", "a,b c"}}},
		{"later entry wins, first position kept", "t=1,a=2,t=3", [][2]string{{"t", "3"}, {"a", "2"}}},
		{"non-ASCII entry skipped", "a=é,b=2", [][2]string{{"b", "2"}}},
		{"entry over 4096 bytes skipped", "a=" + long + "yyyyyy,b=2", [][2]string{{"b", "2"}}},
		{"entry without '=' skipped", "a,b=2", [][2]string{{"b", "2"}}},
		{"empty members skipped", ",,b=2,", [][2]string{{"b", "2"}}},
		{"header over 8192 bytes dropped whole", "a=1," + strings.Repeat("b=2,", 2048), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pyPairs(tt.header))
		})
	}
	t.Run("at most 180 entries", func(t *testing.T) {
		got := pyPairs(strings.Join(many, ","))
		require.Len(t, got, 180)
		assert.Equal(t, [2]string{"k179", "v"}, got[179])
	})
}

// TestPythonInject pins inject (quote_plus on key and value) and the server's header handling.
func TestPythonInject(t *testing.T) {
	tests := []struct {
		name   string
		in     http.Header
		server PythonServer
		want   http.Header
	}{
		{"encoded key re-injected decoded", headers("baggage", "laneway%2Dtenant=evil"), WSGI,
			headers("baggage", "laneway-tenant=evil")},
		{"value re-encoded with quote_plus", headers("baggage", "k=a%2Cb+c;p=1"), WSGI,
			headers("baggage", "k=a%2Cb+c%3Bp%3D1")},
		{"WSGI joins repeated headers: the later copy wins", headers("baggage", "laneway-tenant=acme", "baggage", "laneway%2Dtenant=evil"), WSGI,
			headers("baggage", "laneway-tenant=evil")},
		{"ASGI reads the first baggage header only", headers("baggage", "laneway-tenant=acme", "baggage", "laneway%2Dtenant=evil"), ASGI,
			headers("baggage", "laneway-tenant=acme")},
		{"trace context carried with tracestate", headers("traceparent", traceparent, "tracestate", tracestate), WSGI,
			headers("traceparent", traceparent, "tracestate", tracestate)},
		{"tracestate of every header under ASGI too", headers("traceparent", traceparent, "tracestate", "a=1", "tracestate", "b=2"), ASGI,
			headers("traceparent", traceparent, "tracestate", "a=1,b=2")},
		{"one invalid tracestate member drops all", headers("traceparent", traceparent, "tracestate", "a=1,laneway%2Dtenant=evil"), WSGI,
			headers("traceparent", traceparent)},
		{"duplicate tracestate key drops all", headers("traceparent", traceparent, "tracestate", "a=1,a=2"), WSGI,
			headers("traceparent", traceparent)},
		{"no tracestate without a valid traceparent", headers("traceparent", "00-"+strings.Repeat("0", 32)+"-b7ad6b7169203331-01", "tracestate", tracestate), WSGI,
			http.Header{}},
		{"version 00 with extra fields refused", headers("traceparent", traceparent+"-x", "tracestate", tracestate), WSGI,
			http.Header{}},
		{"nothing in, nothing out", http.Header{}, ASGI, http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.server.String()+"/"+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, PythonForward(tt.in, tt.server))
		})
	}
}

// FuzzPythonBaggage: the model never panics, and what Python injects reads back as the same entries
// (when inject dropped nothing and no key is empty).
func FuzzPythonBaggage(f *testing.F) {
	for _, s := range []string{"laneway%2Dtenant=evil", "a=1,b=2;p", "k=a%2Cb+c", "%FF=%", " a = b ", "t=1,t=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		entries := pyPairs(header)
		out := PythonForward(headers("baggage", header), WSGI).Get("baggage")
		if len(entries) == 0 {
			require.Empty(t, out)
			return
		}
		encodedLen := 0
		for _, e := range entries {
			n := len(pyQuotePlus(e[0])) + 1 + len(pyQuotePlus(e[1]))
			if e[0] == "" || n > pyMaxPairLength {
				return
			}
			encodedLen += n + 1
		}
		if encodedLen-1 > pyMaxHeaderLength {
			return
		}
		assert.Equal(t, entries, pyPairs(out), "injected %q", out)
	})
}
