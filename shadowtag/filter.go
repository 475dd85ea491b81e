package shadowtag

import (
	"encoding/binary"
	"errors"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// MetricPrefix starts every counter name: laneway_shadowtag_<outcome>_total.
const MetricPrefix = "laneway_shadowtag_"

// directionProperty is the listener direction (1 inbound, 2 outbound) in Envoy >= 1.33.
var directionProperty = []string{"xds", "listener_direction"}

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
	detected proxywasm.MetricCounter
	outcomes [numOutcomes]proxywasm.MetricCounter
	// noClearRouteCache is set once the host said it has no clear_route_cache.
	noClearRouteCache bool
	// edited is reused by every whole-map write: the host copies the map during the call.
	edited [][2]string
	// cmp is the compare capture's root side; nil when compare is off (compare.go).
	cmp *comparer
	// free holds released per-stream contexts (compare, body redaction) for reuse (stream.go).
	free []*streamContext
	// redacted counts shadow copies whose headers or body fields were redacted.
	redacted proxywasm.MetricCounter
}

// maxKeptPairs bounds the capacity of edited kept between requests.
const maxKeptPairs = 512

// OnPluginStart validates the configuration; a bad one fails the plugin with a critical log.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCritical("shadowtag: cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical("shadowtag: plugin not started: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.cfg = cfg
	p.detected = proxywasm.DefineCounterMetric(MetricPrefix + "detected_total")
	for o := Outcome(0); o < numOutcomes; o++ {
		p.outcomes[o] = proxywasm.DefineCounterMetric(MetricPrefix + o.String() + "_total")
	}
	p.mode = cfg.Mode
	if cfg.Redact.active() {
		p.redacted = proxywasm.DefineCounterMetric(MetricPrefix + "redacted_total")
	}
	if captureBuilt && cfg.Compare != nil {
		if st := p.startCompare(); st != types.OnPluginStartStatusOK {
			return st
		}
	}
	note := ""
	if cfg.Mode == ModeAuto {
		// Envoy derives listener_direction from the plugin's listener and keys root contexts by (plugin
		// name, traffic direction), so the value is constant for this plugin: read it once. Envoy (>= 1.33)
		// tells it to streams only, so the first request usually reads it.
		p.mode = 0
		dir, ok := readDirection()
		if ok {
			p.mode = cfg.Resolve(dir)
		}
		if p.mode != 0 {
			note = " (" + cfg.ModeNote(p.mode, dir, ok) + ")"
		} else {
			note = " (inbound or outbound from xds.listener_direction, read on the first request: Envoy tells a listener's direction to its streams only)"
		}
	}
	proxywasm.LogInfo(cfg.Summary() + note)
	return types.OnPluginStartStatusOK
}

// readDirection reads xds.listener_direction (an 8-byte little-endian integer).
func readDirection() (int64, bool) {
	b, err := proxywasm.GetProperty(directionProperty)
	if err != nil || len(b) != 8 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b)), true
}

// resolveOnRequest tries the direction once from a stream context and pins it.
func (p *pluginContext) resolveOnRequest() {
	p.tried = true
	dir, ok := readDirection()
	if ok {
		p.mode = p.cfg.Resolve(dir)
	}
	if p.mode != 0 {
		proxywasm.LogInfo("shadowtag: " + p.cfg.ModeNote(p.mode, dir, ok))
		return
	}
	proxywasm.LogWarn("shadowtag: " + p.cfg.ModeNote(0, dir, ok) + "; requests pass unchanged; set mode to inbound or outbound")
}

// NewHttpContext implements types.PluginContext. Without compare or body redaction a stream keeps no state
// of its own, so all streams share the plugin's one context: no allocation per request. With them, each
// stream gets a context of its own, reused after the stream is deleted (stream.go).
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	if captureBuilt && (p.cmp != nil || len(p.cfg.Redact.JSONFields) > 0) {
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
		p.resolveOnRequest()
	}
	if p.mode == 0 {
		p.outcomes[OutcomePassed].Increment(1)
		return types.ActionContinue
	}
	// The pairs alias a buffer the next request reuses; the decision is acted on before this callback ends.
	pairs, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("shadowtag: cannot read request headers: " + err.Error())
		}
		p.outcomes[OutcomePassed].Increment(1)
		return types.ActionContinue
	}
	var d Decision
	if p.mode == ModeWaypoint && len(p.cfg.Principals)+len(p.cfg.PrincipalPrefixes) > 0 {
		d = p.cfg.DecideWaypoint(pairs, peerPrincipal())
	} else {
		d = p.cfg.Decide(p.mode, pairs)
	}
	if d.Shadow {
		p.detected.Increment(1)
	}
	if captureBuilt && s != nil && p.cmp != nil && d.Mode == ModeInbound {
		p.sample(s, &d, pairs)
	}
	if d.Outcome == OutcomeSuppressed {
		return p.suppress(&d)
	}
	edits := d.Edits()
	if d.Shadow && d.Mode == ModeInbound && p.cfg.Redact.active() {
		var buf [maxEdits + MaxRedactHeaders + 1]Edit // only on redacted shadow copies: ordinary requests never zero it
		edits = p.redact(s, pairs, endOfStream, append(buf[:0], edits...))
	}
	if len(edits) > 0 {
		if err := p.writeEdits(pairs, edits); err != nil && d.Outcome == OutcomeRerouted {
			// Without the reroute header the write would reach the real collaborator.
			if proxyhost.DebugEnabled() {
				proxywasm.LogDebug("shadowtag: reroute header not set (" + err.Error() + "); suppressing")
			}
			return p.suppress(&d)
		}
	}
	if d.Outcome == OutcomeRerouted {
		p.clearRouteCache()
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("shadowtag: rerouted shadow " + d.Method + " to " + d.Destination + " via " + p.cfg.RerouteHeader)
		}
	}
	p.outcomes[d.Outcome].Increment(1)
	return types.ActionContinue
}

// writeEdits applies edits to the request: one whole-map write, or single edits where Envoy
// would read the whole map as empty (more than 1024 headers or 1 MiB).
func (p *pluginContext) writeEdits(pairs [][2]string, edits []Edit) error {
	var arr [maxEdits]proxyhost.Edit
	hw := hostEdits(arr[:0], pairs, edits)
	p.edited = proxyhost.AppendEdited(p.edited[:0], pairs, hw)
	_, err := proxyhost.WriteRequestHeaders(p.edited, hw)
	clear(p.edited) // keep no request's strings alive until the next write
	if cap(p.edited) > maxKeptPairs {
		p.edited = nil // a flood of headers does not pin its size for the life of the VM
	}
	return err
}

// suppress answers the request locally; it never continues, even if the reply fails.
func (p *pluginContext) suppress(d *Decision) types.Action {
	r := &p.cfg.Response
	if err := proxywasm.SendHttpResponse(r.Status, r.Headers, r.Body, -1); err != nil && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("shadowtag: local response failed: " + err.Error())
	}
	if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("shadowtag: suppressed shadow " + d.Method + " to " + d.Destination)
	}
	p.outcomes[OutcomeSuppressed].Increment(1)
	return types.ActionPause
}

// clearRouteCache asks Envoy (>= 1.33) to select the route again; a host without the
// foreign function is remembered and not asked again (ABI 0.2.x header edits clear it anyway).
func (p *pluginContext) clearRouteCache() {
	if p.noClearRouteCache {
		return
	}
	if err := proxyhost.ClearRouteCache(); errors.Is(err, types.ErrorStatusNotFound) {
		p.noClearRouteCache = true
		proxywasm.LogInfo("shadowtag: host has no clear_route_cache foreign function; relying on header edits to clear the route cache")
	}
}
