package combined

import (
	"strconv"
	"strings"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/tenantroute"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// tenantRole is the tenantroute role: tenantroute.Config.Route over the headers as the roles before it
// left them, counted under the tenantroute filter's names.
type tenantRole struct {
	cfg      *tenantroute.Config
	counters proxyhost.Counters
	// logged holds the rejected values already logged, at most cfg.InvalidLogLimit of them.
	logged     map[string]struct{}
	loggedFull bool
	d          tenantroute.Decision
}

// The tenantroute filter's counters: laneway_tenantroute_<name>_total.
const (
	tenantRouted = iota
	tenantBaseline
	tenantInjected
	tenantInvalid
	tenantStripped
	numTenantCounters
)

var tenantCounterNames = [numTenantCounters]string{"routed", "baseline", "injected", "invalid", "stripped"}

// maxLoggedValueLen bounds each remembered rejected value, so the log-once set stays small.
const maxLoggedValueLen = 64

// tenantPrefix starts the tenantroute filter's counter names.
const tenantPrefix = "laneway_tenantroute_"

func tenantMetric(i int) string { return proxyhost.CounterName(tenantPrefix, tenantCounterNames[i]) }

func (r *tenantRole) start() {
	r.counters = proxyhost.DefineCounters(tenantPrefix, tenantCounterNames[:])
	proxywasm.LogInfo("tenantroute: started with " + r.cfg.Summary())
	if w := r.cfg.UnsafeWarning(); w != "" {
		proxywasm.LogWarn("tenantroute: " + w)
	}
}

// decide routes the request. keep names the headers an earlier role set or vouched for: a trust
// boundary's strip of client-set headers does not remove them (nor counts them as stripped).
func (r *tenantRole) decide(headers [][2]string, keep []string) proxyhost.Verdict {
	d := &r.d
	r.cfg.Route(headers, d)
	if len(keep) > 0 && r.cfg.TrustBoundary {
		kept := d.Edits[:0]
		for _, e := range d.Edits {
			if e.Kind == proxyhost.Remove && containsFold(keep, e.Name) {
				// Every trust-boundary strip is one Remove edit counted once in Stripped.
				d.Stripped--
				continue
			}
			kept = append(kept, e)
		}
		d.Edits = kept
	}
	// tenantroute makes Envoy select the route again whenever it changed a header.
	return proxyhost.Verdict{Edits: d.Edits, Reroute: len(d.Edits) > 0}
}

func containsFold(names []string, name string) bool {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// countDecision increments the outcome counters of the last decision and logs a rejected value the first
// time it is seen.
func (r *tenantRole) countDecision() {
	d := &r.d
	switch d.Outcome {
	case tenantroute.OutcomeRouted:
		r.counters.Inc(tenantRouted)
	case tenantroute.OutcomeInjected:
		r.counters.Inc(tenantInjected)
	default:
		r.counters.Inc(tenantBaseline)
	}
	if d.Stripped > 0 {
		r.counters.Inc(tenantStripped)
	}
	if d.Rejected != "" {
		r.counters.Inc(tenantInvalid)
		r.logRejected()
	}
	if d.BaggageFull && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("tenantroute: tenant " + d.Tenant + " not added to baggage: it would exceed the W3C limits")
	}
}

// logRejected logs each distinct rejected value once per plugin, remembering at most InvalidLogLimit values.
//
// TODO(skeleton): use tenantroute's exported log-once once it lands (asked), instead of this copy.
func (r *tenantRole) logRejected() {
	d := &r.d
	limit := r.cfg.InvalidLogLimit
	if limit == 0 || r.loggedFull {
		return
	}
	v := d.Rejected
	if len(v) > maxLoggedValueLen {
		v = v[:maxLoggedValueLen]
	}
	if _, seen := r.logged[v]; seen {
		return
	}
	if r.logged == nil {
		r.logged = make(map[string]struct{})
	}
	r.logged[strings.Clone(v)] = struct{}{}
	where := d.RejectedSource.String()
	if d.Key != "" {
		where += " key " + d.Key
	}
	route := "baseline"
	if d.Outcome == tenantroute.OutcomeInjected {
		route = "workload tenant " + d.Tenant
	}
	proxywasm.LogWarn("tenantroute: ignoring tenant " + quoteBounded(d.Rejected) + " from " + where + " (" + d.Reason.String() +
		"); request goes to " + route + " (each value is logged once)")
	if len(r.logged) >= limit {
		r.loggedFull = true
		proxywasm.LogWarn("tenantroute: " + strconv.Itoa(limit) + " distinct rejected tenants logged; further ones are only counted in " +
			tenantMetric(tenantInvalid))
	}
}

// quoteBounded quotes a value for a log line, truncated to maxLoggedValueLen bytes.
func quoteBounded(v string) string {
	if len(v) > maxLoggedValueLen {
		return strconv.Quote(v[:maxLoggedValueLen]) + "... (" + strconv.Itoa(len(v)) + " bytes)"
	}
	return strconv.Quote(v)
}
