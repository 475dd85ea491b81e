// Command costprobe is a benchmark fixture (never shipped): it runs tenantroute's request path only up to
// the step its plugin configuration names, so tenantroute's BenchmarkCostBreakdown can price each step
// inside the Wasm VM. The configuration is {"upTo": "<step>"} with step one of none, read, route, edit,
// clear or count, in the order the real filter takes them (absent means count: the whole path); "routeTimes": n (1 to 1000, default 1) runs the
// route step n times per request, so the decision's own cost in the VM can be read off two runs.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tidwall/gjson"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/tenantroute"
)

// Like tenantroute, the probe exports only the request-headers callback.
//
//laneway:callbacks request_headers

func main() {}

func init() { proxywasm.SetVMContext(&vmContext{}) }

// The steps of tenantroute's request path, in order.
const (
	stepNone  = iota // enter the callback and return
	stepRead         // + read the request header map (get_header_map_pairs)
	stepRoute        // + decide (tenantroute.Config.Route)
	stepEdit         // + write the decision's header edits
	stepClear        // + call clear_route_cache
	stepCount        // + increment the outcome counter
)

var stepNames = map[string]int{"none": stepNone, "read": stepRead, "route": stepRoute, "edit": stepEdit, "clear": stepClear, "count": stepCount}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	p := &pluginContext{}
	p.stream.p = p
	return p
}

type pluginContext struct {
	types.DefaultPluginContext
	// stream is the one HTTP context every stream shares; NewPluginContext points it at its plugin.
	stream  httpContext
	upTo    int
	times   int
	cfg     tenantroute.Config
	counter proxywasm.MetricCounter
	scratch tenantroute.Decision
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		proxywasm.LogCriticalf("costprobe: cannot read plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if len(data) > 0 && !gjson.ValidBytes(data) {
		proxywasm.LogCriticalf("costprobe: plugin configuration is not valid JSON: %q", data)
		return types.OnPluginStartStatusFailed
	}
	name := "count"
	if v := gjson.GetBytes(data, "upTo"); v.Exists() {
		name = v.String()
	}
	step, ok := stepNames[name]
	if !ok {
		proxywasm.LogCriticalf("costprobe: upTo: got %q, want one of none, read, route, edit, clear, count", name)
		return types.OnPluginStartStatusFailed
	}
	if p.cfg, err = tenantroute.ParseConfig(nil); err != nil {
		proxywasm.LogCriticalf("costprobe: tenantroute defaults: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.times = 1
	if t := gjson.GetBytes(data, "routeTimes"); t.Exists() {
		if p.times = int(t.Int()); t.Type != gjson.Number || p.times < 1 || p.times > 1000 {
			proxywasm.LogCriticalf("costprobe: routeTimes: got %s, want a number from 1 to 1000", t.Raw)
			return types.OnPluginStartStatusFailed
		}
	}
	p.upTo, p.counter = step, proxywasm.DefineCounterMetric("laneway_costprobe_routed_total")
	return types.OnPluginStartStatusOK
}

// NewHttpContext implements types.PluginContext. A stream keeps no state of its own, so all streams share
// the plugin's one context: no allocation per request.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext { return &p.stream }

type httpContext struct {
	types.DefaultHttpContext
	p *pluginContext
}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	p := h.p
	if p.upTo < stepRead {
		return types.ActionContinue
	}
	headers, err := proxyhost.RequestHeaders()
	if err != nil || p.upTo < stepRoute {
		return types.ActionContinue
	}
	d := &p.scratch
	for range p.times {
		p.cfg.Route(headers, d)
	}
	if p.upTo < stepEdit {
		return types.ActionContinue
	}
	changed, _ := proxyhost.EditRequestHeaders(d.Edits)
	if p.upTo < stepClear {
		return types.ActionContinue
	}
	if changed {
		_, _ = proxywasm.CallForeignFunction("clear_route_cache", nil)
	}
	if p.upTo < stepCount {
		return types.ActionContinue
	}
	if d.Outcome == tenantroute.OutcomeRouted {
		p.counter.Increment(1)
	}
	return types.ActionContinue
}
