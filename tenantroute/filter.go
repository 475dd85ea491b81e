package tenantroute

import (
	"errors"
	"strconv"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// metricPrefix and metricSuffix frame every counter name: laneway_tenantroute_<outcome>_total.
const (
	metricPrefix = "laneway_tenantroute_"
	metricSuffix = "_total"
	// maxLoggedValueLen bounds each remembered rejected value, so the log-once set stays small.
	maxLoggedValueLen = 64
	// maxEditCalls bounds the host calls spent on single-header edits; a request needing more (a flood of
	// spoofed copies) gets its whole header map written back in one set_header_map_pairs call instead,
	// when Envoy accepts a map that large (see proxyhost.WriteRequestHeaders).
	maxEditCalls = 8
	// clearRouteCacheFn is Envoy's (>= 1.33) foreign function that makes the router re-match.
	clearRouteCacheFn = proxyhost.ClearRouteCacheFunction
)

// counter indexes the plugin's counters.
type counter int

const (
	counterRouted counter = iota
	counterBaseline
	counterInjected
	counterInvalid
	counterStripped
	numCounters
)

var counterNames = [numCounters]string{"routed", "baseline", "injected", "invalid", "stripped"}

// foreignCaller calls a host foreign function (proxywasm.CallForeignFunction in production).
type foreignCaller func(name string, param []byte) ([]byte, error)

// NewVMContext returns the VM context the tenantroute wasm main registers.
func NewVMContext() types.VMContext {
	return &vmContext{callForeign: proxywasm.CallForeignFunction}
}

type vmContext struct {
	types.DefaultVMContext
	callForeign foreignCaller
}

// NewPluginContext implements types.VMContext.
func (v *vmContext) NewPluginContext(uint32) types.PluginContext {
	p := &pluginContext{callForeign: v.callForeign}
	p.stream.p = p
	return p
}

type pluginContext struct {
	types.DefaultPluginContext
	// stream is the one HTTP context every stream shares; NewPluginContext points it at its plugin.
	stream      httpContext
	cfg         Config
	configured  bool
	counters    [numCounters]proxywasm.MetricCounter
	callForeign foreignCaller
	// noClearRouteCache remembers that the host lacks clear_route_cache, so it is not retried.
	noClearRouteCache bool
	// logged holds the rejected values already logged, at most cfg.InvalidLogLimit of them.
	logged     map[string]struct{}
	loggedFull bool
	// scratch is reused by every request: callbacks of one VM never run concurrently.
	scratch Decision
}

// OnPluginStart implements types.PluginContext: parse and validate the configuration, define counters.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		proxywasm.LogCritical("tenantroute: cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical("tenantroute: plugin not started: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	if !p.configured {
		for i := range p.counters {
			p.counters[i] = proxywasm.DefineCounterMetric(metricPrefix + counterNames[i] + metricSuffix)
		}
	}
	p.cfg, p.configured = cfg, true
	p.logged, p.loggedFull = nil, false
	proxywasm.LogInfo("tenantroute: started with " + cfg.Summary())
	if w := cfg.UnsafeWarning(); w != "" {
		proxywasm.LogWarn("tenantroute: " + w)
	}
	return types.OnPluginStartStatusOK
}

// NewHttpContext implements types.PluginContext. A stream keeps no state of its own, so all streams share
// the plugin's one context: no allocation per request.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext { return &p.stream }

type httpContext struct {
	types.DefaultHttpContext
	p *pluginContext
}

// OnHttpRequestHeaders implements types.HttpContext: one header read, then only the edits needed.
func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	p := h.p
	if !p.configured {
		return types.ActionContinue
	}
	// The pairs alias a buffer the next request reuses: nothing below keeps them past this callback
	// (logRejected clones what it remembers).
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("tenantroute: cannot read request headers: " + err.Error())
		}
		return types.ActionContinue
	}
	d := &p.scratch
	p.cfg.Route(headers, d)
	p.apply(headers, d)
	p.count(d)
	return types.ActionContinue
}

// apply performs the decision's header edits and makes Envoy re-match the route if anything changed.
// Beyond maxEditCalls edits the whole map is written in one call, unless Envoy would read it as empty.
func (p *pluginContext) apply(headers [][2]string, d *Decision) {
	var (
		changed bool
		err     error
	)
	if len(d.Edits) > maxEditCalls {
		changed, err = proxyhost.WriteRequestHeaders(applyEdits(headers, d.Edits), d.Edits)
	} else {
		changed, err = proxyhost.EditRequestHeaders(d.Edits)
	}
	if err != nil && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("tenantroute: editing request headers: " + err.Error())
	}
	if changed {
		p.clearRouteCache()
	}
}

// clearRouteCache calls Envoy's clear_route_cache where present; header edits already clear it for ABI <= 0.2.1.
func (p *pluginContext) clearRouteCache() {
	if p.noClearRouteCache || p.callForeign == nil {
		return
	}
	if _, err := p.callForeign(clearRouteCacheFn, nil); err != nil {
		p.noClearRouteCache = true
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("tenantroute: host has no " + clearRouteCacheFn + " foreign function (" + err.Error() + "); relying on header edits to re-route")
		}
	}
}

// count increments the outcome counters and logs a rejected value the first time it is seen.
func (p *pluginContext) count(d *Decision) {
	switch d.Outcome {
	case OutcomeRouted:
		p.counters[counterRouted].Increment(1)
	case OutcomeInjected:
		p.counters[counterInjected].Increment(1)
	default:
		p.counters[counterBaseline].Increment(1)
	}
	if d.Stripped > 0 {
		p.counters[counterStripped].Increment(1)
	}
	if d.Rejected != "" {
		p.counters[counterInvalid].Increment(1)
		p.logRejected(d)
	}
	if d.BaggageFull && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("tenantroute: tenant " + d.Tenant + " not added to baggage: it would exceed the W3C limits")
	}
}

// logRejected logs each distinct rejected value once per plugin, remembering at most InvalidLogLimit values.
func (p *pluginContext) logRejected(d *Decision) {
	limit := p.cfg.InvalidLogLimit
	if limit == 0 || p.loggedFull {
		return
	}
	v := d.Rejected
	if len(v) > maxLoggedValueLen {
		v = v[:maxLoggedValueLen]
	}
	if _, seen := p.logged[v]; seen {
		return
	}
	if p.logged == nil {
		p.logged = make(map[string]struct{})
	}
	// Clone so that the set does not pin the request's header buffer.
	p.logged[string(append([]byte(nil), v...))] = struct{}{}
	where := d.RejectedSource.String()
	if d.Key != "" {
		where += " key " + d.Key
	}
	proxywasm.LogWarn("tenantroute: ignoring tenant " + quoteBounded(d.Rejected) + " from " + where + " (" + d.Reason.String() +
		"); request goes to " + routeText(d) + " (each value is logged once)")
	if len(p.logged) >= limit {
		p.loggedFull = true
		proxywasm.LogWarn("tenantroute: " + strconv.Itoa(limit) + " distinct rejected tenants logged; further ones are only counted in " +
			metricPrefix + counterNames[counterInvalid] + metricSuffix)
	}
}

func routeText(d *Decision) string {
	if d.Outcome == OutcomeInjected {
		return "workload tenant " + d.Tenant
	}
	return "baseline"
}

// quoteBounded quotes a value for a log line, truncated to maxLoggedValueLen bytes.
func quoteBounded(v string) string {
	if len(v) > maxLoggedValueLen {
		return strconv.Quote(v[:maxLoggedValueLen]) + "... (" + strconv.Itoa(len(v)) + " bytes)"
	}
	return strconv.Quote(v)
}
