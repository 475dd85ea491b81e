package shadowtag

import "github.com/laneway/laneway/filters/headerscan"

// QuietOn reports whether Decide in mode would pass the request whose headers s summarises without
// reading it further: not a shadow copy by any signal (inbound and outbound), or nothing to strip (edge). Such a
// request gets no edit and no reply, and counts as passed, so a module holding the summary may skip Decide and
// count OutcomePassed. False when the summary cannot tell (a name of a marker header's length, an "sh" in the
// baggage, a -shadow authority) and in the modes whose decision needs more than the headers (auto before it
// resolved, waypoint): Decide then decides. keyMayOccur is false only when no baggage value may hold
// MarkerBaggageKey as any propagator reads it: baggage.MayHoldKeys is false, or a baggage.Sieve says so.
func (c *Config) QuietOn(mode Mode, headers [][2]string, s *headerscan.Summary, keyMayOccur bool) bool {
	if c.ShadowWorkload || keyMayOccur {
		return false
	}
	mask := headerscan.LengthBit(len(MarkerHeader))
	for i := range c.MarkerHeaders {
		mask |= headerscan.LengthBit(len(c.MarkerHeaders[i].Name))
	}
	switch mode {
	case ModeOutbound:
		return !s.Has(mask)
	case ModeInbound:
		return !s.Has(mask) && !(c.HostSuffix && shadowAuthority(headerscan.Authority(headers)))
	case ModeEdge:
		return !s.Has(mask|headerscan.LengthBit(len(c.RerouteHeader))) && !headerscan.Carriers(headers) &&
			!shadowAuthority(headerscan.Authority(headers))
	}
	return false
}

// shadowAuthority reports whether authority carries the -shadow suffix Envoy's mirroring appends.
func shadowAuthority(authority string) bool {
	_, _, shadow := parseAuthority(authority)
	return shadow
}
