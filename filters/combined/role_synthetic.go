package combined

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/synthetic"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// synthRole is the synthetic role: synthetic.Config.Decide and the edits, refusal and acknowledgement
// check the synthetic filter makes of its decision, counted under the synthetic filter's names.
type synthRole struct {
	cfg       *synthetic.Config
	counters  proxyhost.Counters
	warnedAck bool
	// idBuf holds a generated transaction id for the rest of its callback.
	idBuf proxyhost.Buf
	// d, edits, rep and replyHeaders are the last request's decision, reused.
	d            synthetic.Decision
	edits        []proxyhost.Edit
	rep          proxyhost.Reply
	replyHeaders [2][2]string
	// count lists the outcomes of the last decision, counted once the request is settled.
	count    [2]int
	numCount int
}

// The synthetic filter's outcomes, in the order of synthOutcomes.
const (
	synthAccepted = iota
	synthStripped
	synthPassed
	synthRefused
	synthRerouted
	synthAcked
	synthAckMissing
	numSynthOutcomes
)

var synthOutcomes = [numSynthOutcomes]string{
	synthetic.OutcomeAccepted, synthetic.OutcomeStripped, synthetic.OutcomePassed, synthetic.OutcomeRefused,
	synthetic.OutcomeRerouted, synthetic.OutcomeAcked, synthetic.OutcomeAckMissing,
}

// principalProperties are read, in order, for the downstream peer identity (as the synthetic filter does).
var principalProperties = []proxyhost.Property{
	proxyhost.NewProperty("connection", "uri_san_peer_certificate"),
	proxyhost.NewProperty("source", "principal"),
}

func (r *synthRole) start() {
	r.counters = proxyhost.DefineCounters("laneway_synthetic_", synthOutcomes[:])
	proxywasm.LogInfo("synthetic: started: " + r.cfg.Summary())
}

// envoyHost reads the peer identity from Envoy properties (at a waypoint: its filter state) and the time
// from the host clock, only when Decide asks.
type envoyHost struct{ waypoint bool }

// Now implements synthetic.Host.
func (envoyHost) Now() time.Time { return time.Now() }

// Principal implements synthetic.Host; the string shares proxyhost.Property.Read's memory and is only
// compared, at once.
func (h envoyHost) Principal() (string, bool) {
	if h.waypoint {
		return readProperty(synthetic.PeerPrincipalProperty)
	}
	for _, p := range principalProperties {
		if v, ok := readProperty(p); ok {
			return v, true
		}
	}
	return "", false
}

func readProperty(p proxyhost.Property) (string, bool) {
	v, err := p.Read()
	if err != nil || len(v) == 0 {
		return "", false
	}
	return unsafe.String(&v[0], len(v)), true
}

func (r *synthRole) counted(o int) {
	if r.numCount < len(r.count) {
		r.count[r.numCount] = o
		r.numCount++
	}
}

// decide runs synthetic's decision over headers and turns it into edits, a reroute or a refusal. s is the
// stream's own context when the acknowledgement may be checked (nil otherwise).
func (r *synthRole) decide(headers [][2]string, s *stream) proxyhost.Verdict {
	cfg := r.cfg
	r.numCount = 0
	r.edits = r.edits[:0]
	r.d = cfg.Decide(headers, envoyHost{waypoint: cfg.Mode == synthetic.ModeWaypoint})
	d := &r.d
	if d.StripToken {
		r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: cfg.TokenHeader})
	}
	if d.StripCarriers {
		for i := range headers {
			if cfg.CarrierHeader(headers[i][0]) {
				r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: headers[i][0]})
			}
		}
	}
	if d.Accepted {
		r.counted(synthAccepted)
	}
	switch d.Action {
	case synthetic.ActionNone:
		return proxyhost.Verdict{Edits: r.edits}
	case synthetic.ActionStrip:
		r.counted(synthStripped)
		r.strip(headers)
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: stripped marker: " + d.Reason + " (" + d.TokenReason + ")")
		}
		return proxyhost.Verdict{Edits: r.edits}
	}
	if d.ID == "" {
		d.ID = r.idBuf.Finish(synthetic.AppendTxID(r.idBuf.Start())) // valid for this callback (see proxyhost.Buf)
	}
	switch d.Action {
	case synthetic.ActionRefuse:
		r.counted(synthRefused)
		r.replyHeaders = [2][2]string{{"content-type", "text/plain; charset=utf-8"}, {cfg.Header, cfg.MarkerValue(d.ID)}}
		r.rep = proxyhost.Reply{Status: uint32(cfg.RefuseStatus), Headers: r.replyHeaders[:], Body: cfg.RefusalBodyBytes(d)}
		if proxyhost.DebugEnabled() {
			r.rep.Detail = "synthetic: tx " + d.ID + ": refused " + d.Method + " to " + d.Authority
		}
		return proxyhost.Verdict{Reply: &r.rep}
	case synthetic.ActionReroute:
		r.counted(synthRerouted)
		r.normalise(headers)
		r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: cfg.RerouteHeader, Value: cfg.RerouteValue})
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: tx " + d.ID + ": rerouted " + d.Method + " to " + d.Authority)
		}
		return proxyhost.Verdict{Edits: r.edits, Reroute: true}
	}
	if cfg.Mode != synthetic.ModeInbound {
		r.counted(synthPassed)
	}
	r.normalise(headers)
	if d.AwaitAck && s != nil {
		s.awaitAck(d.ID, d.Authority)
	}
	if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("synthetic: tx " + d.ID + ": " + d.Action.String() + " " + d.Method + " to " + d.Authority + " (" + d.Reason + ")")
	}
	return proxyhost.Verdict{Edits: r.edits}
}

// normalise leaves exactly one marker header and one baggage member, both with the decision's id.
func (r *synthRole) normalise(headers [][2]string) {
	cfg, d := r.cfg, &r.d
	want := cfg.MarkerValue(d.ID)
	n, first := 0, ""
	for i := range headers {
		if headers[i][0] == cfg.Header {
			if n++; n == 1 {
				first = headers[i][1]
			}
		}
	}
	if n != 1 || first != want {
		r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: cfg.Header, Value: want})
	}
	if v, change := cfg.BaggageWithID(headers, d.ID); change {
		if v == "" {
			r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: "baggage"})
		} else {
			r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: "baggage", Value: v})
		}
	}
}

// strip removes an untrusted marker from the header and the baggage (with any member the parser drops).
func (r *synthRole) strip(headers [][2]string) {
	cfg, d := r.cfg, &r.d
	if d.HasHeader {
		r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: cfg.Header})
	}
	if d.StripBaggage {
		v, change, remove := cfg.BaggageWithoutMarker(headers)
		switch {
		case remove:
			r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: "baggage"})
		case change:
			r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: "baggage", Value: v})
		}
	}
}

// vouches reports whether the last decision let the request go on as synthetic: its marker header is then
// one synthetic checked (or set), which a later role's trust-boundary strip must keep.
func (r *synthRole) vouches() bool { return r.d.Synthetic() }

// countDecision increments the outcome counters of the last decision.
func (r *synthRole) countDecision() {
	for _, o := range r.count[:r.numCount] {
		r.counters.Inc(o)
	}
}

// ack checks the acknowledgement of a mutating synthetic call on the response headers.
func (r *synthRole) ack(txid, host string) {
	cfg := r.cfg
	v, err := proxyhost.ResponseHeader(cfg.AckHeader)
	if err == nil && v == txid {
		r.counters.Inc(synthAcked)
		return
	}
	r.counters.Inc(synthAckMissing)
	if !r.warnedAck {
		r.warnedAck = true
		proxywasm.LogWarn("synthetic: tx " + txid + ": " + host + " did not acknowledge with " + cfg.AckHeader + ": " + strconv.Quote(v) + " (further misses are logged at debug)")
	} else if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("synthetic: tx " + txid + ": " + host + " did not acknowledge with " + cfg.AckHeader + ": " + strconv.Quote(v))
	}
}
