package synthetic

import (
	"strings"
	"time"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/bytewords"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// Action is what the filter does with a request.
type Action uint8

// The actions Decide can return.
const (
	// ActionNone leaves the request's marker alone (there is none); the edits may still remove a token
	// header.
	ActionNone Action = iota
	// ActionStrip removes an untrusted marker (header, baggage member, token) and continues.
	ActionStrip
	// ActionForward normalises the marker and continues.
	ActionForward
	// ActionRefuse answers locally: a mutating call to a destination that is not rollback-capable, or a
	// marked request on a listener whose direction is unknown to a filter without a mode.
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

// Need names per-request facts Decide may need beyond the headers.
type Need uint8

// The facts; each costs host calls, so Decide asks for one only when a marked request needs it.
const (
	// NeedPrincipal is the downstream peer identity (trust by identity).
	NeedPrincipal Need = 1 << iota
	// NeedNow is the current time (token expiry).
	NeedNow
)

// Facts are what Decide knows of a request beyond its headers. Have says which fields are filled; a
// caller that has everything at hand (a test) fills both and Decide never asks.
type Facts struct {
	Have Need
	// Principal is the downstream peer identity, "" when the host has none. Decide only compares it.
	Principal string
	// Now is the current time.
	Now time.Time

	_ [0]func() // not comparable: spares the module an equality function
}

// Decision is the outcome of Decide for one request. It embeds the verdict the host writer applies: the
// complete effect on the request headers, and the local reply, if any. A Decision holds the memory the
// verdict's values are built in (see filters/proxyhost), so one Decision serves one request at a time
// and is reused for the next.
type Decision struct {
	proxyhost.Verdict
	// Need is set when Decide stopped for facts it lacks: fill them and call Continue. The other fields
	// are then not final.
	Need   Need
	Action Action
	// Accepted: a marker passed the trust check (inbound, edge and waypoint).
	Accepted bool
	// ID is the transaction id of a synthetic request (Synthetic()); IDGenerated says Decide made it up
	// because the request carried no usable one.
	ID          string
	IDGenerated bool
	// Method and Authority are the request's :method and :authority.
	Method, Authority string
	// Participant: the destination is declared rollback-capable.
	Participant bool
	// AwaitAck: the response must carry the acknowledgement header with ID.
	AwaitAck bool
	// HasHeader and HasBaggage say where the marker was.
	HasHeader, HasBaggage bool
	// Reason is a short static explanation for debug logs; TokenReason says why a token
	// (if configured) did not vouch for the request.
	Reason, TokenReason string

	s scan // what the header scan found, kept for Continue

	// Memory the verdict's values are built in (reused in Wasm, see filters/proxyhost.Buf).
	idBuf, markerBuf, bagBuf, bodyBuf, detailBuf proxyhost.Buf
	reply                                        proxyhost.Reply
	replyHeaders                                 [2][2]string
}

// Synthetic reports whether the request goes on (or is answered) as a synthetic transaction.
func (d *Decision) Synthetic() bool { return d.Action >= ActionForward }

// headerNormalised reports whether the request already carries exactly one marker header, `1;id=<ID>`.
func (d *Decision) headerNormalised() bool {
	v := d.s.headerFirst
	return d.s.headerCount == 1 && d.ID != "" && len(v) == len(markerPrefix)+len(d.ID) &&
		v[:len(markerPrefix)] == markerPrefix && v[len(markerPrefix):] == d.ID
}

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
	carriers          bool      // an ot-baggage-/uberctx- header reading as the marker key
	_                 [0]func() // not comparable: spares the module an equality function
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

// Little-endian words of the constant names the scan looks for (bytewords.Load32, Load64).
const (
	wordMet     = ':' | 'm'<<8 | 'e'<<16 | 't'<<24                                         // ":met"
	wordThod    = 't' | 'h'<<8 | 'o'<<16 | 'd'<<24                                         // ":method"[3:]
	wordAuthori = ':' | 'a'<<8 | 'u'<<16 | 't'<<24 | 'h'<<32 | 'o'<<40 | 'r'<<48 | 'i'<<56 // ":authori"
	wordRity    = 'r' | 'i'<<8 | 't'<<16 | 'y'<<24                                         // ":authority"[6:]
	wordBagg    = 'b' | 'a'<<8 | 'g'<<16 | 'g'<<24                                         // "bagg"
	wordGage    = 'g' | 'a'<<8 | 'g'<<16 | 'e'<<24                                         // "baggage"[3:]
)

// Little-endian words of the first eight bytes of the carrier prefixes, with foldWord's bits set: OR-ing foldWord
// into a name's first word lowers its ASCII letters (and changes some other bytes, so the test is a superset).
const (
	foldWord    = 0x2020202020202020
	wordUberctx = 'u' | 'b'<<8 | 'e'<<16 | 'r'<<24 | 'c'<<32 | 't'<<40 | 'x'<<48 | '-'<<56 // "uberctx-"
	wordOtBagga = 'o' | 't'<<8 | '-'<<16 | 'b'<<24 | 'a'<<32 | 'g'<<40 | 'g'<<48 | 'a'<<56 // "ot-bagga"
)

// sameName reports whether header names a and b are equal. It compares eight bytes a step and makes no call:
// a string == calls runtime.memequal, a byte loop in the Go compiler's Wasm code. proxyhost.SameName does
// the same only for names of 8 to 16 bytes (it must stay inlinable) and calls memequal beyond: with it the
// 19-byte x-laneway-synthetic cost marked requests 342 Wasm instructions more.
func sameName(a, b string) bool {
	n := len(a)
	if len(b) != n {
		return false
	}
	if n < 8 {
		for i := 0; i < n; i++ {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if bytewords.Load64(a, i) != bytewords.Load64(b, i) {
			return false
		}
	}
	return bytewords.Load64(a, n-8) == bytewords.Load64(b, n-8)
}

func (c *Config) scan(headers [][2]string, s *scan) {
	// The loop makes no call and writes only t, on the stack: in the Go compiler's Wasm code a call anywhere in
	// a loop (a write barrier's too) makes every turn spill its locals. Names that need more (the marker and
	// token headers, whose lengths are configured, and carriers) are noted in named and left to scanName.
	var (
		t      scan
		named  [4]int // the first headers for scanName
		nnamed int
	)
	bag, nbags := 0, 0 // first baggage header, baggage headers
	hl, tl := len(c.Header), len(c.TokenHeader)
	for i := range headers {
		k := headers[i][0]
		// Names compared by length, then as words: a string == or switch calls runtime.memequal, a byte loop in
		// Wasm.
		switch n := len(k); {
		case n == len(":method") && bytewords.Load32(k, 0) == wordMet && bytewords.Load32(k, 3) == wordThod:
			t.method = headers[i][1]
		case n == len(":authority") && bytewords.Load64(k, 0) == wordAuthori && bytewords.Load32(k, 6) == wordRity:
			t.authority = headers[i][1]
		case n == len("baggage") && bytewords.Load32(k, 0) == wordBagg && bytewords.Load32(k, 3) == wordGage:
			if nbags == 0 {
				bag = i
			}
			nbags++
		case n == hl || n == tl ||
			n > len("uberctx-") && (bytewords.Load64(k, 0)|foldWord == wordUberctx || bytewords.Load64(k, 0)|foldWord == wordOtBagga):
			// The carrier test is a superset of CarrierHeader's names: their first eight bytes, lowered, are one of these.
			if nnamed < len(named) {
				named[nnamed] = i
			}
			nnamed++
		}
	}
	if nnamed > len(named) {
		c.scanNames(headers, &t)
	} else {
		for _, i := range named[:nnamed] {
			c.scanName(headers[i][0], headers[i][1], &t)
		}
	}
	c.scanBaggage(headers, bag, nbags, &t)
	*s = t
}

// scanNames is scanName over every header but the constant names the scan's first pass takes: c.Header is never
// one of them (ParseConfig refuses pseudo-headers and baggage), but the pass does not compare them with it.
func (c *Config) scanNames(headers [][2]string, s *scan) {
	for i := range headers {
		switch k := headers[i][0]; len(k) {
		case len(":method"):
			if bytewords.Load32(k, 0) == wordMet && bytewords.Load32(k, 3) == wordThod ||
				bytewords.Load32(k, 0) == wordBagg && bytewords.Load32(k, 3) == wordGage {
				continue
			}
		case len(":authority"):
			if bytewords.Load64(k, 0) == wordAuthori && bytewords.Load32(k, 6) == wordRity {
				continue
			}
		}
		c.scanName(headers[i][0], headers[i][1], s)
	}
}

// scanName is the scan of one header that is not one of the constant names: the marker and token headers and
// other propagators' carriers.
func (c *Config) scanName(k, v string, s *scan) {
	switch n := len(k); {
	case n == len(c.Header) && sameName(k, c.Header):
		s.present = true
		if s.headerCount++; s.headerCount == 1 {
			s.headerFirst = v
		}
		s.addID(parseHeaderMarker(v))
	case n == len(c.TokenHeader) && sameName(k, c.TokenHeader):
		s.tokens++
		s.token = v
	case !s.carriers && c.Mode != ModeOutbound && mayBeCarrier(k) && c.CarrierHeader(k):
		// Other propagators' carriers matter only where the marker is checked: not outbound.
		s.carriers = true
	}
}

// scanBaggage is the scan of the nbags baggage headers, the first at headers[bag].
func (c *Config) scanBaggage(headers [][2]string, bag, nbags int, s *scan) {
	if nbags == 0 {
		return
	}
	bags := headers[bag][1:] // the one value, in place
	if nbags > 1 {
		var arr [4]string
		bags = collect(headers[bag:], "baggage", arr[:0])
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

// Decide decides what to do with a request, given its headers (one read of the request header map) and
// the facts at hand, and leaves the result in d, which it resets first. It makes no host call and, in
// the steady state of the Wasm build, no allocation. When a marked request needs a fact f does not have,
// Decide sets d.Need and stops: the caller reads the facts and calls Continue with the same headers.
func (c *Config) Decide(headers [][2]string, f *Facts, d *Decision) {
	c.scan(headers, &d.s)
	if need := c.wants(&d.s) &^ f.Have; need != 0 {
		d.Need = need
		return
	}
	d.Need = 0
	c.decide(headers, f, d)
}

// wants names the fact the trust check of a marked request asks for first, so that Decide asks before
// deciding instead of stopping halfway through (in Wasm a second pass costs about what reading the fact
// does). The trust check may still ask for the peer identity after a token failed.
func (c *Config) wants(s *scan) Need {
	switch {
	case !s.present || c.Mode == ModeOutbound || c.Mode == ModeUnset:
		return 0
	case c.secret != nil && s.tokens == 1:
		return NeedNow
	case len(c.Principals)+len(c.Prefixes) > 0:
		return NeedPrincipal
	}
	return 0
}

// Continue finishes a decision Decide (or Continue) stopped with d.Need set, once f holds those facts.
// headers must be the ones given to Decide.
func (c *Config) Continue(headers [][2]string, f *Facts, d *Decision) {
	d.Need = 0
	c.decide(headers, f, d)
}

// The reasons, static strings: an outsider flooding markers costs no allocation.
const (
	reasonNoMarker     = "no marker"
	reasonHidden       = "marker key in baggage members the parser drops (malformed or beyond the limits) or that another propagator decodes"
	reasonCarrier      = "marker key in another propagator's header (ot-baggage-, uberctx-)"
	reasonLocal        = "marker from the local workload"
	reasonRerouted     = "mutating call to a destination that is not rollback-capable: rerouted"
	reasonRefused      = "mutating call to a destination that is not rollback-capable: refused"
	reasonNoDirection  = "no mode configured and the listener direction is unknown: refused"
	noDirectionBody    = "laneway synthetic transaction {id}: {method} to {host} refused: the filter has no mode and the listener direction is unknown; set \"mode\" in its plugin configuration\n"
	refusalContentType = "text/plain; charset=utf-8"
)

// decide is Decide after the header scan.
func (c *Config) decide(headers [][2]string, f *Facts, d *Decision) {
	s := &d.s
	d.Verdict = proxyhost.Verdict{Edits: d.Edits[:0]}
	d.Action, d.Accepted, d.ID, d.IDGenerated = ActionNone, false, "", false
	d.Participant, d.AwaitAck, d.Reason, d.TokenReason = false, false, "", ""
	d.Method, d.Authority = s.method, s.authority
	d.HasHeader, d.HasBaggage = s.headerCount > 0, s.inBaggage

	// Every mode but outbound checks the marker, and so removes what an outsider could carry it in: the
	// token (a credential the application must not see) and another propagator's copy of the marker.
	checks := c.Mode != ModeOutbound
	if checks && s.tokens > 0 {
		d.remove(c.TokenHeader)
	}
	if checks && s.carriers {
		for i := range headers {
			if c.CarrierHeader(headers[i][0]) {
				d.remove(headers[i][0])
			}
		}
	}
	if !s.present {
		if checks && s.bagMention {
			// A member only a laxer parser reads: not a marker the mesh honours, so not the
			// application's either. No trust check: it would cost a host call for nothing.
			if v, removed := c.withoutMarker(headers, &d.bagBuf); removed {
				d.Action, d.Reason = ActionStrip, reasonHidden
				d.setBaggage(v)
				return
			}
		}
		if checks && s.carriers {
			d.Action, d.Reason = ActionStrip, reasonCarrier
			return
		}
		d.Reason = reasonNoMarker
		return
	}
	id := s.id
	if s.bad {
		id = ""
	}
	switch c.Mode {
	case ModeUnset:
		d.setID(id)
		d.Action, d.Reason = ActionRefuse, reasonNoDirection
		d.refuse(c, noDirectionBody, uint32(DefaultRefuseStatus))
		return
	case ModeOutbound:
		d.Reason = reasonLocal
	default:
		trusted, tokenID, need := c.trust(s, f, d)
		if need != 0 {
			d.Need = need
			return
		}
		if !trusted {
			d.Action = ActionStrip
			if d.HasHeader {
				d.remove(c.Header)
			}
			if s.bagMention {
				if v, removed := c.withoutMarker(headers, &d.bagBuf); removed {
					d.setBaggage(v)
				}
			}
			return
		}
		d.Accepted = true
		if tokenID != "" {
			id = tokenID
		}
	}
	d.setID(id)
	if c.Mode == ModeInbound {
		d.Action = ActionForward
		c.normalise(headers, d)
		return
	}
	mutating := c.isMutating(s.method)
	d.Participant = c.isParticipant(s.authority)
	switch {
	case mutating && !d.Participant && c.RerouteHeader != "":
		d.Action, d.Reason = ActionReroute, reasonRerouted
		c.normalise(headers, d)
		d.Edits = append(d.Edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: c.RerouteHeader, Value: c.RerouteValue})
		// Envoy re-selects the route after header changes only for ABI <= 0.2.1: ask explicitly.
		d.Reroute = true
	case mutating && !d.Participant:
		d.Action, d.Reason = ActionRefuse, reasonRefused
		d.refuse(c, c.RefuseBody, uint32(c.RefuseStatus))
	default:
		d.Action = ActionForward
		d.AwaitAck = c.AckRequired && mutating
		c.normalise(headers, d)
	}
}

// setID sets the transaction id, generating one (in d's memory) when the request carried none.
func (d *Decision) setID(id string) {
	if id == "" {
		id, d.IDGenerated = d.idBuf.Finish(AppendTxID(d.idBuf.Start())), true
	}
	d.ID = id
}

func (d *Decision) remove(name string) {
	d.Edits = append(d.Edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: name})
}

// setBaggage makes the baggage header v, or removes it when v is empty.
func (d *Decision) setBaggage(v string) {
	if v == "" {
		d.remove("baggage")
		return
	}
	d.Edits = append(d.Edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: "baggage", Value: v})
}

// normalise leaves exactly one marker header and one baggage member, both with d.ID.
func (c *Config) normalise(headers [][2]string, d *Decision) {
	if !d.headerNormalised() {
		d.Edits = append(d.Edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: c.Header, Value: markerValue(&d.markerBuf, d.ID)})
	}
	if v, change := c.baggageWithID(headers, d.ID, &d.bagBuf); change {
		d.setBaggage(v)
	}
}

// refuse makes the verdict a local reply with the marker and the expanded body template.
func (d *Decision) refuse(c *Config, body string, status uint32) {
	d.replyHeaders = [2][2]string{{"content-type", refusalContentType}, {c.Header, markerValue(&d.markerBuf, d.ID)}}
	d.reply = proxyhost.Reply{
		Status:  status,
		Headers: d.replyHeaders[:],
		Body:    d.bodyBuf.FinishBytes(appendRefusalBody(d.bodyBuf.Start(), body, d)),
	}
	d.Reply = &d.reply
}

// Explain gives the decision its debug line: a refusal's goes into its reply's Detail, which the writer logs;
// a strip's, forward's or reroute's is logged at once. Call it only when debug logs are on (it builds the line:
// a refusal's Detail is left empty otherwise) and never for ActionNone, which has no line.
func (d *Decision) Explain() {
	switch d.Action {
	case ActionRefuse:
		b := d.detailBuf.Start()
		for _, p := range [...]string{"synthetic: tx ", d.ID, ": refused ", d.Method, " to ", d.Authority, " (", d.Reason, ")"} {
			b = append(b, p...)
		}
		d.reply.Detail = d.detailBuf.Finish(b)
	case ActionStrip:
		proxywasm.LogDebug("synthetic: stripped marker: " + d.Reason + " (" + d.TokenReason + ")")
	case ActionForward, ActionReroute:
		proxywasm.LogDebug("synthetic: tx " + d.ID + ": " + d.Action.String() + " " + d.Method + " to " + d.Authority + " (" + d.Reason + ")")
	}
}

// trust reports whether a marked request comes from a trusted source; a valid token's id is returned.
// need names a fact f lacks that the answer depends on. The reasons go to d.
func (c *Config) trust(s *scan, f *Facts, d *Decision) (trusted bool, tokenID string, need Need) {
	if c.secret != nil {
		switch {
		case s.tokens == 0:
			d.TokenReason = "no token"
		case s.tokens > 1:
			d.TokenReason = "several token headers"
		case f.Have&NeedNow == 0:
			return false, "", NeedNow
		default:
			id, err := VerifyToken(c.secret, s.token, f.Now, c.MaxSkew, c.MaxLifetime)
			switch {
			case err == ErrTokenExpired:
				d.TokenReason = "token expired"
			case err == ErrTokenForged:
				d.TokenReason = "token signature mismatch"
			case err == ErrTokenTooLong:
				d.TokenReason = "token lifetime too long"
			case err != nil:
				d.TokenReason = "token malformed"
			case s.id != "" && s.id != id:
				d.TokenReason = "marker id differs from the token's"
			default:
				d.Reason = "valid token"
				return true, id, 0
			}
		}
	}
	switch {
	case len(c.Principals) == 0 && len(c.Prefixes) == 0 && c.secret == nil:
		d.Reason = "no trusted source configured"
	case len(c.Principals) == 0 && len(c.Prefixes) == 0:
		d.Reason = "no trusted peer identities configured"
	case f.Have&NeedPrincipal == 0:
		return false, "", NeedPrincipal
	case f.Principal == "":
		d.Reason = "no peer identity"
	case c.principalTrusted(f.Principal):
		d.Reason = "trusted peer identity"
		return true, "", 0
	default:
		d.Reason = "peer identity not trusted"
	}
	return false, "", 0
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

// baggageWithID returns the baggage header that carries exactly one `<key>=<id>` member, keeping
// other members, built in buf; change is false when the request's baggage already does and the key's
// text occurs nowhere else (a member the parser drops, malformed or beyond the limits, may still be read
// by a laxer parser in the application). The member always travels: when it would break the baggage
// limits, trailing members are dropped to make room.
func (c *Config) baggageWithID(headers [][2]string, id string, buf *proxyhost.Buf) (value string, change bool) {
	var arr [4]string
	bags := collect(headers, "baggage", arr[:0])
	if v, ok := baggage.Lookup(bags, c.BaggageKey); ok && v == id && baggage.MentionedOnce(bags, c.BaggageKey) && !baggage.HasEscapedKeys(bags) {
		return "", false
	}
	out, _, _ := baggage.AppendSetMemberEvicting(buf.Start(), bags, c.BaggageKey, id, c.BaggageKey)
	return buf.Finish(out), true
}

// withoutMarker returns the baggage without any member some propagator reads as the marker key, built in
// buf ("" when nothing is left); removed is false when there was no such member.
func (c *Config) withoutMarker(headers [][2]string, buf *proxyhost.Buf) (value string, removed bool) {
	var arr [4]string
	out, removed := baggage.AppendWithoutKeys(buf.Start(), collect(headers, "baggage", arr[:0]), c.BaggageKey)
	return buf.Finish(out), removed
}

// CarrierHeader reports whether a request header is an ot-baggage-<k> or uberctx-<k> header whose k some
// propagator reads as the marker key (OpenTracing's and Jaeger's baggage headers).
func (c *Config) CarrierHeader(name string) bool {
	if !mayBeCarrier(name) {
		return false
	}
	p := "ot-baggage-"
	if name[0]|0x20 == 'u' {
		p = "uberctx-"
	}
	return len(name) > len(p) && proxyhost.HasPrefixFold(name, p) && baggage.HeaderKeyReadsAs(name[len(p):], c.BaggageKey)
}

// mayBeCarrier reports whether name starts with an o or a u (ASCII case-insensitively), as ot-baggage- and
// uberctx- do: the scan asks CarrierHeader about those names only.
func mayBeCarrier(name string) bool {
	return len(name) > 0 && (name[0]|0x20 == 'o' || name[0]|0x20 == 'u')
}

// markerValue returns NormalisedValue(id), built in buf.
func markerValue(buf *proxyhost.Buf, id string) string {
	return buf.Finish(append(append(buf.Start(), markerPrefix...), id...))
}

// appendRefusalBody appends the body template t with {id}, {method} and {host} filled in from d to b. It
// expands the template in one pass, as strings.NewReplacer would (left to right, no rescan of the
// inserted text), without building a replacer per request: that costs microseconds in Wasm.
func appendRefusalBody(b []byte, t string, d *Decision) []byte {
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
