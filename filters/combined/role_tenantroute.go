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

// decide routes the request. keep names the headers a role before it set or vouched for: a trust boundary's
// strip of client-set headers does not remove them, nor counts them as stripped.
func (r *tenantRole) decide(headers [][2]string, keep []string) *proxyhost.Verdict {
	d := &r.d
	r.cfg.Decide(headers, d)
	if len(keep) > 0 && r.cfg.TrustBoundary {
		kept := d.Edits[:0]
		for _, e := range d.Edits {
			if e.Kind == proxyhost.Remove && containsFold(keep, e.Name) {
				d.Stripped-- // each trust-boundary strip is one Remove edit counted once in Stripped
				continue
			}
			kept = append(kept, e)
		}
		d.Edits = kept
		d.Reroute = len(kept) > 0
	}
	return &d.Verdict
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
