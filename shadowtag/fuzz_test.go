package shadowtag

import (
	"io"
	"log"
	"testing"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// fuzzConfigs cover every mode and both containment actions.
var fuzzConfigs = []string{
	`{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-mirror"}]},"inbound":{"restoreHost":true}}`,
	`{"mode":"outbound","detect":{"markerHeaders":[{"name":"x-mirror","value":"1"}]},"outbound":{"allow":["audit","*.stubs"]}}`,
	`{"mode":"outbound","detect":{"shadowWorkload":true},"outbound":{"action":"reroute"}}`,
	`{"mode":"edge","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`,
}

// fuzzHeaders builds a request from fuzzed parts, each header present only when its part is non-empty.
func fuzzHeaders(method, authority, marker, bag, name, value string) [][2]string {
	h := make([][2]string, 0, 8)
	add := func(k, v string) {
		if v != "" {
			h = append(h, [2]string{k, v})
		}
	}
	add(":method", method)
	add(":authority", authority)
	add(MarkerHeader, marker)
	add("baggage", bag)
	add("baggage", value)
	if name != "" {
		h = append(h, [2]string{name, value})
	}
	add("x-mirror", marker)
	return h
}

func addFuzzSeeds(f *testing.F) {
	f.Add("POST", "svc-shadow:8080", "1", "laneway-shadow=1", "x-laneway-shadow-route", "x")
	f.Add("GET", "svc:8080-shadow", "", "a=1,laneway-shadow=0", "host", "svc-shadow")
	f.Add("DELETE", "[::1]-shadow:1", "true", "laneway-shadow=%31", "x-mirror", "1")
	f.Add("", "audit-shadow", "0", ",,;", ":authority", "")
	f.Add("post", "x.stubs.", "1", "laneway-shadow=1,laneway-shadow=1", "baggage", "laneway-shadow=true")
}

func FuzzDecide(f *testing.F) {
	addFuzzSeeds(f)
	configs := make([]Config, len(fuzzConfigs))
	for i, js := range fuzzConfigs {
		configs[i] = mustConfig(f, js)
	}
	f.Fuzz(func(t *testing.T, method, authority, marker, bag, name, value string) {
		pairs := fuzzHeaders(method, authority, marker, bag, name, value)
		for _, c := range configs {
			mode := c.Resolve(0)
			d := c.decideFor(mode, pairs)
			edited := applied(pairs, d)
			switch d.Outcome {
			case OutcomeSuppressed:
				if d.Continue() || !d.Shadow || mode != ModeOutbound || len(d.Edits) != 0 || d.Reroute {
					t.Fatalf("suppressed request must stop, be outbound shadow, edit nothing: %+v", d)
				}
			case OutcomeRerouted:
				if !d.Reroute {
					t.Fatalf("a rerouted request must ask Envoy to re-select the route: %+v", d)
				}
				if got := values(edited, c.RerouteHeader); len(got) != 1 || got[0] != c.RerouteValue {
					t.Fatalf("rerouted request lacks %s: %q", c.RerouteHeader, got)
				}
			}
			if !d.Continue() && d.Outcome != OutcomeSuppressed {
				t.Fatalf("only suppression stops a request: %+v", d)
			}
			if d.Shadow && d.Outcome != OutcomeSuppressed {
				if got := values(edited, MarkerHeader); len(got) != 1 || got[0] != MarkerValue {
					t.Fatalf("a continuing shadow request must carry exactly %s: 1, got %q", MarkerHeader, got)
				}
				again := c.decideFor(mode, edited)
				if !again.Shadow || again.Signals&SignalLanewayHeader == 0 {
					t.Fatalf("marking is not recognised on the next hop: %+v", again)
				}
				for _, e := range again.Edits {
					if e.Name == MarkerHeader {
						t.Fatalf("marking is not idempotent: %+v", again.Edits)
					}
				}
			}
			if mode == ModeEdge {
				if len(values(edited, MarkerHeader)) != 0 || len(values(edited, "x-mirror")) != 0 {
					t.Fatalf("edge left a marker header: %q", edited)
				}
				if _, ok := baggage.Lookup(values(edited, "baggage"), MarkerBaggageKey); ok {
					t.Fatalf("edge left the baggage marker: %q", edited)
				}
				if again := c.decideFor(mode, edited); again.Outcome != OutcomePassed {
					t.Fatalf("stripping is not idempotent: %+v on %q", again, edited)
				}
			}
		}
	})
}

func values(h [][2]string, name string) []string { return headerValues(h, name) }

// silenceLogs discards the standard logger (proxytest logs every host call) until tb ends.
func silenceLogs(tb testing.TB) {
	prev := log.Writer()
	log.SetOutput(io.Discard)
	tb.Cleanup(func() { log.SetOutput(prev) })
}

// FuzzFilter drives whole filters under proxytest with random headers: no panic, and a
// request stops exactly when a local response was sent and counted as suppressed.
func FuzzFilter(f *testing.F) {
	addFuzzSeeds(f)
	silenceLogs(f)
	f.Fuzz(func(t *testing.T, method, authority, marker, bag, name, value string) {
		pairs := fuzzHeaders(method, authority, marker, bag, name, value)
		for _, js := range fuzzConfigs {
			host, _, reset := startHost(t, js, 0)
			id := host.InitializeHttpContext()
			action := host.CallOnRequestHeaders(id, pairs, true)
			local := host.GetSentLocalResponse(id)
			suppressed := counter(t, host, "suppressed")
			if (action == types.ActionPause) != (local != nil) || (local != nil) != (suppressed == 1) {
				t.Fatalf("%s: action %v, local response %v, suppressed counter %d", js, action, local != nil, suppressed)
			}
			host.CompleteHttpContext(id)
			reset()
		}
	})
}
