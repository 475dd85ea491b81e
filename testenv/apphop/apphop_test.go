package apphop

import (
	"io"
	"net/http"
	"net/http/httptest"
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

// TestGo shows what the real OpenTelemetry Go propagators forward: keys byte for byte (they are
// not decoded), values decoded and re-encoded, tracestate carried.
func TestGo(t *testing.T) {
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{"encoded key forwarded as is", headers("baggage", "laneway%2Dtenant=evil"), headers("baggage", "laneway%2Dtenant=evil")},
		{"spaces around the key trimmed", headers("baggage", " laneway-tenant =evil"), headers("baggage", "laneway-tenant=evil")},
		{"trace context carried", headers("traceparent", traceparent, "tracestate", tracestate), headers("traceparent", traceparent, "tracestate", tracestate)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Go(tt.in))
		})
	}
}

// TestJSApp runs the real Node app: it decodes keys (decodeURIComponent, trim) and forwards what it
// extracted on its next call, with the incoming method, path and body.
func TestJSApp(t *testing.T) {
	app := StartJS(t)
	tests := []struct {
		name string
		in   http.Header
		want map[string]string
	}{
		{"encoded hyphen decoded", headers("baggage", "laneway%2Dtenant=evil"), map[string]string{"Baggage": "laneway-tenant=evil"}},
		{"lower-case escape decoded", headers("baggage", "laneway%2dtenant=evil"), map[string]string{"Baggage": "laneway-tenant=evil"}},
		{"encoded first letter decoded", headers("baggage", "%6Caneway-tenant=evil"), map[string]string{"Baggage": "laneway-tenant=evil"}},
		{"encoded space kept (JS trims before it decodes)", headers("baggage", "laneway-tenant%20=evil"), map[string]string{"Baggage": "laneway-tenant%20=evil"}},
		{"raw spaces trimmed", headers("baggage", " laneway-tenant =evil"), map[string]string{"Baggage": "laneway-tenant=evil"}},
		{"plus is not a space in JS", headers("baggage", "laneway-tenant+=evil"), map[string]string{"Baggage": "laneway-tenant%2B=evil"}},
		{"repeated headers joined by Node, the later copy wins", headers("baggage", "laneway-tenant=acme", "baggage", "laneway%2Dtenant=evil"),
			map[string]string{"Baggage": "laneway-tenant=evil"}},
		{"trace context carried", headers("traceparent", traceparent, "tracestate", tracestate),
			map[string]string{"Traceparent": traceparent, "Tracestate": tracestate}},
		{"nothing in, nothing out", http.Header{}, map[string]string{"Baggage": "", "Traceparent": "", "Tracestate": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, status := app.Forward(t, http.MethodPost, tt.in)
			require.Equal(t, http.StatusOK, status)
			for k, v := range tt.want {
				assert.Equal(t, v, out.Get(k), k)
			}
		})
	}

	t.Run("next hop set by the test", func(t *testing.T) {
		type call struct{ method, path, host, body, baggage string }
		got := make(chan call, 1)
		next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- call{r.Method, r.URL.Path, r.Host, string(b), r.Header.Get("baggage")}
			w.Header().Set("X-Served-By", "next")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, "made")
		}))
		defer next.Close()
		app.SetNext(t, next.URL, "svc-b.prod.svc.cluster.local")
		defer app.SetNext(t, app.rec.URL, "")
		req, _ := http.NewRequest(http.MethodPut, "http://"+app.Addr()+"/orders/7", strings.NewReader(`{"n":1}`))
		req.Header.Set("baggage", "a=1")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, "next", resp.Header.Get("X-Served-By"))
		assert.Equal(t, "made", string(body))
		assert.Equal(t, call{http.MethodPut, "/orders/7", "svc-b.prod.svc.cluster.local", `{"n":1}`, "a=1"}, <-got)
	})
}

// TestJSAppRefusesABadControlLine: a next hop that is not a URL is refused, and the app keeps the old one.
func TestJSAppRefusesABadControlLine(t *testing.T) {
	app := StartJS(t)
	_, err := app.stdin.Write([]byte("{\"next\":\"not a url\"}\n"))
	require.NoError(t, err)
	var ack struct{ Next, Error string }
	app.read(t, &ack)
	assert.Contains(t, ack.Error, "not a url")
	out, status := app.Forward(t, http.MethodGet, headers("baggage", "a=1"))
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "a=1", out.Get("baggage"))
}
