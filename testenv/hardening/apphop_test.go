package hardening

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage/appread"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/apphop"
)

// The matrix's app-hop columns: what the next app, instrumented with OpenTelemetry of one
// propagator family, forwards on its next call after receiving what the filter forwarded, and
// what the sidecar after that app decides from it. A row the matrix marks as blocked at a trust
// boundary must stay blocked whichever family sits in between.

// hopTraceparent is added to every client request that has none: an outside client can always send
// one, and with it the trace-context propagators carry tracestate on.
const hopTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// withTraceparent returns h with hopTraceparent appended unless h has a traceparent.
func withTraceparent(h testenv.Headers) testenv.Headers {
	if _, ok := h.Get("traceparent"); ok {
		return h
	}
	return append(h, testenv.Header{Key: "traceparent", Value: hopTraceparent})
}

// nextSidecars is, per marker, the sidecar that reads what the app forwards: the app's outbound
// listener, reading the tenant from baggage and every carrier, and containing shadow and synthetic
// writes (the app's next call is a POST to a service that is neither allow-listed nor a participant).
var nextSidecars = map[string]plugin{
	"tenant":    {module: "tenantroute", config: `{"carriers":["tracestate","ot-baggage","uberctx"]}`},
	"shadow":    {module: "shadowtag", config: `{"mode":"outbound"}`},
	"synthetic": {module: "synthetic", config: `{"mode":"outbound","participants":["ledger.prod.svc.cluster.local"]}`},
}

// nextHost is where the app's next call goes.
const nextHost = "svc-c.prod.svc.cluster.local"

// markerState is what one sidecar decided about a row's marker: the tenant routed to, or whether
// the request was treated as shadow or synthetic; "" means baseline/unmarked.
func markerState(marker string, r result) string {
	switch marker {
	case "tenant":
		if r.local != nil {
			return fmt.Sprintf("local reply %d", r.local.StatusCode)
		}
		if v, ok := r.upstream.Get("x-laneway-tenant"); ok {
			return "tenant " + v
		}
	case "shadow":
		if r.local != nil {
			return fmt.Sprintf("write suppressed (%d)", r.local.StatusCode)
		}
		if _, ok := r.upstream.Get("x-laneway-shadow"); ok {
			return "marked shadow"
		}
	case "synthetic":
		if r.local != nil {
			return fmt.Sprintf("write refused (%d)", r.local.StatusCode)
		}
		if _, ok := r.upstream.Get("x-laneway-synthetic"); ok {
			return "marked synthetic"
		}
	}
	return ""
}

// boundaryBlocked reports whether the matrix marks the row as blocked at a trust boundary: the
// filter is a gateway's, it left the marker unset (baseline/unmarked, not a local reply), and
// its configuration does not explicitly keep rejected members for later hops.
func boundaryBlocked(row spoofRow, r result) bool {
	return strings.HasPrefix(row.setup, "gateway:") && r.local == nil && markerState(row.marker, r) == "" &&
		!strings.Contains(strings.ReplaceAll(row.p.config, " ", ""), `"stripBaggage":false`)
}

// family is one propagator family's app: the propagation headers it injects on its next call,
// given the headers of the request it received (nil when it refused the request).
type family struct {
	name    string
	forward func(t *testing.T, in http.Header) http.Header
}

func families(js *apphop.JSApp) []family {
	return []family{
		{"Go", func(_ *testing.T, in http.Header) http.Header { return sortedBaggage(apphop.Go(in)) }},
		{"JS", func(t *testing.T, in http.Header) http.Header {
			out, _ := js.Forward(t, http.MethodPost, in)
			return out
		}},
		{"Python (WSGI)", func(_ *testing.T, in http.Header) http.Header { return appread.PythonForward(in, appread.WSGI) }},
		{"Python (ASGI)", func(_ *testing.T, in http.Header) http.Header { return appread.PythonForward(in, appread.ASGI) }},
	}
}

// sortedBaggage sorts the members of h's baggage header: OpenTelemetry Go keeps baggage in a map and
// injects it in random order, and the matrix must be stable (any order is one Go may send).
func sortedBaggage(h http.Header) http.Header {
	if v := h.Get("baggage"); v != "" {
		members := strings.Split(v, ",")
		sort.Strings(members)
		h.Set("baggage", strings.Join(members, ","))
	}
	return h
}

// toHTTP converts forwarded headers to what the app's HTTP server hands it (:authority as Host,
// other pseudo-headers dropped).
func toHTTP(h testenv.Headers) http.Header {
	out := http.Header{}
	for _, kv := range h {
		switch {
		case kv.Key == ":authority":
			out.Set("Host", kv.Value)
		case strings.HasPrefix(kv.Key, ":"):
		default:
			out.Add(kv.Key, kv.Value)
		}
	}
	return out
}

// propagated renders the laneway and Signadot members (keys read percent-decoded) of what an app
// injects, for the matrix.
func propagated(h http.Header) string {
	if h == nil {
		return "refuses the request"
	}
	var parts []string
	for _, name := range []string{"baggage", "tracestate"} {
		for _, v := range h.Values(name) {
			for _, m := range strings.Split(v, ",") {
				k, _, _ := strings.Cut(m, "=")
				if d, err := url.QueryUnescape(k); err == nil {
					k = d // an encoded key shows up too
				}
				if k = strings.ToLower(k); strings.Contains(k, "laneway") || strings.Contains(k, "sd-routing") {
					parts = append(parts, name+" "+strings.TrimSpace(m))
				}
			}
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

// appHop runs what a row's filter forwarded through every family's app and the next sidecar on
// every profile, asserts that a blocked row stays blocked (and an accepted gateway tenant stays the
// same tenant), and returns the matrix cells: Go, JS, Python.
func appHop(t *testing.T, row spoofRow, r result, fams []family, next map[testenv.Profile]*testenv.VM) []string {
	if r.local != nil {
		return []string{"-", "-", "-"}
	}
	blocked := boundaryBlocked(row, r)
	at := markerState(row.marker, r)
	in := toHTTP(r.upstream)
	cells := map[string]string{}
	for _, f := range fams {
		out := f.forward(t, in.Clone())
		var state string
		for i, profile := range profiles {
			nr := send(next[profile], nextRequest(out))
			require.NoError(t, next[profile].Err(), "the next sidecar must not trap")
			s := markerState(row.marker, nr)
			if i > 0 {
				assert.Equal(t, state, s, "%s: both Envoy profiles decide the same", f.name)
			}
			state = s
		}
		if blocked {
			assert.Empty(t, state, "%s app: the row is blocked at the boundary, but from what the app forwards (%s) the next sidecar decides %q",
				f.name, propagated(out), state)
		} else if strings.HasPrefix(row.setup, "gateway:") && row.marker == "tenant" && at != "" {
			assert.Equal(t, at, state, "%s app: the tenant the gateway accepted travels on (app forwards %s)", f.name, propagated(out))
		}
		if state == "" {
			state = map[string]string{"tenant": "baseline"}[row.marker]
			if state == "" {
				state = "unmarked"
			}
		}
		cells[f.name] = propagated(out) + " -> " + state
	}
	py := cells["Python (WSGI)"]
	if asgi := cells["Python (ASGI)"]; asgi != py {
		py += " (ASGI: " + asgi + ")"
	}
	return []string{cells["Go"], cells["JS"], py}
}

// appHopControl is the control for the app-hop columns: without a boundary in front, the families
// turn what a client sent into a marker the next sidecar acts on (each its own way), so the columns
// and the blocked-row assertion would see a leak.
func appHopControl(t *testing.T, fams []family, next map[string]map[testenv.Profile]*testenv.VM) {
	tests := []struct {
		marker, baggage string
		want            map[string]string // family -> next sidecar's decision
	}{
		{"tenant", "laneway-tenant=evil", map[string]string{"Go": "tenant evil", "JS": "tenant evil", "Python (WSGI)": "tenant evil", "Python (ASGI)": "tenant evil"}},
		{"tenant", "laneway%2Dtenant=evil", map[string]string{"Go": "", "JS": "tenant evil", "Python (WSGI)": "tenant evil", "Python (ASGI)": "tenant evil"}},
		{"tenant", "laneway-tenant+=evil", map[string]string{"Go": "", "JS": "", "Python (WSGI)": "tenant evil", "Python (ASGI)": "tenant evil"}},
		{"shadow", "laneway%2Dshadow=1", map[string]string{"Go": "", "JS": "write suppressed (202)", "Python (WSGI)": "write suppressed (202)", "Python (ASGI)": "write suppressed (202)"}},
		{"synthetic", "laneway%2Dsynthetic=tx-1", map[string]string{"Go": "", "JS": "write refused (403)", "Python (WSGI)": "write refused (403)", "Python (ASGI)": "write refused (403)"}},
	}
	for _, tc := range tests {
		for _, f := range fams {
			t.Run(tc.baggage+"/"+f.name, func(t *testing.T) {
				out := f.forward(t, http.Header{"Baggage": {tc.baggage}, "Traceparent": {hopTraceparent}})
				got := markerState(tc.marker, send(next[tc.marker][testenv.Envoy139], nextRequest(out)))
				assert.Equal(t, tc.want[f.name], got, "app forwards %s", propagated(out))
			})
		}
	}
}

// nextRequest is the app's next call: a POST to nextHost carrying the headers it injected.
func nextRequest(out http.Header) testenv.Headers {
	kv := []string{}
	for k, vs := range out {
		for _, v := range vs {
			kv = append(kv, strings.ToLower(k), v)
		}
	}
	return testenv.RequestHeaders("POST", nextHost, "/", kv...)
}
