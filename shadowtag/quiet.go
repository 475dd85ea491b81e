package shadowtag

import (
	"math/bits"

	"github.com/laneway/laneway/filters/bytewords"
	"github.com/laneway/laneway/filters/headerscan"
)

// QuietOn reports whether Decide in mode would pass the request whose headers s summarises without
// reading it further: not a shadow copy by any signal (inbound and outbound), or nothing to strip (edge). Such a
// request gets no edit and no reply, and counts as passed, so a module holding the summary may skip Decide and
// count OutcomePassed. False when the summary cannot tell (a name of a marker header's length, an "sh" in the
// baggage, a -shadow authority) and in the modes whose decision needs more than the headers (auto before it
// resolved, waypoint): Decide then decides. keyMayOccur is false only when no baggage value may hold
// MarkerBaggageKey as any propagator reads it: baggage.MayHoldKeys is false, or a baggage.Sieve says so.
func (c *Config) QuietOn(mode Mode, headers [][2]string, s *headerscan.Summary, keyMayOccur bool) bool {
	if c.ShadowWorkload || keyMayOccur || s.Has(c.LoudLengths(mode)) {
		return false
	}
	switch mode {
	case ModeOutbound:
		return true
	case ModeInbound:
		return !(c.HostSuffix && mayBeShadowAuthority(headerscan.Authority(headers)))
	case ModeEdge:
		return !headerscan.Carriers(headers) && !mayBeShadowAuthority(headerscan.Authority(headers))
	}
	return false
}

// QuietByLengths reports whether QuietOn(mode, headers, s, keyMayOccur) is exactly !keyMayOccur &&
// !s.Has(c.LoudLengths(mode)) for every request: it then reads nothing of the headers themselves (outbound, not a
// shadow workload), so a module may keep that test, decided once per configuration and mode, in place of the call.
func (c *Config) QuietByLengths(mode Mode) bool { return mode == ModeOutbound && !c.ShadowWorkload }

// LoudLengths returns the headerscan length bits of the names whose presence alone makes QuietOn false in mode:
// the marker headers' (laneway's and the configured ones), at the edge the reroute header's too; every bit where
// QuietOn is never true (auto unresolved, waypoint, a shadow workload).
func (c *Config) LoudLengths(mode Mode) uint64 {
	if c.ShadowWorkload || mode != ModeInbound && mode != ModeOutbound && mode != ModeEdge {
		return ^uint64(0)
	}
	m := headerscan.LengthBit(len(MarkerHeader))
	for i := range c.MarkerHeaders {
		m |= headerscan.LengthBit(len(c.MarkerHeaders[i].Name))
	}
	if mode == ModeEdge {
		m |= headerscan.LengthBit(len(c.RerouteHeader))
	}
	return m
}

// Little-endian words of "-sha" and "adow" (shadowSuffix) with the bits foldWord32 sets.
const (
	foldWord32  = 0x20202020
	wordDashSha = '-' | 's'<<8 | 'h'<<16 | 'a'<<24
	wordAdow    = 'a' | 'd'<<8 | 'o'<<16 | 'w'<<24
	low7        = 0x7f7f7f7f7f7f7f7f // the low seven bits of every byte
)

// mayBeShadowAuthority is false only when parseAuthority finds no -shadow suffix in authority: a superset of its
// shadow, without its calls. A suffixed authority ends in "-shadow" (any case), or in "-shadow" followed by a
// colon and digits (the port splitHostPort splits off). The two places are compared as words, OR-ing foldWord32
// in (which lowers ASCII letters and maps some other bytes onto them: a superset); the colon is the last one in
// the authority's last eight bytes (a word test, no loop), else found byte by byte.
func mayBeShadowAuthority(authority string) bool {
	n := len(authority)
	if n > len(shadowSuffix) && suffixWordsAt(authority, n) {
		return true
	}
	if n >= 8 {
		// The high bit of each byte of the last word that is a colon (exact: no borrow runs between bytes).
		x := bytewords.Load64(authority, n-8) ^ (':' * bytewords.Ones)
		if colons := ^(((x & low7) + low7) | x) & bytewords.Highs; colons != 0 {
			j := n - 8 + (63-bits.LeadingZeros64(colons))/8 // the last colon's index
			return j >= len(shadowSuffix) && suffixWordsAt(authority, j)
		}
	}
	j := n
	for j > 0 && authority[j-1]-'0' <= 9 {
		j--
	}
	return j > len(shadowSuffix) && authority[j-1] == ':' && suffixWordsAt(authority, j-1)
}

// suffixWordsAt reports whether a[:end] may end in shadowSuffix (end >= 7; see mayBeShadowAuthority).
func suffixWordsAt(a string, end int) bool {
	return bytewords.Load32(a, end-7)|foldWord32 == wordDashSha && bytewords.Load32(a, end-4)|foldWord32 == wordAdow
}
