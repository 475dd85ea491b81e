package synthetic

import (
	"testing"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/stretchr/testify/require"
)

// scanBefore is Config.scan as it was before the word compares and the call-free first pass, kept as a
// differential reference.
func (c *Config) scanBefore(headers [][2]string, s *scan) {
	*s = scan{}
	var arr [4]string
	bags := arr[:0]
	for i := range headers {
		k, v := headers[i][0], headers[i][1]
		// The constant cases first and together: Go's switch picks among them by length before it compares
		// bytes (c.Header is never one of them: ParseConfig refuses pseudo-headers and baggage).
		switch k {
		case ":method":
			s.method = v
		case ":authority":
			s.authority = v
		case "baggage":
			bags = append(bags, v)
		case c.Header:
			s.present = true
			if s.headerCount++; s.headerCount == 1 {
				s.headerFirst = v
			}
			s.addID(parseHeaderMarker(v))
		default:
			if k == c.TokenHeader {
				s.tokens++
				s.token = v
			} else if !s.carriers && c.Mode != ModeOutbound && mayBeCarrier(k) && c.CarrierHeader(k) {
				// Other propagators' carriers matter only where the marker is checked: not outbound.
				s.carriers = true
			}
		}
	}
	// A member may hold the marker where the key's text occurs, or where a key holds an escape that some
	// propagator decodes (laneway%2Dsynthetic): see filters/baggage, "Keys as other propagators read them".
	if !baggage.MayHoldKeys(bags, c.BaggageKey) {
		return
	}
	s.bagMention = true
	if v, ok := baggage.Lookup(bags, c.BaggageKey); ok {
		s.present, s.inBaggage = true, true
		s.addID(parseBaggageMarker(v))
		return
	}
	// The key text occurs but Lookup found no single value: either another
	// key or value merely contains it, or the key occurs with conflicting
	// values (which an application's parser would still read).
	if baggage.Has(bags, c.BaggageKey) {
		s.present, s.inBaggage, s.bad = true, true, true
	}
}

// scanConfigs are configurations whose names collide in length with the constant names and with each other.
var scanConfigs = []string{
	`{"mode":"outbound"}`,
	`{"mode":"inbound","trust":{"principals":["spiffe://a"],"token":{"secret":"` + testSecret + `"}}}`,
	`{"mode":"edge","header":"x-synth","baggageKey":"k","trust":{"token":{"secret":"` + testSecret + `","header":"x-synth-tok"}}}`,
	`{"header":"ot-baggage-x","baggageKey":"laneway-x"}`,
	`{"mode":"inbound","header":"uberctx-h","trust":{"token":{"secret":"` + testSecret + `","header":"ot-baggage-t"}}}`,
}

// scanNamePool are header names the fuzzer picks from beside its own.
var scanNamePool = []string{
	":method", ":authority", "baggage", "BAGGAGE", ":path", "x-laneway-synthetic", "x-laneway-synthetic-token",
	"ot-baggage-laneway-synthetic", "UBERCTX-laneway-synthetic", "uberctx-laneway%2Dsynthetic", "uberctx-k", "uberctx-h", "ot-baggage-t", "OT-BAGGAGE-T",
	"user-agent", "x-synth", "x-synth-tok", "ot-baggage-x", "uberctx-t", "Ot-Baggage-K", "origin",
}

// FuzzScanAgreesWithBefore: the scan finds what it found before, whatever the headers and configuration.
func FuzzScanAgreesWithBefore(f *testing.F) {
	f.Add("x-laneway-synthetic", "1;id=a", "laneway-synthetic=b,k=1", "uberctx-laneway-synthetic", uint64(0x0123456789))
	f.Add("x-synth", "1", "k=2;p, laneway-synthetic=3", "x", uint64(0xfedcba9876543210))
	f.Fuzz(func(t *testing.T, name, value, bag, name2 string, pick uint64) {
		var headers [][2]string
		for i := 0; i < 12 && pick != 0; i++ {
			var k string
			switch p := int(pick & 0x1f); {
			case p < len(scanNamePool):
				k = scanNamePool[p]
			case p&1 == 0:
				k = name
			default:
				k = name2
			}
			v := value
			if k == "baggage" || pick&0x20 != 0 {
				v = bag
			}
			headers = append(headers, [2]string{k, v})
			pick >>= 6
		}
		for _, cfg := range scanConfigs {
			c, err := ParseConfig([]byte(cfg))
			require.NoError(t, err, cfg)
			for _, direction := range []int64{1, 2} {
				c := c
				if c.Mode == ModeUnset {
					c, _ = c.WithDirection(direction)
				}
				var got, want scan
				c.scan(headers, &got)
				c.scanBefore(headers, &want)
				require.Equal(t, want, got, "config %s, headers %q", cfg, headers)
			}
		}
	})
}
