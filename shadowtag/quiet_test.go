package shadowtag

import (
	"testing"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/headerscan/fuzzpairs"
	"github.com/stretchr/testify/assert"
)

// quietConfigs cover the modes QuietOn answers for, with and without marker headers and the host suffix.
var quietConfigs = []string{
	`{"mode":"outbound"}`,
	`{"mode":"inbound"}`,
	`{"mode":"edge"}`,
	`{"mode":"inbound","detect":{"hostSuffix":false,"markerHeaders":[{"name":"x-mirror","value":"1"}]}}`,
	`{"mode":"outbound","detect":{"markerHeaders":[{"name":"x-mirror"}]},"outbound":{"action":"reroute"}}`,
	`{"mode":"edge","detect":{"markerHeaders":[{"name":"x-mirror"}]},"outbound":{"action":"reroute","reroute":{"header":"x-to-double","value":"1"}}}`,
	`{"mode":"outbound","detect":{"shadowWorkload":true}}`,
	`{"mode":"waypoint"}`,
}

// summarise returns headers' summary and whether a baggage value may hold MarkerBaggageKey (what a module passes
// QuietOn).
func summarise(headers [][2]string) (headerscan.Summary, bool) {
	var s headerscan.Summary
	headerscan.Scan(headers, &s)
	var buf [4]string
	bags := s.Baggage(headers, buf[:0])
	return s, len(bags) > 0 && baggage.MayHoldKeys(bags, MarkerBaggageKey)
}

// quietOn summarises headers and asks c's QuietOn in mode.
func quietOn(c *Config, mode Mode, headers [][2]string) bool {
	s, keyMayOccur := summarise(headers)
	return c.QuietOn(mode, headers, &s, keyMayOccur)
}

// assertQuietIsPassed fails unless Decide passes a request QuietOn called quiet, as the combined module then
// counts it without calling Decide.
func assertQuietIsPassed(t *testing.T, c *Config, mode Mode, headers [][2]string) {
	t.Helper()
	if c.QuietByLengths(mode) {
		// QuietOn is then the lengths-and-key test, with the key's mention as the test gives it.
		s, keyMayOccur := summarise(headers)
		for _, k := range []bool{false, true, keyMayOccur} {
			if c.QuietOn(mode, headers, &s, k) != (!k && !s.Has(c.LoudLengths(mode))) {
				t.Fatalf("mode %v: QuietByLengths, but QuietOn(keyMayOccur %v) is not the lengths-and-key test for %q", mode, k, headers)
			}
		}
	}
	if !quietOn(c, mode, headers) {
		return
	}
	d := c.decideFor(mode, headers)
	if d.Outcome != OutcomePassed || d.Shadow || len(d.Edits) != 0 || d.Reply != nil || d.Reroute {
		t.Fatalf("mode %v: QuietOn said quiet, Decide: outcome %v shadow %v edits %+v reply %v reroute %v for %q",
			mode, d.Outcome, d.Shadow, d.Edits, d.Reply != nil, d.Reroute, headers)
	}
}

func TestQuietOnOrdinaryRequestsOnly(t *testing.T) {
	ordinary := [][2]string{
		{":method", "POST"}, {":authority", "svc-b.shop:8080"}, {":path", "/"}, {"user-agent", "x"},
		{"baggage", "userid=42,laneway-tenant=sbx-1"}, {"x-request-id", "r1"},
	}
	with := func(h ...[2]string) [][2]string { return append(append([][2]string(nil), ordinary...), h...) }
	for _, tc := range []struct {
		name    string
		config  string
		mode    Mode
		headers [][2]string
		quiet   bool
	}{
		{"outbound ordinary", `{"mode":"outbound"}`, ModeOutbound, ordinary, true},
		{"inbound ordinary", `{"mode":"inbound"}`, ModeInbound, ordinary, true},
		{"edge ordinary", `{"mode":"edge"}`, ModeEdge, ordinary, true},
		{"no headers", `{"mode":"outbound"}`, ModeOutbound, nil, true},
		{"outbound marker header", `{"mode":"outbound"}`, ModeOutbound, with([2]string{MarkerHeader, "1"}), false},
		{"outbound baggage marker", `{"mode":"outbound"}`, ModeOutbound, with([2]string{"baggage", "laneway-shadow=1"}), false},
		{"inbound mirrored host", `{"mode":"inbound"}`, ModeInbound, with([2]string{":authority", "svc-b-shadow:8080"}), false},
		{"inbound mirrored host without the host signal", `{"mode":"inbound","detect":{"hostSuffix":false}}`, ModeInbound, with([2]string{":authority", "svc-b-shadow:8080"}), true},
		{"edge client-set mirror host", `{"mode":"edge"}`, ModeEdge, with([2]string{":authority", "svc-b-shadow"}), false},
		{"edge carrier", `{"mode":"edge"}`, ModeEdge, with([2]string{"uberctx-laneway-shadow", "1"}), false},
		{"edge escaped baggage key", `{"mode":"edge"}`, ModeEdge, with([2]string{"baggage", "laneway%2Dshadow=1"}), false},
		{"marker header configured", `{"mode":"outbound","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`, ModeOutbound, with([2]string{"x-mirror", "1"}), false},
		{"shadow workload", `{"mode":"outbound","detect":{"shadowWorkload":true}}`, ModeOutbound, ordinary, false},
		{"waypoint asks Decide", `{"mode":"waypoint"}`, ModeWaypoint, ordinary, false},
		{"auto unresolved asks Decide", `{}`, 0, ordinary, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustConfig(t, tc.config)
			assert.Equal(t, tc.quiet, quietOn(&c, tc.mode, tc.headers))
			assertQuietIsPassed(t, &c, tc.mode, tc.headers)
		})
	}
}

// quietNamePool are the names QuietOn must not miss (every one a decision acts on, in other cases too) and
// others of the same lengths.
var quietNamePool = []string{
	":authority", "host", ":method", MarkerHeader, "baggage", RequestIDHeader, "x-mirror", "x-to-double",
	"x-laneway-shadow-route", "x-laneway-shadoX", "x-mirroR", "uberctx-laneway-shadow", "UBERCTX-laneway-shadow",
	"ot-baggage-laneway-shadow", "ot-baggage-laneway%2Dshadow", "uberctx-x", "user-agent", ":path", "",
}

// quietValuePool are values that make some decision act, and ordinary ones.
var quietValuePool = []string{
	"1", "true", " TRUE ", "0", "", "svc-b:8080", "svc-b-shadow:8080", "svc-b-SHADOW", "[::1]-shadow:1",
	"laneway-shadow=1", "a=1,laneway-shadow=true", "laneway%2Dshadow=1", "laneway-shadow", "userid=42,laneway-tenant=sbx-1",
	"POST", "GET", "sh",
}

// FuzzQuietOnIsPassed holds QuietOn to Decide: every request it calls quiet, in every mode of quietConfigs, is
// one Decide passes without an edit, a reply or a shadow signal.
func FuzzQuietOnIsPassed(f *testing.F) {
	f.Add([]byte{0, 0x21, 2, 0x43, 4, 0x59}, "x-laneway-shadow", "svc-shadow")
	f.Add([]byte{0x80, 0x82, 0x84, 0x8c}, "uberctx-laneway-shadow", "laneway-shadow=1")
	configs := make([]Config, len(quietConfigs))
	for i, js := range quietConfigs {
		configs[i] = mustConfig(f, js)
	}
	f.Fuzz(func(t *testing.T, picks []byte, name, value string) {
		pairs := fuzzpairs.FromPicks(picks, quietNamePool, quietValuePool, name, value)
		for i := range configs {
			c := &configs[i]
			for _, mode := range []Mode{ModeInbound, ModeOutbound, ModeEdge, ModeWaypoint} {
				assertQuietIsPassed(t, c, mode, pairs)
			}
		}
	})
}

// mayBeShadowAuthority is a superset of parseAuthority's shadow, and false for the usual authorities.
func TestMayBeShadowAuthorityHoldsEveryShadowAuthority(t *testing.T) {
	for _, a := range []string{"svc-b-shadow", "svc-b-SHADOW", "svc-b-shadow:8080", "svc-b-shadow:", "svc:8080-shadow",
		"[::1]-shadow:1", "[::1]:80-Shadow", "x-shadow", "-shadow", "-shadow:1", "a:b-shadow:1", "svc-b.ns.svc.cluster.local-shadow:80",
		"", ":", "1", "svc-b:8080", "svc-b.shop.svc.cluster.local:8080", "shadow", "svc-shadowx:80", "svc-shadow:8o", "[::1]:8080"} {
		if _, _, shadow := parseAuthority(a); shadow && !mayBeShadowAuthority(a) {
			t.Errorf("%q: parseAuthority finds the -shadow suffix, mayBeShadowAuthority does not", a)
		}
	}
	for _, a := range []string{"svc-b:8080", "svc-b.shop.svc.cluster.local:8080", "shop.example.com", "[::1]:8080", "10.0.0.1"} {
		assert.False(t, mayBeShadowAuthority(a), a)
	}
}

func FuzzMayBeShadowAuthority(f *testing.F) {
	for _, a := range []string{"svc-b-shadow:8080", "svc:8080-shadow", "svc-b:8080", "[::1]-shadow:1", "-shadow:"} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, a string) {
		if _, _, shadow := parseAuthority(a); shadow && !mayBeShadowAuthority(a) {
			t.Fatalf("%q: parseAuthority finds the -shadow suffix, mayBeShadowAuthority does not", a)
		}
	})
}
