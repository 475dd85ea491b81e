package shadowtag

import (
	"strings"
	"testing"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanNamePool are names scanCommon must tell apart: the ones it looks for, others of the same lengths that
// differ in one word, and ordinary ones.
var scanNamePool = []string{
	":authority", "host", ":method", MarkerHeader, "baggage", RequestIDHeader,
	":authoritz", "hosT", ":methoe", ":scheme", "baggagf", "x-request-ie", "y-request-id", "x-laneway-shadoW",
	"x-laneway-synthe", "user-agent", ":path", "accept", "traceparent", "", "h", "ot-baggage-laneway-shadow",
	"uberctx-laneway-shadow", "x-laneway-shadow-route",
}

// scanBoth runs scanCommon and scanAll (which compares every name with == through proxyhost.SameName) on
// pairs and returns what each found.
func scanBoth(pairs [][2]string) (common, all scan, commonBags, allBags []string) {
	var c Config // no marker headers: scanAll then looks for exactly what scanCommon does
	var b1, b2 [4]string
	commonBags = scanCommon(&common, pairs, b1[:0])
	allBags = c.scanAll(&all, pairs, b2[:0])
	return common, all, commonBags, allBags
}

func TestScanCommonFindsWhatScanAllFinds(t *testing.T) {
	for _, pairs := range [][][2]string{
		nil,
		{{":method", "GET"}, {":authority", "a:80"}, {"baggage", "x=1"}, {RequestIDHeader, "r1"}},
		{{"host", ""}, {"host", "h2"}, {"host", "h3"}, {":authority", ""}},
		{{":authority", "a"}, {":authority", ""}, {"host", "h"}},
		{{":method", "GET"}, {":method", "POST"}, {":scheme", "http"}, {":methoe", "PUT"}},
		{{RequestIDHeader, ""}, {RequestIDHeader, "r2"}, {RequestIDHeader, "r3"}, {"x-request-ie", "no"}},
		{{"baggage", "a=1"}, {"baggagf", "no"}, {"baggage", ""}, {"baggage", "b=2"}, {"baggage", "c"}, {"baggage", "d"}, {"baggage", "e"}},
		{{MarkerHeader, "0"}, {MarkerHeader, " TRUE "}, {MarkerHeader, "x"}, {"x-laneway-shadoW", "1"}},
		{{MarkerHeader, "1"}},
		{{"hosT", "h"}, {"x-laneway-shadow-route", "1"}, {"", ""}, {"h", "h"}},
	} {
		common, all, cb, ab := scanBoth(pairs)
		assert.Equal(t, all, common, "%q", pairs)
		assert.Equal(t, ab, cb, "%q", pairs)
	}
}

// FuzzScanCommon holds scanCommon to scanAll on requests of names from scanNamePool and a fuzzed one, with
// fuzzed values (empty ones included).
func FuzzScanCommon(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 0}, "x-laneway-shadow", "1", "laneway-shadow=1")
	f.Add([]byte{4, 4, 4, 0x84, 2, 0x82, 1, 0x81}, "host", "", "true")
	f.Fuzz(func(t *testing.T, picks []byte, name, v1, v2 string) {
		pairs := make([][2]string, 0, len(picks))
		for _, p := range picks {
			n := name
			if i := int(p&0x3f) % (len(scanNamePool) + 1); i < len(scanNamePool) {
				n = scanNamePool[i]
			}
			v := v1
			switch p >> 6 {
			case 1:
				v = v2
			case 2:
				v = ""
			}
			pairs = append(pairs, [2]string{n, v})
		}
		common, all, cb, ab := scanBoth(pairs)
		if common != all || !equalStrings(cb, ab) {
			t.Fatalf("%q: scanCommon %+v %q, scanAll %+v %q", pairs, common, cb, all, ab)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// mayMentionWant is mayMentionMarkerKey by its definition: some value long enough for the key has an "sh".
func mayMentionWant(values []string) bool {
	for _, v := range values {
		if len(v) >= len(MarkerBaggageKey) && strings.Contains(v, "sh") {
			return true
		}
	}
	return false
}

func TestMayMentionMarkerKey(t *testing.T) {
	for _, values := range [][]string{
		nil, {""}, {"userid=42,laneway-tenant=sbx-1"}, {"laneway-shadow=1"}, {"a=1", "laneway-shadow=1"},
		{"sh"}, {"xxxxxxxxxxxxsh"}, {"shxxxxxxxxxxxx"}, {"xxxxxxxsxhxxxx"}, {"xxxxxxxsh"}, {"xxxxxxxxxxxxxxxxxs", "hxxxxxxxxxxxxxxx"},
		{"laneway%2Dshadow=1"}, {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxsh"}, {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxsh"},
	} {
		assert.Equal(t, mayMentionWant(values), mayMentionMarkerKey(values), "%q", values)
	}
}

// FuzzMayMentionMarkerKey holds mayMentionMarkerKey to its definition, and to being safe to act on: when it is
// false, LookupElseAny finds no marker value and no match, as detect then assumes without calling it.
func FuzzMayMentionMarkerKey(f *testing.F) {
	f.Add("userid=42,laneway-tenant=sbx-1", "laneway-shadow=1")
	f.Add("laneway-shadow=true;p", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, values := range [][]string{{a}, {a, b}, {b, a, b}} {
			got := mayMentionMarkerKey(values)
			if got != mayMentionWant(values) {
				t.Fatalf("mayMentionMarkerKey(%q) = %v", values, got)
			}
			if !got {
				if v, ok, any := baggage.LookupElseAny(values, MarkerBaggageKey, isTrue); v != "" || ok || any {
					t.Fatalf("LookupElseAny(%q) = %q %v %v where the key cannot occur", values, v, ok, any)
				}
			}
		}
	})
}

// resetBefore is Decision.reset as it was: a whole new Decision keeping Edits' memory and the buffers.
func resetBefore(d *Decision, mode Mode) {
	edits := d.Edits[:0]
	if cap(edits) > maxKeptEdits {
		edits = nil
	}
	clear(d.Edits)
	*d = Decision{Verdict: proxyhost.Verdict{Edits: edits}, Mode: mode, bagBuf: d.bagBuf, hostBuf: d.hostBuf}
}

func TestResetLeavesWhatAFreshDecisionHas(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound"}`)
	for _, edits := range []int{0, 3, maxKeptEdits + 1} {
		var got, want Decision
		for _, d := range []*Decision{&got, &want} {
			c.Suppress(d)
			d.reply.Detail = "detail"
			d.Edits = make([]proxyhost.Edit, edits, edits+1)
			for i := range d.Edits {
				d.Edits[i] = proxyhost.Edit{Name: "n", Value: "v"}
			}
			d.Reroute, d.Mode, d.Shadow, d.Signals, d.Outcome = true, ModeEdge, true, SignalPrincipal, OutcomeStripped
			d.Method, d.Destination, d.Redacted, d.RedactBody, d.RequestID = "m", "d", true, true, "r"
		}
		edited := got.Edits
		got.reset(ModeInbound)
		resetBefore(&want, ModeInbound)
		require.Equal(t, want, got)
		for _, e := range edited {
			assert.Equal(t, proxyhost.Edit{}, e, "no request's strings kept alive")
		}
	}
}
