package combined

import (
	"unsafe"

	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/shadowtag"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// shadowRole is the shadowtag role: shadowtag.Config.Decide in the mode resolved as the shadowtag filter
// resolves it (auto from the listener direction), counted under the shadowtag filter's names; the body
// redaction of shadow copies runs on the stream (stream.go).
type shadowRole struct {
	cfg   *shadowtag.Config
	mode  shadowtag.Mode // resolved mode; 0 while auto is unresolved
	tried bool           // auto: the per-request direction read was attempted
	// loud has the summary's length bits that alone make QuietOn false; all of them in a mode or configuration
	// where it is always false (setLoud).
	loud     uint64
	counters proxyhost.Counters
	d        shadowtag.Decision
}

func (r *shadowRole) start() {
	cfg := r.cfg
	r.counters = proxyhost.DefineCounters(shadowtag.MetricPrefix, shadowtag.CounterNames)
	var note string
	r.mode, note = cfg.ResolveMode(false)
	r.tried = false
	r.setLoud()
	proxywasm.LogInfo(cfg.Summary() + note)
}

// OnHttpRequestHeaders calls shadowtag's Decide itself when the mode is resolved and not waypoint (see there);
// finish then does what a decision rarely needs.

// decideWith decides for a mode still auto (resolved on the first request) or waypoint (whose facts include
// the caller's principal).
func (r *shadowRole) decideWith(headers [][2]string, endOfStream bool) {
	if r.mode == 0 && !r.tried {
		r.mode, _ = r.cfg.ResolveMode(true)
		r.tried = true
		r.setLoud()
	}
	cfg := r.cfg
	f := shadowtag.Facts{Mode: r.mode, EndOfStream: endOfStream}
	if r.mode == shadowtag.ModeWaypoint && len(cfg.Principals)+len(cfg.PrincipalPrefixes) > 0 {
		if v, err := shadowtag.PeerPrincipalProperty.Read(); err == nil && len(v) > 0 {
			f.Principal = unsafe.String(&v[0], len(v)) // compared at once, never kept
		}
	}
	cfg.Decide(headers, f, &r.d)
}

// finish starts the body redaction of s (the stream's own context when JSON body fields are redacted, nil
// otherwise) and debug-logs a shadow request's outcome.
func (r *shadowRole) finish(s *stream) {
	cfg, d := r.cfg, &r.d
	if s != nil {
		s.body.Start(d.RedactBody, d.Redacted)
	}
	// The log level is asked (a host call) only when there is something to log.
	// (Only a shadow request is suppressed or rerouted.)
	if d.Shadow && proxyhost.DebugEnabled() {
		switch {
		case d.Reply != nil:
			d.Reply.Detail = "shadowtag: suppressed shadow " + d.Method + " to " + d.Destination
		case d.Reroute:
			proxywasm.LogDebug("shadowtag: rerouted shadow " + d.Method + " to " + d.Destination + " via " + cfg.RerouteHeader)
		}
	}
}

// rerouted reports whether the last decision rerouted a shadow write: its reroute header must be written,
// else the write is suppressed instead (suppress).
func (r *shadowRole) rerouted() bool { return r.d.Outcome == shadowtag.OutcomeRerouted }

// suppress turns the last (rerouted) decision into the suppressing reply.
func (r *shadowRole) suppress() *proxyhost.Reply {
	r.cfg.Suppress(&r.d)
	if proxyhost.DebugEnabled() {
		r.d.Reply.Detail = "shadowtag: suppressed shadow " + r.d.Method + " to " + r.d.Destination + " (its reroute header could not be written)"
	}
	return r.d.Reply
}

// countDecision counts the last decision under the shadowtag filter's names.
func (r *shadowRole) countDecision() { r.cfg.Count(&r.counters, &r.d) }

// quietOn reports whether the request whose headers s summarises holds nothing shadowtag acts on in its resolved
// mode (shadowtag.Config.QuietOn; keyMayOccur: some baggage value may hold its key): its decision is then a pass
// without edits (countPassed). False while auto is unresolved: decideWith resolves it.
func (r *shadowRole) quietOn(headers [][2]string, s *headerscan.Summary, keyMayOccur bool) bool {
	return r.mode != 0 && r.cfg.QuietOn(r.mode, headers, s, keyMayOccur)
}

// setLoud sets loud to the length bits whose presence alone makes QuietOn false in the resolved mode
// (shadowtag.Config.LoudLengths: all of them while auto is unresolved).
func (r *shadowRole) setLoud() { r.loud = r.cfg.LoudLengths(r.mode) }

// countPassed counts a request quietOn passed, as Count counts a passed decision.
func (r *shadowRole) countPassed() { r.counters.Inc(int(shadowtag.OutcomePassed)) }
