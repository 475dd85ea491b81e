package synthetic

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Outcomes counted as laneway_synthetic_<outcome>_total.
const (
	OutcomeAccepted   = "accepted"
	OutcomeStripped   = "stripped"
	OutcomePassed     = "passed"
	OutcomeRefused    = "refused"
	OutcomeRerouted   = "rerouted"
	OutcomeAcked      = "acked"
	OutcomeAckMissing = "ack_missing"
)

// MetricName returns the counter name for an outcome.
func MetricName(outcome string) string { return "laneway_synthetic_" + outcome + "_total" }

// principalProperties are read, in order, for the downstream peer identity.
var principalProperties = []proxyhost.Property{
	proxyhost.NewProperty("connection", "uri_san_peer_certificate"),
	proxyhost.NewProperty("source", "principal"),
}

// NewVMContext returns the VM context the wasm main registers.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext. In the Wasm build deleted stream contexts come back through
// proxyhost and are reused (see release).
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	proxyhost.OnHTTPContextDeleted(releaseContext)
	return &pluginContext{}
}

// releaseContext receives every HTTP context of the VM once Envoy deleted its stream.
func releaseContext(c types.HttpContext) {
	if h, ok := c.(*httpContext); ok {
		h.release()
	}
}

type counters struct {
	accepted, stripped, passed, refused, rerouted, acked, ackMissing proxywasm.MetricCounter
}

type pluginContext struct {
	types.DefaultPluginContext
	cfg       *Config
	m         counters
	warnedAck bool
	// free holds released stream contexts for reuse (see release), at most maxFreeContexts.
	free []*httpContext
	// idBuf holds a generated transaction id for the rest of its callback.
	idBuf proxyhost.Buf
}

// maxKeptIDHost bounds the id-and-host memory a released context keeps.
const maxKeptIDHost = 512

// maxFreeContexts bounds the contexts kept for reuse: about the streams one worker has open at once.
const maxFreeContexts = 1024

// OnPluginStart parses the configuration; a bad one fails the plugin with a critical log naming the field.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCritical("synthetic: cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical("synthetic: invalid plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.cfg = &cfg
	p.m = counters{
		accepted:   proxywasm.DefineCounterMetric(MetricName(OutcomeAccepted)),
		stripped:   proxywasm.DefineCounterMetric(MetricName(OutcomeStripped)),
		passed:     proxywasm.DefineCounterMetric(MetricName(OutcomePassed)),
		refused:    proxywasm.DefineCounterMetric(MetricName(OutcomeRefused)),
		rerouted:   proxywasm.DefineCounterMetric(MetricName(OutcomeRerouted)),
		acked:      proxywasm.DefineCounterMetric(MetricName(OutcomeAcked)),
		ackMissing: proxywasm.DefineCounterMetric(MetricName(OutcomeAckMissing)),
	}
	proxywasm.LogInfo("synthetic: started: " + cfg.Summary())
	return types.OnPluginStartStatusOK
}

// NewHttpContext implements types.PluginContext.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	if p.cfg == nil {
		return &types.DefaultHttpContext{}
	}
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return h
	}
	return &httpContext{p: p}
}

// release is called (through proxyhost, in the Wasm build) after Envoy deleted the stream and nothing calls the
// context again: it is cleared and kept for the next stream, so a stream allocates no context in the steady
// state.
func (h *httpContext) release() {
	p, buf := h.p, h.idHost[:0]
	if cap(buf) > maxKeptIDHost {
		buf = nil // an unusually long :authority is not kept for the life of the VM
	}
	*h = httpContext{p: p, idHost: buf}
	if len(p.free) < maxFreeContexts {
		p.free = append(p.free, h)
	}
}

type httpContext struct {
	types.DefaultHttpContext
	p        *pluginContext
	awaitAck bool
	// txid and host alias idHost, which the context owns and keeps when it is reused (see release).
	txid, host string
	idHost     []byte
}

// envoyHost reads the peer identity from Envoy properties and the time from the host clock.
type envoyHost struct{}

// Now implements Host; each call costs host calls (clock_time_get), so Decide asks only for tokens.
func (envoyHost) Now() time.Time { return time.Now() }

// Principal implements Host. The string shares the bytes Property.Read returned, which the next property read
// overwrites: Decide only compares it, at once.
func (envoyHost) Principal() (string, bool) {
	for _, path := range principalProperties {
		if v, err := path.Read(); err == nil && len(v) > 0 {
			return unsafe.String(&v[0], len(v)), true
		}
	}
	return "", false
}

// OnHttpRequestHeaders implements types.HttpContext. Per-request debug lines are concatenated rather than
// formatted (fmt costs about a microsecond per line in Wasm), and built only when Envoy records debug logs.
func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	cfg := h.p.cfg
	// The pairs alias a buffer the next request reuses: what the stream keeps for its response is copied.
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: cannot read request headers: " + err.Error())
		}
		return types.ActionContinue
	}
	var host Host = envoyHost{}
	if cfg.Mode == ModeWaypoint {
		host = waypointHost{}
	}
	d := cfg.Decide(headers, host)
	if d.StripToken {
		_ = proxywasm.RemoveHttpRequestHeader(cfg.TokenHeader)
	}
	if d.StripCarriers {
		for i := range headers {
			if cfg.CarrierHeader(headers[i][0]) {
				_ = proxywasm.RemoveHttpRequestHeader(headers[i][0])
			}
		}
	}
	if d.Accepted {
		h.p.m.accepted.Increment(1)
	}
	switch d.Action {
	case ActionNone:
		return types.ActionContinue
	case ActionStrip:
		h.p.m.stripped.Increment(1)
		h.strip(headers, &d)
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: stripped marker: " + d.Reason + " (" + d.TokenReason + ")")
		}
		return types.ActionContinue
	}
	if d.ID == "" {
		d.ID = h.p.idBuf.Finish(AppendTxID(h.p.idBuf.Start())) // valid for this callback (see proxyhost.Buf)
	}
	switch d.Action {
	case ActionRefuse:
		h.p.m.refused.Increment(1)
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: tx " + d.ID + ": refused " + d.Method + " to " + d.Authority)
		}
		hs := [][2]string{{"content-type", "text/plain; charset=utf-8"}, {cfg.Header, cfg.MarkerValue(d.ID)}}
		if err := proxywasm.SendHttpResponse(uint32(cfg.RefuseStatus), hs, cfg.RefusalBodyBytes(&d), -1); err != nil && proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: tx " + d.ID + ": cannot send refusal: " + err.Error())
		}
		return types.ActionPause
	case ActionReroute:
		h.p.m.rerouted.Increment(1)
		h.normalise(headers, &d)
		_ = proxywasm.ReplaceHttpRequestHeader(cfg.RerouteHeader, cfg.RerouteValue)
		// Envoy re-routes after header changes for ABI <= 0.2.1; also ask
		// explicitly where the host offers it (Envoy >= 1.33).
		_ = proxyhost.ClearRouteCache()
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("synthetic: tx " + d.ID + ": rerouted " + d.Method + " to " + d.Authority)
		}
		return types.ActionContinue
	}
	if cfg.Mode != ModeInbound {
		h.p.m.passed.Increment(1)
	}
	h.normalise(headers, &d)
	if d.AwaitAck {
		// Copies: d's strings alias the request-header memory the next stream's read overwrites.
		h.idHost = append(append(h.idHost[:0], d.ID...), d.Authority...)
		all := unsafe.String(unsafe.SliceData(h.idHost), len(h.idHost))
		h.awaitAck, h.txid, h.host = true, all[:len(d.ID)], all[len(d.ID):]
	}
	if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("synthetic: tx " + d.ID + ": " + d.Action.String() + " " + d.Method + " to " + d.Authority + " (" + d.Reason + ")")
	}
	return types.ActionContinue
}

// normalise leaves exactly one marker header and one baggage member, both with d.ID.
func (h *httpContext) normalise(headers [][2]string, d *Decision) {
	cfg := h.p.cfg
	if !d.headerNormalised() {
		_ = proxywasm.ReplaceHttpRequestHeader(cfg.Header, cfg.MarkerValue(d.ID))
	}
	if v, change := cfg.BaggageWithID(headers, d.ID); change {
		if v == "" {
			_ = proxywasm.RemoveHttpRequestHeader("baggage")
		} else {
			_ = proxywasm.ReplaceHttpRequestHeader("baggage", v)
		}
	}
}

// strip removes an untrusted marker from the header and the baggage (with any member the parser drops).
func (h *httpContext) strip(headers [][2]string, d *Decision) {
	cfg := h.p.cfg
	if d.HasHeader {
		_ = proxywasm.RemoveHttpRequestHeader(cfg.Header)
	}
	if d.StripBaggage {
		v, change, remove := cfg.BaggageWithoutMarker(headers)
		switch {
		case remove:
			_ = proxywasm.RemoveHttpRequestHeader("baggage")
		case change:
			_ = proxywasm.ReplaceHttpRequestHeader("baggage", v)
		}
	}
}

// OnHttpResponseHeaders checks the acknowledgement of a mutating synthetic call to a participant.
func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	if !h.awaitAck {
		return types.ActionContinue
	}
	h.awaitAck = false
	v, err := proxyhost.ResponseHeader(h.p.cfg.AckHeader)
	if err == nil && v == h.txid {
		h.p.m.acked.Increment(1)
		return types.ActionContinue
	}
	h.p.m.ackMissing.Increment(1)
	if !h.p.warnedAck {
		h.p.warnedAck = true
		proxywasm.LogWarn("synthetic: tx " + h.txid + ": " + h.host + " did not acknowledge with " + h.p.cfg.AckHeader + ": " + strconv.Quote(v) + " (further misses are logged at debug)")
	} else if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("synthetic: tx " + h.txid + ": " + h.host + " did not acknowledge with " + h.p.cfg.AckHeader + ": " + strconv.Quote(v))
	}
	return types.ActionContinue
}
