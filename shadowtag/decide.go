package shadowtag

import (
	"strings"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/bytewords"
	"github.com/laneway/laneway/filters/proxyhost"
)

// Signal is a bit set of the reasons a request was recognised as shadow.
type Signal uint8

// Detection signals.
const (
	SignalHostSuffix     Signal = 1 << iota // inbound :authority carries Envoy's -shadow suffix
	SignalWorkload                          // detect.shadowWorkload: every request is shadow
	SignalMarkerHeader                      // one of detect.markerHeaders matched
	SignalLanewayHeader                     // x-laneway-shadow: 1 from an earlier hop
	SignalLanewayBaggage                    // laneway-shadow=1 in baggage from an earlier hop
	SignalPrincipal                         // waypoint: the caller's identity is a listed candidate's
)

var signalNames = [...]string{"host-suffix", "workload", "marker-header", "laneway-header", "laneway-baggage", "principal"}

// String lists the signals in s, joined with '+'; "none" when empty.
func (s Signal) String() string {
	if s == 0 {
		return "none"
	}
	var parts []string
	for i, n := range signalNames {
		if s&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "+")
}

// Outcome is the single result of one request; each has a counter.
type Outcome uint8

// Outcomes.
const (
	OutcomePassed     Outcome = iota // continued without containment
	OutcomeMarked                    // inbound shadow request, marked for the app
	OutcomeSuppressed                // answered locally; never reaches the destination
	OutcomeRerouted                  // reroute header set for a test double
	OutcomeStripped                  // edge: untrusted shadow markers removed
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"passed", "marked", "suppressed", "rerouted", "stripped"}

// String returns the counter label of o.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// carrierKey returns the key of an ot-baggage-<key> or uberctx-<key> header name, or "" for any other name.
func carrierKey(name string) string {
	for _, p := range [...]string{"ot-baggage-", "uberctx-"} {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return name[len(p):]
		}
	}
	return ""
}

// isMarkerCarrier reports whether name is an ot-baggage- or uberctx- header some propagator reads as the
// laneway-shadow baggage member.
func isMarkerCarrier(name string) bool {
	k := carrierKey(name)
	return k != "" && baggage.HeaderKeyReadsAs(k, MarkerBaggageKey)
}

// Facts are what Decide needs to know of a request besides its headers; the filter reads them from the host.
type Facts struct {
	Mode        Mode   // the mode applied (Resolve of the listener direction); 0 when auto is unresolved: pass
	Principal   string // waypoint: the caller's identity (filter_state io.istio.peer_principal); "" when unknown
	EndOfStream bool   // the request has no body (inbound: a JSON body to redact follows otherwise)
}

// Decision is what the filter does with one request: the embedded Verdict (request-header edits, whether Envoy
// re-selects the route, a local reply) and the facts it was decided on. A Decision is reused from request to
// request: Decide resets it and keeps its memory.
type Decision struct {
	proxyhost.Verdict
	Mode        Mode    // the mode applied: inbound, outbound, edge, waypoint, or 0 when auto could not resolve
	Shadow      bool    // the request is a shadow copy (inbound, outbound and waypoint only)
	Signals     Signal  // why Shadow is true
	Outcome     Outcome // the one outcome counted
	Method      string  // :method, as received
	Destination string  // outbound (a shadow request only) and waypoint: allow-list key of :authority
	Redacted    bool    // inbound: configured headers are removed from this shadow copy (in Edits)
	RedactBody  bool    // inbound: this shadow copy's JSON body fields are masked once the body is complete
	RequestID   string  // the first non-empty x-request-id, as received (compare samples and pairs on it)

	reply   proxyhost.Reply // the suppressing reply Verdict.Reply points at
	bagBuf  proxyhost.Buf   // memory for a rewritten baggage header
	hostBuf proxyhost.Buf   // memory for an :authority without a client-set -shadow suffix (edge)
}

// maxKeptEdits bounds the capacity of Edits a Decision keeps for the next request (a flood of carrier headers
// to strip does not pin its size).
const maxKeptEdits = 64

func (d *Decision) reset(mode Mode) {
	edits := d.Edits[:0]
	if cap(edits) > maxKeptEdits {
		edits = nil
	}
	if len(d.Edits) > 0 {
		clear(d.Edits) // keep no request's strings alive until the next one
	}
	// Field by field: a composite literal is built on the stack and copied whole (224 bytes, with a write
	// barrier check), where most fields are already zero. reply is set only together with Reply.
	if d.Reply != nil {
		d.reply = proxyhost.Reply{}
	}
	d.Edits, d.Reroute, d.Reply = edits, false, nil
	d.Mode, d.Shadow, d.Signals, d.Outcome = mode, false, 0, OutcomePassed
	d.Destination, d.Redacted, d.RedactBody = "", false, false
	// Method and RequestID are set from the scan (Decide) unless the mode is 0.
	d.Method, d.RequestID = "", ""
}

// Continue reports whether the request goes on (false: a local response was decided).
func (d *Decision) Continue() bool { return d.Reply == nil }

// set and remove are kept out of line: inlined at their dozen call sites, append's growth code would add
// kilobytes to the module.
//
//go:noinline
func (d *Decision) set(name, value string) {
	d.Edits = append(d.Edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: name, Value: value})
}

//go:noinline
func (d *Decision) remove(name string) {
	for i := range d.Edits {
		if e := &d.Edits[i]; e.Kind == proxyhost.Remove && e.Name == name {
			return // already removed
		}
	}
	d.Edits = append(d.Edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: name})
}

// Resolve returns the mode to apply for a listener direction (1 inbound, 2 outbound,
// anything else unknown): the configured mode unless it is auto; 0 when auto cannot resolve.
func (c *Config) Resolve(listenerDirection int64) Mode {
	if c.Mode != ModeAuto {
		return c.Mode
	}
	switch listenerDirection {
	case int64(ModeInbound):
		return ModeInbound
	case int64(ModeOutbound):
		return ModeOutbound
	}
	return 0
}

// scan is what one pass over the request headers found.
type scan struct {
	authority      string
	method         string
	lanewayCount   int    // x-laneway-shadow occurrences
	lanewayValue   string // last x-laneway-shadow value
	lanewayTrue    bool   // some x-laneway-shadow value says shadow
	markerMatch    bool
	markerPresent  [MaxMarkerHeaders]bool
	edge           bool // edge mode: look for reroute and carrier headers too (set before the scan)
	reroutePresent bool
	carrierPresent bool   // an ot-baggage-/uberctx- header reading as the marker key
	bagMarker      string // laneway-shadow baggage value (set by detect)
	bagMarkerOK    bool
	requestID      string // the first non-empty x-request-id (compare's sampling key)
}

// isTrue reports whether a marker value says shadow: "1" or "true", any case, blanks around ignored.
func isTrue(v string) bool {
	v = baggage.TrimOWS(v) // spaces and tabs at both ends, without strings.Trim's cutset set-up
	return v == "1" || strings.EqualFold(v, "true")
}

// Header names as little-endian words (bytewords.Load64/Load32): scanCommon compares a name with them by its
// length and one or two word loads, where a chain of proxyhost.SameName compares costs a call to
// runtime.memequal for the names shorter than 8 bytes.
var (
	wordHost        = bytewords.Load32("host", 0)
	wordMethod      = bytewords.Load32(":method", 0)
	wordMethod3     = bytewords.Load32(":method", 3)
	wordBaggage     = bytewords.Load32("baggage", 0)
	wordBaggage3    = bytewords.Load32("baggage", 3)
	wordAuthority   = bytewords.Load64(":authority", 0)
	wordAuthority2  = bytewords.Load64(":authority", 2)
	wordRequestID   = bytewords.Load64(RequestIDHeader, 0)
	wordRequestID4  = bytewords.Load64(RequestIDHeader, 4)
	wordMarker      = bytewords.Load64(MarkerHeader, 0)
	wordMarker8     = bytewords.Load64(MarkerHeader, 8)
	scanCommonSizes = uint64(1)<<len("host") | 1<<len(":method") | 1<<len(":authority") | 1<<len(RequestIDHeader) | 1<<len(MarkerHeader)
)

// scanCommon is scan outside the edge with no configured marker headers, where only :authority, host,
// :method, x-laneway-shadow, baggage and x-request-id matter: a name is told by its length, then by the
// words at its two ends.
func scanCommon(s *scan, pairs [][2]string, bags []string) []string {
	host := ""
	for i := range pairs {
		// By index: a [2]string range variable is copied to the Go stack on every iteration in Wasm.
		p := &pairs[i]
		name := p[0]
		if n := uint(len(name)); n >= 64 || scanCommonSizes&(1<<n) == 0 {
			continue // one shift and test skips most names
		}
		// Tested in this order, not binary-searched (a switch on len(name) would be): most names that get here
		// are 7 bytes long (:method, :scheme, baggage), then 10 (:authority, user-agent).
		switch n := len(name); {
		case n == 7:
			w, w3 := bytewords.Load32(name, 0), bytewords.Load32(name, 3)
			if w == wordMethod && w3 == wordMethod3 {
				s.method = p[1]
			} else if w == wordBaggage && w3 == wordBaggage3 {
				bags = append(bags, p[1])
			}
		case n == 10:
			if bytewords.Load64(name, 0) == wordAuthority && bytewords.Load64(name, 2) == wordAuthority2 {
				s.authority = p[1]
			}
		case n == 12:
			if bytewords.Load64(name, 0) == wordRequestID && bytewords.Load64(name, 4) == wordRequestID4 && s.requestID == "" {
				s.requestID = p[1]
			}
		case n == 4:
			if bytewords.Load32(name, 0) == wordHost && host == "" {
				host = p[1]
			}
		default: // 16
			if bytewords.Load64(name, 0) == wordMarker && bytewords.Load64(name, 8) == wordMarker8 {
				s.lanewayCount++
				s.lanewayValue = p[1]
				if isTrue(p[1]) {
					s.lanewayTrue = true
				}
			}
		}
	}
	if s.authority == "" {
		s.authority = host
	}
	return bags
}

// scan fills s from pairs and returns every baggage value appended to bags (a stack
// buffer in Decide: storing it through s would move it to the heap).
func (c *Config) scan(s *scan, pairs [][2]string, bags []string) []string {
	if !s.edge && len(c.MarkerHeaders) == 0 {
		return scanCommon(s, pairs, bags[:0])
	}
	return c.scanAll(s, pairs, bags[:0])
}

// scanAll is scan at the edge or with configured marker headers: every name is compared with each one scan
// looks for.
func (c *Config) scanAll(s *scan, pairs [][2]string, bags []string) []string {
	host := ""
	for i := range pairs {
		// By index: a [2]string range variable is copied to the Go stack on every iteration in Wasm.
		p := &pairs[i]
		switch name := p[0]; {
		case proxyhost.SameName(name, ":authority"):
			s.authority = p[1]
		case proxyhost.SameName(name, "host"):
			if host == "" {
				host = p[1]
			}
		case proxyhost.SameName(name, ":method"):
			s.method = p[1]
		case proxyhost.SameName(name, MarkerHeader):
			s.lanewayCount++
			s.lanewayValue = p[1]
			if isTrue(p[1]) {
				s.lanewayTrue = true
			}
		case proxyhost.SameName(name, "baggage"):
			bags = append(bags, p[1])
		case proxyhost.SameName(name, RequestIDHeader):
			if s.requestID == "" {
				s.requestID = p[1]
			}
		default:
			// Only the edge strips reroute and carrier headers: the other modes do not look for them.
			if s.edge && name == c.RerouteHeader {
				s.reroutePresent = true
			}
			if s.edge && !s.carrierPresent && isMarkerCarrier(name) {
				s.carrierPresent = true
			}
			for i := range c.MarkerHeaders {
				m := &c.MarkerHeaders[i]
				if name != m.Name {
					continue
				}
				s.markerPresent[i] = true
				v := strings.Trim(p[1], " \t")
				if m.Value == "" && v != "" || m.Value != "" && strings.EqualFold(v, m.Value) {
					s.markerMatch = true
				}
			}
		}
	}
	if s.authority == "" {
		s.authority = host
	}
	return bags
}

// Decide fills d with what to do with a request whose header pairs are headers (as one
// get_header_map_pairs returns them: lowercase names, repeats allowed), in the mode f.Mode. It calls no host
// function; the strings it puts in d's edits may alias d's memory and headers, so d is acted on before the
// next Decide with it.
func (c *Config) Decide(headers [][2]string, f Facts, d *Decision) {
	d.reset(f.Mode)
	if f.Mode == 0 {
		return // auto without a listener direction: pass unchanged
	}
	s := scan{edge: f.Mode == ModeEdge}
	var buf [4]string // baggage values; kept out of scan so it stays on the stack
	bags := c.scan(&s, headers, buf[:])
	d.Method, d.RequestID = s.method, s.requestID
	switch f.Mode {
	case ModeEdge:
		c.decideEdge(d, &s, bags, headers)
	case ModeInbound:
		c.detect(d, &s, bags, true)
		if d.Shadow {
			c.mark(d, &s, bags)
			c.redact(d, headers, f.EndOfStream)
		}
	case ModeOutbound:
		c.detect(d, &s, bags, false)
		if d.Shadow {
			// Only containment and its log lines use it: an ordinary request does not pay the parse.
			d.Destination = destinationHost(s.authority)
			c.contain(d, &s)
		}
	case ModeWaypoint:
		c.decideWaypoint(d, &s, bags, f.Principal)
	}
}

// Outcome counters, in the order of CounterNames: the outcomes, then detected and redacted.
const (
	CounterDetected = int(numOutcomes)     // shadow requests seen (inbound, outbound, waypoint)
	CounterRedacted = int(numOutcomes) + 1 // shadow copies whose headers or body fields were redacted
)

// CounterNames are shadowtag's counters, laneway_shadowtag_<name>_total, indexed by Outcome, CounterDetected
// and CounterRedacted; a module defines them with proxyhost.DefineCounters(MetricPrefix, CounterNames).
var CounterNames = []string{"passed", "marked", "suppressed", "rerouted", "stripped", "detected", "redacted"}

// Count adds d to the counters defined from CounterNames: its outcome, detected for a shadow request, and
// redacted for headers redacted when no body redaction follows (that counts once the body is done).
func (c *Config) Count(cs *proxyhost.Counters, d *Decision) {
	cs.Inc(int(d.Outcome))
	if d.Shadow {
		cs.Inc(CounterDetected)
	}
	if d.Redacted && !d.RedactBody {
		cs.Inc(CounterRedacted)
	}
}

// Suppress turns d (a rerouted decision whose reroute header could not be written) into the suppressing
// reply: without the header the write would reach the real collaborator.
func (c *Config) Suppress(d *Decision) {
	d.Outcome = OutcomeSuppressed
	d.Edits = d.Edits[:0]
	d.Reroute = false
	d.reply = c.Response
	d.Reply = &d.reply
}

func (c *Config) detect(d *Decision, s *scan, bags []string, inbound bool) {
	if inbound && c.HostSuffix {
		if _, _, shadow := parseAuthority(s.authority); shadow {
			d.Signals |= SignalHostSuffix
		}
	}
	if c.ShadowWorkload {
		d.Signals |= SignalWorkload
	}
	if s.markerMatch {
		d.Signals |= SignalMarkerHeader
	}
	if s.lanewayTrue {
		d.Signals |= SignalLanewayHeader
	}
	if len(bags) > 0 && mayMentionMarkerKey(bags) {
		// Fail closed: occurrences that disagree (Lookup: absent) still mark the request when one says shadow.
		// (LookupElseAny: Lookup, then AnyValue, in one search when the key's text occurs nowhere.)
		var anyTrue bool
		s.bagMarker, s.bagMarkerOK, anyTrue = baggage.LookupElseAny(bags, MarkerBaggageKey, isTrue)
		if s.bagMarkerOK && isTrue(s.bagMarker) || anyTrue {
			d.Signals |= SignalLanewayBaggage
		}
	}
	d.Shadow = d.Signals != 0
}

// Every occurrence of MarkerBaggageKey holds its "sh"; sBytes and hBytes are 's' and 'h' in every byte.
const (
	sBytes = 's' * bytewords.Ones
	hBytes = 'h' * bytewords.Ones
)

// mayMentionMarkerKey reports whether the text MarkerBaggageKey may occur in some of values: false only when no
// value has an "sh" (a word at a time), so that LookupElseAny, which returns no value and no match when the key's
// text occurs nowhere, is not called for most baggage.
func mayMentionMarkerKey(values []string) bool {
	for _, v := range values {
		n := len(v)
		if n < len(MarkerBaggageKey) { // at least 9 bytes, as the loads need
			continue
		}
		// The last pair of words ends at the value's end, overlapping the one before. (Two pairs a turn
		// cost more, not less: shZeros is then too big to be inlined.)
		var zeros uint64
		for i := 0; i < n-9; i += 8 {
			zeros |= shZeros(v, i) // no branch a turn: most values have no "sh"
		}
		if (zeros|shZeros(v, n-9))&bytewords.Highs != 0 {
			return true
		}
	}
	return false
}

// shZeros has a high bit (bytewords.Highs) set when "sh" starts at one of v[i:i+8] (v holds 9 bytes from i):
// bytes i..i+7 are compared with 's' and i+1..i+8 with 'h', and a zero byte in the or of the two is an "sh" at
// its position.
func shZeros(v string, i int) uint64 {
	return bytewords.ZeroBytes((bytewords.Load64(v, i) ^ sBytes) | (bytewords.Load64(v, i+1) ^ hBytes))
}

// ensureMarkerHeader sets x-laneway-shadow: 1 unless it is already exactly that.
func ensureMarkerHeader(d *Decision, s *scan) {
	if s.lanewayCount != 1 || s.lanewayValue != MarkerValue {
		d.set(MarkerHeader, MarkerValue)
	}
}

func (c *Config) mark(d *Decision, s *scan, bags []string) {
	d.Outcome = OutcomeMarked
	ensureMarkerHeader(d, s)
	// The baggage is forwarded as it is only when its one laneway-shadow member says 1 and the key text
	// occurs nowhere else: a member the parser drops (malformed, beyond the limits) may still be read by
	// the app's laxer parser, and forwarded.
	if c.Baggage && !(s.bagMarkerOK && s.bagMarker == MarkerValue && baggage.MentionedOnce(bags, MarkerBaggageKey) && !baggage.HasEscapedKeys(bags)) {
		c.markBaggage(d, bags)
	}
	if c.RestoreHost {
		if restored, ok := restoreAuthority(s.authority); ok {
			d.set(":authority", restored)
		}
	}
}

// markBaggage makes the combined baggage carry exactly one laneway-shadow=1 member. The mark must travel:
// when the baggage is full, trailing members are dropped to make room (W3C allows dropping members beyond
// its limits), since without the member the shadow app's own writes would not be recognised downstream.
func (c *Config) markBaggage(d *Decision, bags []string) {
	out, _, _ := baggage.AppendSetMemberEvicting(d.bagBuf.Start(), bags, MarkerBaggageKey, MarkerValue, MarkerBaggageKey)
	d.set("baggage", d.bagBuf.Finish(out)) // never empty: the member always fits on its own
}

func (d *Decision) setOrRemove(name, value string) {
	if value == "" {
		d.remove(name)
	} else {
		d.set(name, value)
	}
}

// mutating reports whether method is one of the configured mutating methods; a
// missing method counts as mutating (fail closed).
func (c *Config) mutating(method string) bool {
	if method == "" {
		return true
	}
	for _, m := range c.Methods {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

func (c *Config) contain(d *Decision, s *scan) {
	if !c.mutating(s.method) || allowed(c.Allow, d.Destination) {
		d.Outcome = OutcomePassed
		ensureMarkerHeader(d, s) // collaborators must know a read is shadow too
		return
	}
	if c.Action == ActionSuppress {
		c.Suppress(d)
		return
	}
	d.Outcome = OutcomeRerouted
	d.Reroute = true
	ensureMarkerHeader(d, s)
	d.set(c.RerouteHeader, c.RerouteValue)
}

func (c *Config) decideEdge(d *Decision, s *scan, bags []string, headers [][2]string) {
	if s.lanewayCount > 0 {
		d.remove(MarkerHeader)
	}
	// Members whose key any common propagator reads as laneway-shadow (laneway%2Dshadow=1) go too.
	if baggage.MayHoldKeys(bags, MarkerBaggageKey) {
		out, removed := baggage.AppendWithoutKeys(d.bagBuf.Start(), bags, MarkerBaggageKey)
		v := d.bagBuf.Finish(out)
		if removed {
			d.setOrRemove("baggage", v)
		}
	}
	if s.carrierPresent {
		// The marker as other propagators carry it: every ot-baggage-<k> and uberctx-<k> header whose k reads
		// as laneway-shadow, each name removed once.
		for _, p := range headers {
			if isMarkerCarrier(p[0]) {
				d.remove(p[0])
			}
		}
	}
	// A client-set mirror host (svc-b-shadow:8080) would make the destination's inbound filter treat the
	// request as Envoy's mirror copy: the edge removes the suffix, so the request goes on as what it is.
	if out, ok := appendRestoredAuthority(d.hostBuf.Start(), s.authority); ok {
		d.set(":authority", d.hostBuf.Finish(out))
	} else {
		d.hostBuf.Finish(out)
	}
	for i := range c.MarkerHeaders {
		if s.markerPresent[i] {
			d.remove(c.MarkerHeaders[i].Name)
		}
	}
	if s.reroutePresent {
		d.remove(c.RerouteHeader)
	}
	if len(d.Edits) > 0 {
		d.Outcome = OutcomeStripped
	}
}
