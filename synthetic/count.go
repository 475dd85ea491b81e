package synthetic

import "github.com/laneway/laneway/filters/proxyhost"

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

// MetricPrefix prefixes the filter's counter names.
const MetricPrefix = "laneway_synthetic_"

// Outcomes are the filter's counter names in the order Count and CheckAck index them: a module counting
// for the filter defines its counters with proxyhost.DefineCounters(MetricPrefix, Outcomes).
var Outcomes = []string{OutcomeAccepted, OutcomeStripped, OutcomePassed, OutcomeRefused, OutcomeRerouted, OutcomeAcked, OutcomeAckMissing}

// The indexes of Outcomes.
const (
	countAccepted = iota
	countStripped
	countPassed
	countRefused
	countRerouted
	countAcked
	countAckMissing
)

// MetricName returns the counter name for an outcome.
func MetricName(outcome string) string { return proxyhost.CounterName(MetricPrefix, outcome) }

// Count adds the outcomes of a final decision to cs. Requests without a marker count nothing, so they cost
// no metric host call; an accepted marker counts as accepted and, outside mode inbound, as what the
// destination policy did with it.
func (c *Config) Count(cs *proxyhost.Counters, d *Decision) {
	if d.Accepted {
		cs.Inc(countAccepted)
	}
	switch d.Action {
	case ActionStrip:
		cs.Inc(countStripped)
	case ActionRefuse:
		cs.Inc(countRefused)
	case ActionReroute:
		cs.Inc(countRerouted)
	case ActionForward:
		if c.Mode != ModeInbound {
			cs.Inc(countPassed)
		}
	}
}

// Counts reports whether Count may count anything for d: false for a request without a marker. Small enough to
// inline, so a caller whose call to Count costs a Go call skips it for the common unmarked request.
func (d *Decision) Counts() bool { return d.Accepted || d.Action != ActionNone }
