package shadowtag

import (
	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/headerscan"
)

// QuietOn reports whether Decide in mode would pass the request s summarises (bags its baggage values) without
// reading it further: not a shadow copy by any signal (inbound and outbound), or nothing to strip (edge). Such a
// request gets no edit and no reply, and counts as passed, so a module holding the summary may skip Decide and
// count OutcomePassed. False when the summary cannot tell (a name of a marker header's length, an "sh" in the
// baggage, a -shadow authority) and in the modes whose decision needs more than the headers (auto before it
// resolved, waypoint): Decide then decides.
func (c *Config) QuietOn(mode Mode, s *headerscan.Summary, bags []string) bool {
	if c.ShadowWorkload {
		return false
	}
	mask := headerscan.LengthBit(len(MarkerHeader))
	for i := range c.MarkerHeaders {
		mask |= headerscan.LengthBit(len(c.MarkerHeaders[i].Name))
	}
	switch mode {
	case ModeOutbound:
		return !s.Has(mask) && (len(bags) == 0 || !mayMentionMarkerKey(bags))
	case ModeInbound:
		if c.HostSuffix {
			if _, _, shadow := parseAuthority(s.Authority); shadow {
				return false
			}
		}
		return !s.Has(mask) && (len(bags) == 0 || !mayMentionMarkerKey(bags))
	case ModeEdge:
		if s.Carriers || s.Has(mask|headerscan.LengthBit(len(c.RerouteHeader))) {
			return false
		}
		if _, _, shadow := parseAuthority(s.Authority); shadow {
			return false
		}
		return len(bags) == 0 || !baggage.MayHoldKeys(bags, MarkerBaggageKey)
	}
	return false
}
