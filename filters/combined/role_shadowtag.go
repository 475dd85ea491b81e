package combined

import (
	"encoding/binary"
	"strings"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/shadowtag"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// shadowRole is the shadowtag role: shadowtag.Config.Decide (mode auto resolved from the listener
// direction, as the shadowtag filter does), header redaction of shadow copies, the suppression reply and
// the body redaction's per-stream part, counted under the shadowtag filter's names.
type shadowRole struct {
	cfg      *shadowtag.Config
	mode     shadowtag.Mode // resolved mode; 0 while auto is unresolved
	tried    bool           // auto: the per-request direction read was attempted
	detected proxywasm.MetricCounter
	outcomes [numShadowOutcomes]proxywasm.MetricCounter
	redacted proxywasm.MetricCounter
	// d, edits and rep are the last request's decision, reused.
	d     shadowtag.Decision
	edits []proxyhost.Edit
	rep   proxyhost.Reply
}

// numShadowOutcomes is the number of shadowtag outcomes (passed, marked, suppressed, rerouted, stripped).
const numShadowOutcomes = int(shadowtag.OutcomeStripped) + 1

// directionProperty is the listener direction (1 inbound, 2 outbound) in Envoy >= 1.33.
var directionProperty = proxyhost.NewProperty("xds", "listener_direction")

// readDirection reads xds.listener_direction (an 8-byte little-endian integer).
func readDirection() (int64, bool) {
	b, err := directionProperty.Read()
	if err != nil || len(b) != 8 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b)), true
}

func (r *shadowRole) start() {
	cfg := r.cfg
	r.detected = proxywasm.DefineCounterMetric(shadowtag.MetricPrefix + "detected_total")
	for o := 0; o < numShadowOutcomes; o++ {
		r.outcomes[o] = proxywasm.DefineCounterMetric(shadowtag.MetricPrefix + shadowtag.Outcome(o).String() + "_total")
	}
	if len(cfg.Redact.Headers)+len(cfg.Redact.JSONFields) > 0 {
		r.redacted = proxywasm.DefineCounterMetric(shadowtag.MetricPrefix + "redacted_total")
	}
	r.mode, r.tried = cfg.Mode, false
	resolved := ""
	if cfg.Mode == shadowtag.ModeAuto {
		// Envoy keys root contexts by (plugin name, traffic direction), so the direction is constant for this
		// plugin: read it once here, or on the first request when the root context does not see it.
		r.mode = 0
		if dir, ok := readDirection(); ok {
			r.mode = cfg.Resolve(dir)
		}
		if r.mode == 0 {
			resolved = " (direction resolved on the first request)"
		} else {
			resolved = " (listener direction: " + r.mode.String() + ")"
		}
	}
	proxywasm.LogInfo(cfg.Summary() + resolved)
}

// resolveOnRequest tries the direction once from a stream context and pins it.
func (r *shadowRole) resolveOnRequest() {
	r.tried = true
	if dir, ok := readDirection(); ok {
		r.mode = r.cfg.Resolve(dir)
	}
	if r.mode != 0 {
		proxywasm.LogInfo("shadowtag: listener direction resolved: " + r.mode.String())
		return
	}
	proxywasm.LogWarn("shadowtag: mode auto could not read xds.listener_direction (1 or 2); requests pass unchanged; set mode to inbound or outbound")
}

// decide runs shadowtag's decision over headers. s is the stream's own context when JSON body fields are
// redacted (nil otherwise); endOfStream says whether a body follows the headers.
func (r *shadowRole) decide(headers [][2]string, s *stream, endOfStream bool) proxyhost.Verdict {
	r.edits = r.edits[:0]
	if r.mode == 0 && !r.tried {
		r.resolveOnRequest()
	}
	if r.mode == 0 {
		r.d = shadowtag.Decision{Outcome: shadowtag.OutcomePassed}
		return proxyhost.Verdict{}
	}
	cfg := r.cfg
	if r.mode == shadowtag.ModeWaypoint && len(cfg.Principals)+len(cfg.PrincipalPrefixes) > 0 {
		peer, _ := readProperty(shadowtag.PeerPrincipalProperty)
		r.d = cfg.DecideWaypoint(headers, peer)
	} else {
		r.d = cfg.Decide(r.mode, headers)
	}
	d := &r.d
	if d.Outcome == shadowtag.OutcomeSuppressed {
		return proxyhost.Verdict{Reply: r.suppression()}
	}
	for _, e := range d.Edits() {
		switch {
		case e.RemoveCarriers:
			// One removal per carrier header name present: the marker as other propagators carry it.
			for _, h := range headers {
				if k := carrierKey(h[0]); k != "" && baggage.HeaderKeyReadsAs(k, e.Name) {
					r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: h[0]})
				}
			}
		case e.Remove:
			r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: e.Name})
		default:
			r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: e.Name, Value: e.Value})
		}
	}
	if d.Shadow && d.Mode == shadowtag.ModeInbound {
		r.redact(headers, s, endOfStream)
	}
	rerouted := d.Outcome == shadowtag.OutcomeRerouted
	if rerouted && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("shadowtag: rerouted shadow " + d.Method + " to " + d.Destination + " via " + cfg.RerouteHeader)
	}
	return proxyhost.Verdict{Edits: r.edits, Reroute: rerouted}
}

// redact appends the redaction of a shadow copy: configured headers removed and, when JSON fields are
// configured and a body follows, content-length removed (the body is rewritten after the headers went on)
// and the body held until complete on the stream's own context.
func (r *shadowRole) redact(headers [][2]string, s *stream, endOfStream bool) {
	red := &r.cfg.Redact
	hid := false
	for _, name := range red.Headers {
		for _, h := range headers {
			if h[0] == name {
				r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: name})
				hid = true
				break
			}
		}
	}
	if s != nil && len(red.JSONFields) > 0 && !endOfStream {
		s.redactBody, s.headersHid = true, hid
		for _, h := range headers {
			if h[0] == "content-length" {
				r.edits = append(r.edits, proxyhost.Edit{Kind: proxyhost.Remove, Name: "content-length"})
				break
			}
		}
		return
	}
	if hid {
		r.redacted.Increment(1)
	}
}

// suppression is the configured local reply to a contained shadow write.
func (r *shadowRole) suppression() *proxyhost.Reply {
	resp := &r.cfg.Response
	r.d.Outcome = shadowtag.OutcomeSuppressed
	r.rep = proxyhost.Reply{Status: resp.Status, Headers: resp.Headers, Body: resp.Body}
	if proxyhost.DebugEnabled() {
		r.rep.Detail = "shadowtag: suppressed shadow " + r.d.Method + " to " + r.d.Destination
	}
	return &r.rep
}

// rerouted reports whether the last decision rerouted a shadow write (its reroute header must be written,
// else the write is suppressed instead).
func (r *shadowRole) rerouted() bool { return r.d.Outcome == shadowtag.OutcomeRerouted }

// countDecision increments the outcome counters of the last decision.
func (r *shadowRole) countDecision() {
	if r.d.Shadow {
		r.detected.Increment(1)
	}
	r.outcomes[r.d.Outcome].Increment(1)
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
