package combined

import (
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/synthetic"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// synthRole is the synthetic role: synthetic.Config.Decide with the facts it asks for, counted under the
// synthetic filter's names, and the acknowledgement check on the response.
type synthRole struct {
	cfg *synthetic.Config
	// unresolved: the configuration has no mode and the listener direction was not known at start; the first
	// request tries again.
	unresolved bool
	// loud has the summary's length bits that alone make QuietOn false (setLoud).
	loud      uint64
	counters  proxyhost.Counters
	warnedAck bool
}

// synthDecision and synthFacts serve every request's synthetic role, one at a time: a VM runs one callback at
// a time, whatever its plugins, and the decision is acted on and counted before OnHttpRequestHeaders returns. They
// are not role fields: the plugin context is converted to an interface, which would keep the String method of
// every type they hold, and time.Time's links its formatting and time zone code (about 80 KB of the module).
var (
	synthDecision synthetic.Decision
	synthFacts    synthetic.Facts
)

func (r *synthRole) start() {
	r.cfg, r.unresolved = synthetic.ResolveDirection(r.cfg, false)
	r.setLoud()
	r.counters = proxyhost.DefineCounters(synthetic.MetricPrefix, synthetic.Outcomes)
	proxywasm.LogInfo("synthetic: started: " + r.cfg.Summary())
}

// resolve tries again to resolve the direction of a configuration without a mode.
func (r *synthRole) resolve() {
	r.cfg, r.unresolved = synthetic.ResolveDirection(r.cfg, true)
	r.setLoud()
}

// setLoud sets loud to the length bits whose presence alone makes QuietOn false (synthetic.Config.LoudLengths);
// none while the direction is unresolved: quietOn, which resolves it, is then always asked.
func (r *synthRole) setLoud() {
	r.loud = 0
	if !r.unresolved {
		r.loud = r.cfg.LoudLengths()
	}
}

// quietOn resolves the direction if it is still unresolved, then reports whether the request whose headers s
// summarises holds nothing synthetic acts on (synthetic.Config.QuietOn; keyMayOccur: some baggage value may hold
// its key): its decision is then the unmarked pass, which edits nothing and counts nothing.
func (r *synthRole) quietOn(headers [][2]string, s *headerscan.Summary, keyMayOccur bool) bool {
	if r.unresolved {
		r.resolve()
	}
	return r.cfg.QuietOn(headers, s, keyMayOccur)
}

// OnHttpRequestHeaders calls synthetic's Decide itself (see there); finish does what a decision rarely needs.

// finish completes the last decision: reads the host facts it needs, arms the stream's acknowledgement check
// and explains an action in the debug log.
func (r *synthRole) finish(headers [][2]string, s *stream) {
	cfg, d, f := r.cfg, &synthDecision, &synthFacts
	for d.Need != 0 {
		cfg.ReadFacts(d.Need, f)
		cfg.Continue(headers, f, d)
	}
	if d.AwaitAck && s != nil {
		s.ack.Await(d)
	}
	// The log level is asked (a host call) only when there is something to log.
	if d.Action != synthetic.ActionNone && proxyhost.DebugEnabled() {
		d.Explain()
	}
}

// countDecision counts the last decision under the synthetic filter's names.
func (r *synthRole) countDecision() { r.cfg.Count(&r.counters, &synthDecision) }

// checkAck checks a stream's acknowledgement on its response headers.
func (r *synthRole) checkAck(a *synthetic.Ack) {
	v, err := proxyhost.ResponseHeader(r.cfg.AckHeader)
	r.cfg.CheckAck(&r.counters, a, v, err == nil, &r.warnedAck)
}
