package synthetic

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// filterName prefixes the filter's log lines.
const filterName = "synthetic"

// NewVMContext returns the VM context the wasm main registers.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	p := &pluginContext{}
	p.shared.p = p
	return p
}

// releaseContext receives every HTTP context of the VM once Envoy deleted its stream (registered when a plugin
// requires acknowledgements); the plugins' shared contexts stay where they are.
func releaseContext(c types.HttpContext) {
	if h, ok := c.(*httpContext); ok && h != &h.p.shared {
		h.release()
	}
}

type pluginContext struct {
	types.DefaultPluginContext
	cfg *Config
	// shared serves every stream when no acknowledgement is required: such a stream keeps no state from its
	// request to its response, so it needs no context of its own (no allocation, no free-list bookkeeping).
	shared httpContext
	// unresolved: the configuration has no mode and the listener direction was not known at start; the
	// first request tries again.
	unresolved bool
	counters   proxyhost.Counters
	writer     proxyhost.Writer
	warnedAck  bool
	// free holds released stream contexts for reuse (see release), at most maxFreeContexts.
	free []*httpContext
}

// decision and facts serve every request, one at a time: a VM runs one callback at a time, whatever its
// plugins, and a decision is acted on before its callback returns. They are not plugin fields: the plugin
// context is converted to an interface, which would link the String method of every type they hold into the
// module (time.Time's formatting and time zone code, about 80 KB).
var (
	decision Decision
	facts    Facts
)

// maxFreeContexts bounds the contexts kept for reuse: about the streams one worker has open at once.
const maxFreeContexts = 1024

// OnPluginStart parses the configuration; a bad one fails the plugin with a critical log naming the field.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxyhost.ReadPluginConfig()
	if err != nil {
		proxywasm.LogCritical("synthetic: cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical("synthetic: invalid plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.cfg, p.unresolved = ResolveDirection(&cfg, false)
	p.counters = proxyhost.DefineCounters(MetricPrefix, Outcomes)
	if cfg.AckRequired {
		// In the Wasm build deleted stream contexts come back through proxyhost and are reused (see release).
		// Registered only when streams have contexts of their own; the hook serves every plugin of the VM.
		proxyhost.OnHTTPContextDeleted(releaseContext)
	}
	proxywasm.LogInfo("synthetic: started: " + p.cfg.Summary())
	return types.OnPluginStartStatusOK
}

// ResolveDirection takes an unset mode from xds.listener_direction: quietly at start, logging on the first request.
func ResolveDirection(c *Config, onRequest bool) (cfg *Config, unresolved bool) {
	if c.Mode != ModeUnset {
		return c, false
	}
	// Envoy keys plugins by name and traffic direction, so the direction cannot change under a plugin: it is
	// read once at start, or on the first request when the plugin's root context does not see it. One function
	// for both, on purpose: each function costs the Wasm module its own code and metadata.
	dir, ok := proxyhost.ListenerDirection()
	if r, resolved := c.WithDirection(dir); ok && resolved {
		if onRequest {
			proxywasm.LogInfo("synthetic: mode " + r.Mode.String() + " from the listener direction")
		}
		return &r, false
	}
	if onRequest {
		got := "not available"
		if ok {
			got = strconv.FormatInt(dir, 10)
		}
		proxywasm.LogWarn("synthetic: no mode configured and xds.listener_direction is " + got + noDirectionWarning)
	}
	return c, !onRequest
}

const noDirectionWarning = " (expected 1, inbound, or 2, outbound): marked requests are refused; set \"mode\" in the plugin configuration"

// NewHttpContext implements types.PluginContext: the shared context unless acknowledgements are required,
// then a stream's own (reused from the free list in the steady state).
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	if p.cfg == nil {
		return &types.DefaultHttpContext{}
	}
	if !p.cfg.AckRequired {
		return &p.shared
	}
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return h
	}
	return &httpContext{p: p}
}

type httpContext struct {
	types.DefaultHttpContext
	p   *pluginContext
	ack Ack
}

// release is called (through proxyhost, in the Wasm build) after Envoy deleted the stream and nothing calls the
// context again: it is cleared and kept for the next stream, so a stream allocates no context in the steady
// state.
func (h *httpContext) release() {
	p := h.p
	h.ack.Reset()
	*h = httpContext{p: p, ack: h.ack}
	if len(p.free) < maxFreeContexts {
		p.free = append(p.free, h)
	}
}

// OnHttpRequestHeaders implements types.HttpContext: read the headers once, decide, write the verdict, count.
func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	p := h.p
	if p.unresolved {
		p.cfg, p.unresolved = ResolveDirection(p.cfg, true)
	}
	// The pairs alias a buffer the next request reuses: what the stream keeps for its response is copied.
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: cannot read request headers: " + err.Error())
		}
		return types.ActionContinue
	}
	cfg, d, f := p.cfg, &decision, &facts
	f.Have = 0
	cfg.Decide(headers, f, d)
	for d.Need != 0 {
		cfg.ReadFacts(d.Need, f)
		cfg.Continue(headers, f, d)
	}
	if d.Action == ActionNone && len(d.Edits) == 0 {
		return types.ActionContinue // the common request: nothing to count, log or write
	}
	cfg.Count(&p.counters, d)
	if d.AwaitAck {
		h.ack.Await(d)
	}
	// The log level is asked (a host call) only when there is something to log.
	if d.Action != ActionNone && proxyhost.DebugEnabled() {
		d.Explain()
	}
	return p.writer.Apply(filterName, headers, &d.Verdict)
}

// OnHttpResponseHeaders checks the acknowledgement of a mutating synthetic call to a participant.
func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	if !h.ack.Waiting() {
		return types.ActionContinue
	}
	v, err := proxyhost.ResponseHeader(h.p.cfg.AckHeader)
	h.p.cfg.CheckAck(&h.p.counters, &h.ack, v, err == nil, &h.p.warnedAck)
	return types.ActionContinue
}

// principalProperties are read, in order, for the downstream peer identity.
var principalProperties = []proxyhost.Property{
	proxyhost.NewProperty("connection", "uri_san_peer_certificate"),
	proxyhost.NewProperty("source", "principal"),
}

// ReadFacts reads the facts Decide asked for (d.Need) from the host into f: the time from the host clock
// (clock_time_get), the downstream peer identity from the properties where c's mode finds it (see
// waypoint.go for mode waypoint). f.Principal shares the memory of proxyhost.Property.Read, which the next
// property read overwrites: Decide only compares it, at once.
func (c *Config) ReadFacts(need Need, f *Facts) {
	if need&NeedNow != 0 {
		f.Now = time.Now()
	}
	if need&NeedPrincipal != 0 {
		f.Principal = ""
		props := principalProperties
		if c.Mode == ModeWaypoint {
			props = waypointPrincipal
		}
		for _, path := range props {
			if v, err := path.Read(); err == nil && len(v) > 0 {
				f.Principal = unsafe.String(&v[0], len(v))
				break
			}
		}
	}
	f.Have |= need
}
