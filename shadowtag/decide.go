package shadowtag

import (
	"strings"

	"github.com/laneway/laneway/filters/baggage"
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

// Edit is one request-header change: Remove deletes every occurrence of Name,
// otherwise Name ends up with exactly one occurrence, Value. RemoveCarriers
// deletes every ot-baggage-<k> and uberctx-<k> header whose k reads as the key
// Name (baggage.HeaderKeyReadsAs): the marker as other propagators carry it.
type Edit struct {
	Name           string
	Value          string
	Remove         bool
	RemoveCarriers bool
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

// maxEdits bounds the edits of one decision (edge strips every marker kind).
const maxEdits = 6 + MaxMarkerHeaders

// Decision is what the filter does with one request.
type Decision struct {
	Mode        Mode    // the mode applied: inbound, outbound, edge, or 0 when auto could not resolve
	Shadow      bool    // the request is a shadow copy (inbound/outbound only)
	Signals     Signal  // why Shadow is true
	Outcome     Outcome // the one outcome counted
	Method      string  // :method, as received
	Destination string  // outbound: allow-list key of :authority
	edits       [maxEdits]Edit
	numEdits    int
}

// Edits returns the request-header changes to apply when the request continues.
func (d *Decision) Edits() []Edit { return d.edits[:d.numEdits] }

// Continue reports whether the request goes on (false: a local response was decided).
func (d *Decision) Continue() bool { return d.Outcome != OutcomeSuppressed }

func (d *Decision) set(name, value string) {
	if d.numEdits < maxEdits {
		d.edits[d.numEdits] = Edit{Name: name, Value: value}
		d.numEdits++
	}
}

func (d *Decision) removeCarriers(key string) {
	if d.numEdits < maxEdits {
		d.edits[d.numEdits] = Edit{Name: key, RemoveCarriers: true}
		d.numEdits++
	}
}

func (d *Decision) remove(name string) {
	if d.numEdits < maxEdits {
		d.edits[d.numEdits] = Edit{Name: name, Remove: true}
		d.numEdits++
	}
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
	reroutePresent bool
	carrierPresent bool   // an ot-baggage-/uberctx- header reading as the marker key
	bagMarker      string // laneway-shadow baggage value (set by detect)
	bagMarkerOK    bool
}

// isTrue reports whether a marker value says shadow: "1" or "true", any case, blanks around ignored.
func isTrue(v string) bool {
	v = strings.Trim(v, " \t")
	return v == "1" || strings.EqualFold(v, "true")
}

// scan fills s from pairs and returns every baggage value appended to bags (a stack
// buffer in Decide: storing it through s would move it to the heap).
func (c *Config) scan(s *scan, pairs [][2]string, bags []string) []string {
	bags = bags[:0]
	host := ""
	for _, p := range pairs {
		switch name := p[0]; name {
		case ":authority":
			s.authority = p[1]
		case "host":
			if host == "" {
				host = p[1]
			}
		case ":method":
			s.method = p[1]
		case MarkerHeader:
			s.lanewayCount++
			s.lanewayValue = p[1]
			if isTrue(p[1]) {
				s.lanewayTrue = true
			}
		case "baggage":
			bags = append(bags, p[1])
		default:
			if name == c.RerouteHeader {
				s.reroutePresent = true
			}
			if !s.carrierPresent && isMarkerCarrier(name) {
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

// Decide returns what to do with a request in mode (from Resolve), given its header
// pairs as returned by one GetHttpRequestHeaders call (lowercase names, repeats allowed).
func (c *Config) Decide(mode Mode, pairs [][2]string) Decision {
	var s scan
	var buf [4]string // baggage values; kept out of scan so it stays on the stack
	bags := c.scan(&s, pairs, buf[:])
	d := Decision{Mode: mode, Method: s.method}
	switch mode {
	case ModeEdge:
		c.decideEdge(&d, &s, bags)
	case ModeInbound:
		c.detect(&d, &s, bags, true)
		if d.Shadow {
			c.mark(&d, &s, bags)
		}
	case ModeOutbound:
		d.Destination = destinationHost(s.authority)
		c.detect(&d, &s, bags, false)
		if d.Shadow {
			c.contain(&d, &s)
		}
	case ModeWaypoint:
		c.decideWaypoint(&d, &s, bags, "")
	}
	return d
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
	if len(bags) > 0 {
		s.bagMarker, s.bagMarkerOK = baggage.Lookup(bags, MarkerBaggageKey)
		// Fail closed: occurrences that disagree (Lookup: absent) still mark the request when one says shadow.
		if s.bagMarkerOK && isTrue(s.bagMarker) || !s.bagMarkerOK && baggage.AnyValue(bags, MarkerBaggageKey, isTrue) {
			d.Signals |= SignalLanewayBaggage
		}
	}
	d.Shadow = d.Signals != 0
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
	out, _, _ := baggage.AppendSetMemberEvicting(c.bagBuf.Start(), bags, MarkerBaggageKey, MarkerValue, MarkerBaggageKey)
	d.set("baggage", c.bagBuf.Finish(out)) // never empty: the member always fits on its own
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
		d.Outcome = OutcomeSuppressed
		return
	}
	d.Outcome = OutcomeRerouted
	ensureMarkerHeader(d, s)
	d.set(c.RerouteHeader, c.RerouteValue)
}

func (c *Config) decideEdge(d *Decision, s *scan, bags []string) {
	if s.lanewayCount > 0 {
		d.remove(MarkerHeader)
	}
	// Members whose key any common propagator reads as laneway-shadow (laneway%2Dshadow=1) go too.
	if baggage.MayHoldKeys(bags, MarkerBaggageKey) {
		out, removed := baggage.AppendWithoutKeys(c.bagBuf.Start(), bags, MarkerBaggageKey)
		v := c.bagBuf.Finish(out)
		if removed {
			d.setOrRemove("baggage", v)
		}
	}
	if s.carrierPresent {
		d.removeCarriers(MarkerBaggageKey)
	}
	// A client-set mirror host (svc-b-shadow:8080) would make the destination's inbound filter treat the
	// request as Envoy's mirror copy: the edge removes the suffix, so the request goes on as what it is.
	if out, ok := appendRestoredAuthority(c.hostBuf.Start(), s.authority); ok {
		d.set(":authority", c.hostBuf.Finish(out))
	} else {
		c.hostBuf.Finish(out)
	}
	for i := range c.MarkerHeaders {
		if s.markerPresent[i] {
			d.remove(c.MarkerHeaders[i].Name)
		}
	}
	if s.reroutePresent {
		d.remove(c.RerouteHeader)
	}
	if d.numEdits > 0 {
		d.Outcome = OutcomeStripped
	}
}

// ApplyEdits returns pairs with edits applied as Envoy applies them (proxyhost.AppendEdited): a set header
// takes the position of its first occurrence (or goes last), removed and repeated occurrences are dropped.
func ApplyEdits(pairs [][2]string, edits []Edit) [][2]string {
	return AppendEdited(make([][2]string, 0, len(pairs)+len(edits)), pairs, edits)
}

// AppendEdited is ApplyEdits appending to out (whose storage a caller may reuse for every request).
func AppendEdited(out, pairs [][2]string, edits []Edit) [][2]string {
	var arr [maxEdits]proxyhost.Edit
	return proxyhost.AppendEdited(out, pairs, hostEdits(arr[:0], pairs, edits))
}

// hostEdits appends edits to dst as host edits, in order: a RemoveCarriers edit becomes one removal per
// carrier header of pairs it names, a removal stays one, and a set becomes a replace.
func hostEdits(dst []proxyhost.Edit, pairs [][2]string, edits []Edit) []proxyhost.Edit {
	for _, e := range edits {
		switch {
		case e.RemoveCarriers:
			for _, p := range pairs {
				if k := carrierKey(p[0]); k != "" && baggage.HeaderKeyReadsAs(k, e.Name) {
					dst = append(dst, proxyhost.Edit{Kind: proxyhost.Remove, Name: p[0]})
				}
			}
		case e.Remove:
			dst = append(dst, proxyhost.Edit{Kind: proxyhost.Remove, Name: e.Name})
		default:
			dst = append(dst, proxyhost.Edit{Kind: proxyhost.Replace, Name: e.Name, Value: e.Value})
		}
	}
	return dst
}
