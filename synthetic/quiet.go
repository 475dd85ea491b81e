package synthetic

import "github.com/laneway/laneway/filters/headerscan"

// QuietOn reports whether Decide would pass the request whose headers s summarises as unmarked
// without reading it further: no marker in a header or baggage member, and, where markers are checked (every
// mode but outbound), no token header, no other propagator's carrier and no baggage member another parser might
// read as the marker. Such a request gets no edit, no reply, no fact to read and no count, so a module holding the
// summary may skip Decide. False when the summary cannot tell (a name of a marker header's length, a mention of
// the key): Decide then decides. keyMayOccur is false only when no baggage value may hold c.BaggageKey as any
// propagator reads it: baggage.MayHoldKeys is false, or a baggage.Sieve says so.
func (c *Config) QuietOn(headers [][2]string, s *headerscan.Summary, keyMayOccur bool) bool {
	if keyMayOccur || s.Has(c.LoudLengths()) {
		return false
	}
	return c.Mode == ModeOutbound || !headerscan.Carriers(headers)
}

// QuietByLengths reports whether QuietOn(headers, s, keyMayOccur) is exactly !keyMayOccur && !s.Has(c.LoudLengths())
// for every request: it then reads nothing of the headers themselves (outbound, where no carrier is looked at), so
// a module may keep that test, decided once per configuration, in place of the call.
func (c *Config) QuietByLengths() bool { return c.Mode == ModeOutbound }

// LoudLengths returns the headerscan length bits of the names whose presence alone makes QuietOn false: the
// marker header's and, where markers are checked (every mode but outbound), the token header's.
func (c *Config) LoudLengths() uint64 {
	if c.Mode == ModeOutbound {
		return headerscan.LengthBit(len(c.Header))
	}
	return headerscan.LengthBit(len(c.Header)) | headerscan.LengthBit(len(c.TokenHeader))
}
