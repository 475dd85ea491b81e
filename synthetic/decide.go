package synthetic

import (
	"strings"
	"time"

	"github.com/laneway/laneway/filters/baggage"
)

// Action is what the filter does with a request.
type Action uint8

// The actions Decide can return.
const (
	// ActionNone leaves the request alone (no marker); see Decision.StripToken.
	ActionNone Action = iota
	// ActionStrip removes an untrusted marker (header, baggage member, token) and continues.
	ActionStrip
	// ActionForward normalises the marker and continues.
	ActionForward
	// ActionRefuse answers locally: a mutating call to a destination that is not rollback-capable.
	ActionRefuse
	// ActionReroute normalises the marker, adds the reroute header and continues.
	ActionReroute
)

// String names a.
func (a Action) String() string {
	switch a {
	case ActionNone:
		return "none"
	case ActionStrip:
		return "strip"
	case ActionForward:
		return "forward"
	case ActionRefuse:
		return "refuse"
	case ActionReroute:
		return "reroute"
	}
	return "unknown"
}

// Host gives Decide the facts that cost host calls; Decide asks only when a marked request needs them.
type Host interface {
	// Principal returns the downstream peer identity, if any; the string may be valid only until the next
	// host call, so Decide uses it at once and keeps nothing of it.
	Principal() (string, bool)
	// Now returns the current time (for token expiry).
	Now() time.Time
}

// FixedHost is a Host with a fixed peer identity ("" = none) and time.
type FixedHost struct {
	Peer string
	At   time.Time
}

// Principal implements Host.
func (h FixedHost) Principal() (string, bool) { return h.Peer, h.Peer != "" }

// Now implements Host.
func (h FixedHost) Now() time.Time { return h.At }

// Decision is the outcome of Decide for one request.
type Decision struct {
	Action Action
	// Accepted: a marker passed the trust check (inbound and edge).
	Accepted bool
	// ID is the transaction id; "" for a synthetic request means the filter must generate one.
	ID string
	// Method and Authority are the request's :method and :authority.
	Method, Authority string
	// Participant: the destination is declared rollback-capable.
	Participant bool
	// AwaitAck: the response must carry the acknowledgement header with ID.
	AwaitAck bool
	// HasHeader and HasBaggage say where the marker was; StripToken: a token header must be removed.
	HasHeader, HasBaggage, StripToken bool
	// StripBaggage: with ActionStrip, the baggage must be rewritten without the marker key; this also
	// drops members the parser does not keep (malformed, beyond the limits) that a laxer parser might read.
	StripBaggage bool
	// StripCarriers: the ot-baggage-<key> and uberctx-<key> headers whose key reads as the marker key must be
	// removed (inbound and edge): another propagator would read them as the marker (see CarrierHeader).
	StripCarriers bool
	// Reason is a short static explanation for debug logs; TokenReason says why a token
	// (if configured) did not vouch for the request.
	Reason, TokenReason string

	headerCount int    // marker headers on the request
	headerFirst string // the first one's value
}

// headerNormalised reports whether the request already carries exactly one marker header, `1;id=<ID>`.
func (d *Decision) headerNormalised() bool {
	v := d.headerFirst
	return d.headerCount == 1 && d.ID != "" && len(v) == len(markerPrefix)+len(d.ID) &&
		v[:len(markerPrefix)] == markerPrefix && v[len(markerPrefix):] == d.ID
}

// Synthetic reports whether the request goes on (or is answered) as a synthetic transaction.
func (d *Decision) Synthetic() bool { return d.Action >= ActionForward }

// scan is what one pass over the request headers finds.
type scan struct {
	method, authority string
	present           bool // a marker header or baggage member exists
	headerCount       int  // marker headers
	headerFirst       string
	inBaggage         bool
	bagMention        bool   // some baggage value contains the marker key's text
	id                string // agreed, valid id
	bad               bool   // a marker value was malformed, or ids disagreed
	token             string
	tokens            int
	carriers          bool // an ot-baggage-/uberctx- header reading as the marker key
}

func (s *scan) addID(id string, ok bool) {
	if !ok {
		s.bad = true
		return
	}
	if id == "" {
		return
	}
	if s.id != "" && s.id != id {
		s.bad = true
		return
	}
	s.id = id
}

func (c *Config) scan(headers [][2]string, s *scan) {
	var arr [4]string
	bags := arr[:0]
	bagMayHold := false
	for i := range headers {
		k, v := headers[i][0], headers[i][1]
		switch k {
		case ":method":
			s.method = v
		case ":authority":
			s.authority = v
		case c.Header:
			s.present = true
			if s.headerCount++; s.headerCount == 1 {
				s.headerFirst = v
			}
			s.addID(parseHeaderMarker(v))
		case "baggage":
			bags = append(bags, v)
		default:
			if k == c.TokenHeader {
				s.tokens++
				s.token = v
			} else if !s.carriers && c.CarrierHeader(k) {
				s.carriers = true
			}
		}
	}
	// A member may hold the marker where the key's text occurs, or where a key holds an escape that some
	// propagator decodes (laneway%2Dsynthetic): see filters/baggage, "Keys as other propagators read them".
	bagMayHold = baggage.MayHoldKeys(bags, c.BaggageKey)
	if !bagMayHold {
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

// Decide decides what to do with a request, given its headers (from one
// GetHttpRequestHeaders call) and the host, asked for the downstream identity
// and the time only when needed.
func (c *Config) Decide(headers [][2]string, host Host) Decision {
	var s scan
	c.scan(headers, &s)
	d := Decision{
		Method:     s.method,
		Authority:  s.authority,
		HasHeader:  s.headerCount > 0,
		HasBaggage: s.inBaggage,
		StripToken: s.tokens > 0 && c.Mode != ModeOutbound,
		// Another propagator's copy of the marker is never what the mesh checked.
		StripCarriers: s.carriers && c.Mode != ModeOutbound,

		headerCount: s.headerCount,
		headerFirst: s.headerFirst,
	}
	if !s.present {
		if s.bagMention && c.Mode != ModeOutbound && c.hidesMarker(headers) {
			// A member only a laxer parser reads: not a marker the mesh honours, so not the
			// application's either. No trust check: it would cost a host call for nothing.
			d.Action, d.StripBaggage = ActionStrip, true
			d.Reason = "marker key in baggage members the parser drops (malformed or beyond the limits) or that another propagator decodes"
			return d
		}
		if d.StripCarriers {
			d.Action, d.Reason = ActionStrip, "marker key in another propagator's header (ot-baggage-, uberctx-)"
			return d
		}
		d.Reason = "no marker"
		return d
	}
	id := s.id
	if s.bad {
		id = ""
	}
	if c.Mode != ModeOutbound {
		if host == nil {
			host = FixedHost{} // no identity, and a clock at year 1 that no token satisfies
		}
		trusted, tokenID, reason, tokenReason := c.trust(&s, host)
		d.TokenReason = tokenReason
		if !trusted {
			d.Action, d.Reason, d.StripBaggage = ActionStrip, reason, s.bagMention
			return d
		}
		d.Accepted, d.Reason = true, reason
		if tokenID != "" {
			id = tokenID
		}
	} else {
		d.Reason = "marker from the local workload"
	}
	d.ID = id
	if c.Mode == ModeInbound {
		d.Action = ActionForward
		return d
	}
	mutating := c.isMutating(s.method)
	d.Participant = c.isParticipant(s.authority)
	switch {
	case mutating && !d.Participant && c.RerouteHeader != "":
		d.Action, d.Reason = ActionReroute, "mutating call to a destination that is not rollback-capable: rerouted"
	case mutating && !d.Participant:
		d.Action, d.Reason = ActionRefuse, "mutating call to a destination that is not rollback-capable: refused"
	default:
		d.Action = ActionForward
		d.AwaitAck = c.AckRequired && mutating
	}
	return d
}

// trust reports whether a marked request comes from a trusted source; a valid token's id is returned.
// The reasons are static strings: an outsider flooding markers costs no allocation here.
func (c *Config) trust(s *scan, host Host) (trusted bool, tokenID, reason, tokenReason string) {
	if c.secret != nil {
		switch {
		case s.tokens == 0:
			tokenReason = "no token"
		case s.tokens > 1:
			tokenReason = "several token headers"
		default:
			id, err := VerifyToken(c.secret, s.token, host.Now(), c.MaxSkew, c.MaxLifetime)
			switch {
			case err == ErrTokenExpired:
				tokenReason = "token expired"
			case err == ErrTokenForged:
				tokenReason = "token signature mismatch"
			case err == ErrTokenTooLong:
				tokenReason = "token lifetime too long"
			case err != nil:
				tokenReason = "token malformed"
			case s.id != "" && s.id != id:
				tokenReason = "marker id differs from the token's"
			default:
				return true, id, "valid token", ""
			}
		}
	}
	if len(c.Principals) == 0 && len(c.Prefixes) == 0 {
		if c.secret == nil {
			return false, "", "no trusted source configured", ""
		}
		return false, "", "no trusted peer identities configured", tokenReason
	}
	p, ok := host.Principal()
	if !ok {
		return false, "", "no peer identity", tokenReason
	}
	if c.principalTrusted(p) {
		return true, "", "trusted peer identity", tokenReason
	}
	return false, "", "peer identity not trusted", tokenReason
}

func (c *Config) principalTrusted(p string) bool {
	for _, t := range c.Principals {
		if p == t {
			return true
		}
	}
	for _, t := range c.Prefixes {
		if strings.HasPrefix(p, t) {
			return true
		}
	}
	return false
}

// isMutating reports whether method is a configured mutating method, compared ASCII case-insensitively
// (fail closed: `post` and `Delete` are legal :method tokens that applications treat as POST and DELETE).
func (c *Config) isMutating(method string) bool {
	for _, m := range c.MutatingMethods {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// isParticipant reports whether an :authority names a rollback-capable destination (host case-insensitive).
func (c *Config) isParticipant(authority string) bool {
	host, port, ok := splitHostPort(authority)
	if !ok {
		return false
	}
	host = strings.TrimSuffix(host, ".")
	for i := range c.Participants {
		p := &c.Participants[i]
		if p.Port != "" && p.Port != port {
			continue
		}
		if p.Suffix {
			if len(host) > len(p.Host) && strings.EqualFold(host[len(host)-len(p.Host):], p.Host) {
				return true
			}
			continue
		}
		if strings.EqualFold(host, p.Host) {
			return true
		}
	}
	return false
}

// BaggageWithID returns the baggage header that carries exactly one `<key>=<id>` member, keeping
// other members; change is false when the request's baggage already does and the key's text occurs
// nowhere else (a member the parser drops, malformed or beyond the limits, may still be read by a laxer
// parser in the application). The member always travels: when it would break the baggage limits,
// trailing members are dropped to make room. The value is valid until the next call (see filters/proxyhost).
func (c *Config) BaggageWithID(headers [][2]string, id string) (value string, change bool) {
	var arr [4]string
	bags := collect(headers, "baggage", arr[:0])
	if v, ok := baggage.Lookup(bags, c.BaggageKey); ok && v == id && baggage.MentionedOnce(bags, c.BaggageKey) && !baggage.HasEscapedKeys(bags) {
		return "", false
	}
	out, _, _ := baggage.AppendSetMemberEvicting(c.bagBuf.Start(), bags, c.BaggageKey, id, c.BaggageKey)
	return c.bagBuf.Finish(out), true
}

// CarrierHeader reports whether a request header is an ot-baggage-<k> or uberctx-<k> header whose k some
// propagator reads as the marker key (OpenTracing's and Jaeger's baggage headers).
func (c *Config) CarrierHeader(name string) bool {
	for _, p := range [...]string{"ot-baggage-", "uberctx-"} {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return baggage.HeaderKeyReadsAs(name[len(p):], c.BaggageKey)
		}
	}
	return false
}

// hidesMarker reports whether rewriting the baggage without the marker key changes it: the key
// text occurs, yet the parser found no marker, so a dropped member may carry it.
func (c *Config) hidesMarker(headers [][2]string) bool {
	var arr [4]string
	out, removed := baggage.AppendWithoutKeys(c.bagBuf.Start(), collect(headers, "baggage", arr[:0]), c.BaggageKey)
	c.bagBuf.Finish(out)
	return removed
}

// BaggageWithoutMarker returns the baggage header without the marker member; remove is true
// when the header must be deleted, change when it must be replaced by value (valid until the next call).
func (c *Config) BaggageWithoutMarker(headers [][2]string) (value string, change, remove bool) {
	var arr [4]string
	bags := collect(headers, "baggage", arr[:0])
	out, removed := baggage.AppendWithoutKeys(c.bagBuf.Start(), bags, c.BaggageKey)
	v := c.bagBuf.Finish(out)
	if !removed {
		return "", false, false
	}
	if v == "" {
		return "", false, true
	}
	return v, true, false
}

// MarkerValue returns NormalisedValue(id), valid until the next call (see filters/proxyhost).
func (c *Config) MarkerValue(id string) string {
	return c.markerBuf.Finish(append(append(c.markerBuf.Start(), markerPrefix...), id...))
}

// RefusalBody returns the configured refusal body with {id}, {method} and {host} filled in.
func (c *Config) RefusalBody(d *Decision) string {
	if strings.IndexByte(c.RefuseBody, '{') < 0 {
		return c.RefuseBody
	}
	return string(c.appendRefusalBody(nil, d))
}

// RefusalBodyBytes is RefusalBody as bytes for the host, valid until the next call (see filters/proxyhost).
func (c *Config) RefusalBodyBytes(d *Decision) []byte {
	return c.bodyBuf.FinishBytes(c.appendRefusalBody(c.bodyBuf.Start(), d))
}

// appendRefusalBody appends the expanded refusal body to b. It expands the template in one pass, as
// strings.NewReplacer would (left to right, no rescan of the inserted text), without building a
// replacer per request: that costs microseconds in Wasm.
func (c *Config) appendRefusalBody(b []byte, d *Decision) []byte {
	t := c.RefuseBody
	for i := strings.IndexByte(t, '{'); i >= 0; i = strings.IndexByte(t, '{') {
		b = append(b, t[:i]...)
		t = t[i:]
		switch {
		case strings.HasPrefix(t, "{id}"):
			b, t = append(b, d.ID...), t[len("{id}"):]
		case strings.HasPrefix(t, "{method}"):
			b, t = append(b, d.Method...), t[len("{method}"):]
		case strings.HasPrefix(t, "{host}"):
			b, t = append(b, d.Authority...), t[len("{host}"):]
		default:
			b, t = append(b, '{'), t[1:]
		}
	}
	return append(b, t...)
}

func collect(headers [][2]string, name string, dst []string) []string {
	for i := range headers {
		if headers[i][0] == name {
			dst = append(dst, headers[i][1])
		}
	}
	return dst
}
