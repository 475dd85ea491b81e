package tenantroute

import (
	"strconv"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// filterName prefixes every log line of the filter.
const filterName = "tenantroute"

// MetricPrefix starts every counter name: laneway_tenantroute_<outcome>_total (proxyhost.CounterName).
const MetricPrefix = "laneway_tenantroute_"

// The counters, indexes into CounterNames.
const (
	CounterRouted = iota
	CounterBaseline
	CounterInjected
	CounterInvalid
	CounterStripped
)

// CounterNames are the outcomes counted, in the order of the Counter constants: define them with
// proxyhost.DefineCounters(MetricPrefix, CounterNames) and count a decision with Config.Count.
var CounterNames = []string{"routed", "baseline", "injected", "invalid", "stripped"}

// Count adds a decision to the counters defined from CounterNames: its outcome, and whether it stripped
// something or rejected a tenant.
func (c *Config) Count(cs *proxyhost.Counters, d *Decision) {
	switch d.Outcome {
	case OutcomeRouted:
		cs.Inc(CounterRouted)
	case OutcomeInjected:
		cs.Inc(CounterInjected)
	default:
		cs.Inc(CounterBaseline)
	}
	if d.Stripped > 0 {
		cs.Inc(CounterStripped)
	}
	if d.Rejected != "" {
		cs.Inc(CounterInvalid)
	}
}

// NewVMContext returns the VM context the tenantroute wasm main registers.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	p := &pluginContext{}
	p.stream.p = p
	return p
}

type pluginContext struct {
	types.DefaultPluginContext
	// stream is the one HTTP context every stream shares; NewPluginContext points it at its plugin.
	stream     httpContext
	cfg        Config
	configured bool
	counters   proxyhost.Counters
	writer     proxyhost.Writer
	rejected   RejectedLog
	// decision is reused by every request: callbacks of one VM never run concurrently.
	decision Decision
}

// OnPluginStart implements types.PluginContext: read, parse and validate the configuration, define counters.
func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxyhost.ReadPluginConfig()
	if err != nil {
		proxywasm.LogCritical(filterName + ": cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical(filterName + ": plugin not started: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	if !p.counters.Defined() {
		p.counters = proxyhost.DefineCounters(MetricPrefix, CounterNames)
	}
	p.cfg, p.configured = cfg, true
	p.rejected = RejectedLog{}
	proxywasm.LogInfo(filterName + ": started with " + cfg.Summary())
	if w := cfg.UnsafeWarning(); w != "" {
		proxywasm.LogWarn(filterName + ": " + w)
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

// OnHttpRequestHeaders implements types.HttpContext: one header read, the decision, only the edits needed.
func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	p := h.p
	if !p.configured {
		return types.ActionContinue
	}
	// The pairs alias a buffer the next request reuses: nothing below keeps them past this callback
	// (RejectedLog clones what it remembers).
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug(filterName + ": cannot read request headers: " + err.Error())
		}
		return types.ActionContinue
	}
	d := &p.decision
	p.cfg.Decide(headers, d)
	p.writer.Apply(filterName, headers, &d.Verdict)
	p.cfg.Count(&p.counters, d)
	p.rejected.Note(&p.cfg, d)
	return types.ActionContinue
}

// maxLoggedValueLen bounds each remembered rejected value, so the log-once set stays small.
const maxLoggedValueLen = 64

// RejectedLog logs each distinct rejected tenant once, remembering at most Config.InvalidLogLimit values; the
// zero RejectedLog is ready to use (reset it when the configuration changes).
type RejectedLog struct {
	logged map[string]struct{}
	full   bool
}

// Note logs d's baggage overflow at debug level, and d's rejected tenant the first time it is seen.
func (l *RejectedLog) Note(c *Config, d *Decision) {
	// Most requests have nothing to note: this test inlines into the caller, the call costs about 50 Wasm
	// instructions.
	if d.BaggageFull || d.Rejected != "" {
		l.note(c, d)
	}
}

func (l *RejectedLog) note(c *Config, d *Decision) {
	if d.BaggageFull && proxyhost.DebugEnabled() {
		proxywasm.LogDebug(filterName + ": tenant " + d.Tenant + " not added to baggage: it would exceed the W3C limits")
	}
	if d.Rejected == "" {
		return
	}
	limit := c.InvalidLogLimit
	if limit == 0 || l.full {
		return
	}
	v := d.Rejected
	if len(v) > maxLoggedValueLen {
		v = v[:maxLoggedValueLen]
	}
	if _, seen := l.logged[v]; seen {
		return
	}
	if l.logged == nil {
		l.logged = make(map[string]struct{})
	}
	// Clone so that the set does not pin the request's header buffer.
	l.logged[string(append([]byte(nil), v...))] = struct{}{}
	where := d.RejectedSource.String()
	if d.Key != "" {
		where += " key " + d.Key
	}
	proxywasm.LogWarn(filterName + ": ignoring tenant " + quoteBounded(d.Rejected) + " from " + where + " (" + d.Reason.String() +
		"); request goes to " + routeText(d) + " (each value is logged once)")
	if len(l.logged) >= limit {
		l.full = true
		proxywasm.LogWarn(filterName + ": " + strconv.Itoa(limit) + " distinct rejected tenants logged; further ones are only counted in " +
			proxyhost.CounterName(MetricPrefix, CounterNames[CounterInvalid]))
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
