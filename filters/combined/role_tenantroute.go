package combined

import (
	"strings"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/tenantroute"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// tenantRole is the tenantroute role: tenantroute.Config.Decide over the headers as the roles before it left
// them, counted and logged as the tenantroute filter does.
type tenantRole struct {
	cfg      *tenantroute.Config
	counters proxyhost.Counters
	rejected tenantroute.RejectedLog
	d        tenantroute.Decision
}

func (r *tenantRole) start() {
	r.counters = proxyhost.DefineCounters(tenantroute.MetricPrefix, tenantroute.CounterNames)
	proxywasm.LogInfo("tenantroute: started with " + r.cfg.Summary())
	if w := r.cfg.UnsafeWarning(); w != "" {
		proxywasm.LogWarn("tenantroute: " + w)
	}
}

// decide routes the request for a plugin with tenantroute alone (with other roles on, OnHttpRequestHeaders
// calls Decide itself).
func (r *tenantRole) decide(headers [][2]string) *proxyhost.Verdict {
	r.cfg.Decide(headers, &r.d)
	return &r.d.Verdict
}

// spare takes out of the last decision the trust-boundary strips of the names in keep, the headers a role
// before it set or vouched for: they are neither removed nor counted as stripped (what tenantroute.Config.Keeping
// does, without a copy of the configuration per request). Only the strips for the x-laneway- prefix are spared: a
// baggage header an earlier role rewrote is still removed when the tenant left in it was rejected.
func (r *tenantRole) spare(keep []string) {
	d, c := &r.d, r.cfg
	kept := d.Edits[:0]
	for _, e := range d.Edits {
		if e.Kind == proxyhost.Remove && c.StripsForPrefix(e.Name) && containsFold(keep, e.Name) {
			d.Stripped-- // each trust-boundary strip is one Remove edit counted once in Stripped
			continue
		}
		kept = append(kept, e)
	}
	d.Edits = kept
	d.Reroute = len(kept) > 0
}

func containsFold(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// countDecision counts the last decision under the tenantroute filter's names and logs a rejected tenant the
// first time it is seen.
func (r *tenantRole) countDecision() {
	r.cfg.Count(&r.counters, &r.d)
	r.rejected.Note(r.cfg, &r.d)
}
