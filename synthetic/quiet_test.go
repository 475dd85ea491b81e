package synthetic

import (
	"testing"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/headerscan/fuzzpairs"
	"github.com/stretchr/testify/assert"
)

// summarise returns headers' summary and whether a baggage value may hold key (what a module passes QuietOn).
func summarise(headers [][2]string, key string) (headerscan.Summary, bool) {
	var s headerscan.Summary
	headerscan.Scan(headers, &s)
	var buf [4]string
	bags := s.Baggage(headers, buf[:0])
	return s, len(bags) > 0 && baggage.MayHoldKeys(bags, key)
}

// quietOn summarises headers and asks c's QuietOn.
func quietOn(c *Config, headers [][2]string) bool {
	s, keyMayOccur := summarise(headers, c.BaggageKey)
	return c.QuietOn(headers, &s, keyMayOccur)
}

// assertQuietIsUnmarked fails unless Decide passes a request QuietOn called quiet as unmarked, as the combined
// module then takes it without calling Decide: no action, no edit, no reply, no fact asked for, nothing counted.
func assertQuietIsUnmarked(t *testing.T, c *Config, headers [][2]string) {
	t.Helper()
	if c.QuietByLengths() {
		// QuietOn is then the lengths-and-key test, with the key's mention as the test gives it.
		s, keyMayOccur := summarise(headers, c.BaggageKey)
		for _, k := range []bool{false, true, keyMayOccur} {
			if c.QuietOn(headers, &s, k) != (!k && !s.Has(c.LoudLengths())) {
				t.Fatalf("mode %v: QuietByLengths, but QuietOn(keyMayOccur %v) is not the lengths-and-key test for %q", c.Mode, k, headers)
			}
		}
	}
	if !quietOn(c, headers) {
		return
	}
	for _, f := range []*Facts{{}, noFacts} {
		d := decide(c, headers, f)
		if d.Action != ActionNone || d.Need != 0 || d.Counts() || d.Synthetic() || len(d.Edits) != 0 || d.Reply != nil || d.Reroute || d.AwaitAck {
			t.Fatalf("mode %v: QuietOn said quiet, Decide: action %v need %v edits %+v reply %v reroute %v ack %v for %q",
				c.Mode, d.Action, d.Need, d.Edits, d.Reply != nil, d.Reroute, d.AwaitAck, headers)
		}
	}
}

// quietConfigs cover every mode, the token header, and custom marker and token names.
var quietConfigs = []string{
	`{"mode":"outbound","participants":["orders"],"ack":{"required":true}}`,
	`{"mode":"inbound","trust":{"principals":["` + trustedSA + `"],"token":{"secret":"` + testSecret + `"}}}`,
	`{"mode":"edge","trust":{"principals":["` + trustedSA + `"]}}`,
	`{"mode":"waypoint","trust":{"principals":["` + trustedSA + `"]}}`,
	`{"mode":"inbound","header":"x-synth","baggageKey":"synth","trust":{"token":{"header":"x-synth-token","secret":"` + testSecret + `"}}}`,
	`{}`,
}

func TestQuietOnUnmarkedRequestsOnly(t *testing.T) {
	ordinary := [][2]string{
		{":method", "POST"}, {":authority", "billing:8080"}, {":path", "/"}, {"user-agent", "x"},
		{"baggage", "userid=42,laneway-tenant=sbx-1"}, {"x-request-id", "r1"},
	}
	with := func(h ...[2]string) [][2]string { return append(append([][2]string(nil), ordinary...), h...) }
	for _, tc := range []struct {
		name    string
		config  string
		headers [][2]string
		quiet   bool
	}{
		{"outbound unmarked", `{"mode":"outbound"}`, ordinary, true},
		{"inbound unmarked", quietConfigs[1], ordinary, true},
		{"edge unmarked", quietConfigs[2], ordinary, true},
		{"no headers", `{"mode":"outbound"}`, nil, true},
		{"marker header", `{"mode":"outbound"}`, with([2]string{"x-laneway-synthetic", "1"}), false},
		{"marker in baggage", `{"mode":"outbound"}`, with([2]string{"baggage", "laneway-synthetic=1"}), false},
		{"escaped key in baggage", quietConfigs[1], with([2]string{"baggage", "laneway%2Dsynthetic=1"}), false},
		{"token header inbound", quietConfigs[1], with([2]string{"x-laneway-synthetic-token", "t"}), false},
		{"token header outbound is not looked at", `{"mode":"outbound"}`, with([2]string{"x-laneway-synthetic-token", "t"}), true},
		{"carrier inbound", quietConfigs[1], with([2]string{"uberctx-laneway-synthetic", "1"}), false},
		{"carrier outbound is not looked at", `{"mode":"outbound"}`, with([2]string{"uberctx-laneway-synthetic", "1"}), true},
		{"custom marker header", quietConfigs[4], with([2]string{"x-synth", "1"}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustConfig(t, tc.config)
			assert.Equal(t, tc.quiet, quietOn(c, tc.headers))
			assertQuietIsUnmarked(t, c, tc.headers)
		})
	}
}

// quietNamePool are the names QuietOn must not miss and others of the same lengths.
var quietNamePool = []string{
	":authority", ":method", "baggage", "x-laneway-synthetic", "x-laneway-synthetic-token", "x-synth", "x-synth-token",
	"x-laneway-syntheticX", "x-laneway-synthetiX", "uberctx-laneway-synthetic", "OT-BAGGAGE-laneway-synthetic",
	"ot-baggage-laneway%2Dsynthetic", "uberctx-synth", "user-agent", "host", "",
}

// quietValuePool are values that make some decision act, and ordinary ones.
var quietValuePool = []string{
	"1", "1;id=0af7651916cd43dd8448eb211c80319c", "", "POST", "GET", "orders", "billing:8080",
	"laneway-synthetic=1", "a=1,laneway-synthetic=1;id=x", "laneway%2Dsynthetic=1", "synth=1", "laneway-synthetic",
	"userid=42,laneway-tenant=sbx-1", "a=%41",
}

// FuzzQuietOnIsUnmarked holds QuietOn to Decide: every request it calls quiet, for every configuration of
// quietConfigs, is one Decide passes as unmarked.
func FuzzQuietOnIsUnmarked(f *testing.F) {
	f.Add([]byte{0, 4, 1, 3, 2, 12}, "x-laneway-synthetic", "1")
	f.Add([]byte{9, 0, 2, 9}, "ot-baggage-laneway-synthetic", "laneway-synthetic=1")
	configs := make([]*Config, len(quietConfigs))
	for i, js := range quietConfigs {
		configs[i] = mustConfig(f, js)
	}
	f.Fuzz(func(t *testing.T, picks []byte, name, value string) {
		pairs := fuzzpairs.FromPicks(picks, quietNamePool, quietValuePool, name, value)
		for _, c := range configs {
			assertQuietIsUnmarked(t, c, pairs)
		}
	})
}
