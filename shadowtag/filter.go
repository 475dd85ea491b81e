package shadowtag

import (
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// MetricPrefix starts every counter name: laneway_shadowtag_<name>_total (CounterNames).
const MetricPrefix = "laneway_shadowtag_"

// NewVMContext returns the VM context the wasm main registers in init().
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct {
	types.DefaultVMContext
}

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	p := &pluginContext{}
	p.stream.p = p
	if captureBuilt {
		proxyhost.OnHTTPContextDeleted(releaseStream)
	}
	return p
}

// pluginContext holds the configuration and counters of one plugin (per listener direction).
type pluginContext struct {
	types.DefaultPluginContext
	// stream is the one HTTP context every stream shares; NewPluginContext points it at its plugin.
	stream   httpContext
	cfg      Config
	mode     Mode // resolved mode; 0 while auto is unresolved
	tried    bool // auto: the per-request direction read was attempted
	counters proxyhost.Counters
	writer   proxyhost.Writer
	// cmp is the compare capture's root side; nil when compare is off (compare.go).
	cmp *comparer
	// free holds released per-stream contexts (compare, body redaction) for reuse (stream.go).
	free []*streamContext
}

// decision is every request's Decision, reused: a VM runs one callback at a time, whatever its plugins, and a
// decision is acted on before its callback returns. It is not a plugin field: the plugin context is converted
// to an interface, which would link the String method of every type in a Decision into the module (~2 KB).
var decision Decision

// OnPluginStart validates the configuration; a bad one fails the plugin with a critical log.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxyhost.ReadPluginConfig()
	if err != nil {
		proxywasm.LogCritical("shadowtag: cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical("shadowtag: plugin not started: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.cfg = cfg
	p.counters = proxyhost.DefineCounters(MetricPrefix, CounterNames)
	if captureBuilt && cfg.Compare != nil {
		if st := p.startCompare(); st != types.OnPluginStartStatusOK {
			return st
		}
	}
	var note string
	p.mode, note = cfg.ResolveMode(false)
	proxywasm.LogInfo(cfg.Summary() + note)
	return types.OnPluginStartStatusOK
}

// ResolveMode resolves auto from xds.listener_direction (0: not yet): at start with the log note, on a request logging.
func (c *Config) ResolveMode(onRequest bool) (Mode, string) {
	if c.Mode != ModeAuto {
		return c.Mode, ""
	}
	// Envoy derives listener_direction from the plugin's listener and keys root contexts by (plugin name,
	// traffic direction), so the value is constant for a plugin: it is read once at start and, when the root
	// context does not see it (Envoy >= 1.33 tells it to streams only), once more on the first request.
	// One function for both, on purpose: each function costs the Wasm module its own code and metadata.
	dir, ok := proxyhost.ListenerDirection()
	mode := c.Resolve(dir)
	if !ok {
		mode = 0
	}
	switch {
	case !onRequest && mode != 0:
		return mode, " (" + c.ModeNote(mode, dir, ok) + ")"
	case !onRequest:
		return 0, " (inbound or outbound from xds.listener_direction, read on the first request: Envoy tells a listener's direction to its streams only)"
	case mode != 0:
		proxywasm.LogInfo("shadowtag: " + c.ModeNote(mode, dir, ok))
	default:
		proxywasm.LogWarn("shadowtag: " + c.ModeNote(0, dir, ok) + "; requests pass unchanged; set mode to inbound or outbound")
	}
	return mode, ""
}

// NewHttpContext implements types.PluginContext. A stream that keeps no state of its own shares the plugin's
// one context: no allocation and no per-stream bookkeeping. Body redaction gives every stream a context of
// its own, reused after the stream is deleted (stream.go). Compare needs one only for the sampled few: in
// the Wasm build a stream starts on the shared context and switches to its own when it is sampled
// (proxyhost.ReplaceStreamContext), so an unsampled stream costs what it costs without compare; natively,
// where contexts cannot be switched, every stream gets its own.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	if captureBuilt && (len(p.cfg.Redact.JSONFields) > 0 || p.cmp != nil && !proxyhost.StreamContextReplaceable) {
		return p.newStream()
	}
	return &p.stream
}

type httpContext struct {
	types.DefaultHttpContext
	p *pluginContext
}

// OnHttpRequestHeaders reads every request header with one host call, decides, and acts.
func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	return h.p.requestHeaders(nil, endOfStream)
}

// requestHeaders is the request-headers logic; s is the stream's own context (nil for the shared one).
func (p *pluginContext) requestHeaders(s *streamContext, endOfStream bool) types.Action {
	if p.mode == 0 && !p.tried {
		p.mode, _ = p.cfg.ResolveMode(true)
		p.tried = true
	}
	if p.mode == 0 {
		p.counters.Inc(int(OutcomePassed))
		return types.ActionContinue
	}
	// The pairs alias a buffer the next request reuses; the decision is acted on before this callback ends.
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("shadowtag: cannot read request headers: " + err.Error())
		}
		p.counters.Inc(int(OutcomePassed))
		return types.ActionContinue
	}
	f := Facts{Mode: p.mode, EndOfStream: endOfStream}
	if p.mode == ModeWaypoint && len(p.cfg.Principals)+len(p.cfg.PrincipalPrefixes) > 0 {
		f.Principal = peerPrincipal()
	}
	d := &decision
	p.cfg.Decide(headers, f, d)
	if captureBuilt {
		if s != nil {
			s.body.Start(d.RedactBody, d.Redacted)
		}
		if p.cmp != nil && d.Mode == ModeInbound && p.cmp.samples(d) {
			p.sample(s, d, headers)
		}
	}
	action := p.writer.Apply("shadowtag", headers, described(d))
	if d.Reroute && p.writer.Err() != nil {
		p.cfg.Suppress(d) // without the reroute header the write would reach the real collaborator
		action = p.writer.Apply("shadowtag", headers, described(d))
	} else if d.Reroute && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("shadowtag: rerouted shadow " + d.Method + " to " + d.Destination + " via " + p.cfg.RerouteHeader)
	}
	p.cfg.Count(&p.counters, d)
	return action
}

// described gives a suppressing reply its debug-log line (built only when debug logs are on).
func described(d *Decision) *proxyhost.Verdict {
	if d.Reply != nil && proxyhost.DebugEnabled() {
		d.reply.Detail = "shadowtag: suppressed shadow " + d.Method + " to " + d.Destination
	}
	return &d.Verdict
}
