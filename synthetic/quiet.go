package synthetic

import (
	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/headerscan"
)

// QuietOn reports whether Decide would pass the request s summarises (bags its baggage values) as unmarked
// without reading it further: no marker in a header or baggage member, and, where markers are checked (every
// mode but outbound), no token header, no other propagator's carrier and no baggage member another parser might
// read as the marker. Such a request gets no edit, no reply, no fact to read and no count, so a module holding the
// summary may skip Decide. False when the summary cannot tell (a name of a marker header's length, a mention of
// the key): Decide then decides.
func (c *Config) QuietOn(s *headerscan.Summary, bags []string) bool {
	mask := headerscan.LengthBit(len(c.Header))
	if c.Mode != ModeOutbound {
		if s.Carriers {
			return false
		}
		mask |= headerscan.LengthBit(len(c.TokenHeader))
	}
	return !s.Has(mask) && (len(bags) == 0 || !baggage.MayHoldKeys(bags, c.BaggageKey))
}
