package demo

import (
	"fmt"
	"strings"
)

// Verdict outcomes.
const (
	Held   = "held"
	Failed = "failed"
	// NotRun means the request a promise is about was not sent (Options.Requests or Scenarios left it out).
	NotRun = "not run"
)

// Verdict says whether the demo showed one of its promises, with the evidence.
type Verdict struct {
	Promise  string `json:"promise"`
	Outcome  string `json:"outcome"`
	Evidence string `json:"evidence"`
}

// Promise is one thing the demo promises to show, checked against the request it is about.
type Promise struct {
	// Text is the promise as the verdict prints it.
	Text string
	// Request is the label of the Request (or Scenario, or CompareScenario) it is about.
	Request string
	// row, containment and compare check the request's outcome; exactly one is set. They return what
	// was seen and whether it is what was promised.
	row         func(Row) (string, bool)
	containment func(ContainmentRow) (string, bool)
	compare     func(CompareRow) (string, bool)
}

// labeled is a row of a report, known by the label of its request.
type labeled interface{ label() string }

func (r Row) label() string            { return r.Label }
func (r ContainmentRow) label() string { return r.Label }

// verdictOf evaluates the promise text about request against the rows it may be about: the routing rows,
// numbered from 1, with row, and the containment rows, numbered after them, with containment (either
// check nil when the promise is not about that kind of request). Not run when no row has that label.
func verdictOf[R, C labeled](text, request string, rows []R, row func(R) (string, bool), cont []C, containment func(C) (string, bool)) Verdict {
	v := Verdict{Promise: text, Outcome: NotRun, Evidence: fmt.Sprintf("request %q was not sent", request)}
	for i, r := range rows {
		if row != nil && r.label() == request {
			seen, ok := row(r)
			v.Outcome, v.Evidence = outcome(ok), fmt.Sprintf("request %d: %s", i+1, seen)
		}
	}
	for i, c := range cont {
		if containment != nil && c.label() == request {
			seen, ok := containment(c)
			v.Outcome, v.Evidence = outcome(ok), fmt.Sprintf("request %d: %s", len(rows)+i+1, seen)
		}
	}
	return v
}

// sandbox and baseline are the svc-b versions a request can reach.
const (
	sandbox  = "svc-b@sbx-1"
	baseline = "svc-b"
	// shadowHost is the Host of a mirrored copy (Envoy's -shadow suffix).
	shadowHost = "svc-b-shadow:8080"
)

// Promises are what `laneway demo` promises to show, one per default request and scenario.
var Promises = []Promise{
	{Text: "a tenant in baggage reaches its sandbox", Request: "tenant sbx-1", row: servedBy(sandbox, "sbx-1")},
	{Text: "a request without a tenant reaches the baseline, and a copy is mirrored to v2 and marked shadow", Request: "no tenant", row: mirroredBaseline},
	{Text: "a tenant the gateway does not allow is removed at the gateway and reaches the baseline", Request: "unknown tenant", row: removedAtGateway},
	{Text: "an invalid tenant is never routed: it reaches the baseline", Request: "invalid tenant", row: servedBy(baseline, "")},
	{Text: "Signadot's sd-routing-key routes like laneway-tenant", Request: "signadot key", row: servedBy(sandbox, "sbx-1")},
	{Text: "other baggage members do not hide the tenant", Request: "tenant + other members", row: servedBy(sandbox, "sbx-1")},
	{Text: "a spoofed x-laneway-tenant header is blocked at the gateway: the baseline serves it", Request: "spoofed tenant header", row: spoofBlocked},
	{Text: "a mirrored write is contained: the live write lands, v2's shadow write never reaches the ledger", Request: "mirrored POST", containment: shadowContained},
	{Text: "a synthetic write is refused before the ledger, while both participants see the transaction", Request: "synthetic tx", containment: syntheticRefused},
	{Text: "a synthetic marker without a token is stripped at the gateway: the write is ordinary", Request: "spoofed marker", containment: markerStripped},
	{Text: "the compare report names the planted field and not the noisy ones", Request: DefaultCompare.Label, compare: comparePromise},
}

// Check evaluates Promises against the report.
func (r Report) Check() []Verdict {
	out := make([]Verdict, 0, len(Promises))
	for _, p := range Promises {
		v := verdictOf(p.Text, p.Request, r.Rows, p.row, r.Containment, p.containment)
		if c := r.Compare; c != nil && p.compare != nil && c.Label == p.Request {
			seen, ok := p.compare(*c)
			v.Outcome, v.Evidence = outcome(ok), fmt.Sprintf("scenario %d: %s", r.compareNumber(), seen)
		}
		out = append(out, v)
	}
	return out
}

// compareNumber is the compare scenario's number in the story, after every request.
func (r Report) compareNumber() int { return len(r.Rows) + len(r.Containment) + 1 }

// AllHeld reports whether every verdict held (and there is at least one).
func AllHeld(vs []Verdict) bool {
	for _, v := range vs {
		if v.Outcome != Held {
			return false
		}
	}
	return len(vs) > 0
}

func outcome(ok bool) string {
	if ok {
		return Held
	}
	return Failed
}

// servedBy promises that a 200 came from version with x-laneway-tenant set to tenant ("" none).
func servedBy(version, tenant string) func(Row) (string, bool) {
	return func(r Row) (string, bool) {
		return fmt.Sprintf("status %d, tenant header %s, served by %s", r.Status, orNone(r.Tenant), orNone(r.ServedBy)),
			r.Status == 200 && r.ServedBy == version && r.Tenant == tenant
	}
}

func mirroredBaseline(r Row) (string, bool) {
	seen, ok := servedBy(baseline, "")(r)
	return fmt.Sprintf("%s, copy at v2 with host %s, marked shadow %t", seen, orNone(r.ShadowHost), r.ShadowMarked),
		ok && r.ShadowHost == shadowHost && r.ShadowMarked
}

func removedAtGateway(r Row) (string, bool) {
	seen, ok := servedBy(baseline, "")(r)
	return fmt.Sprintf("svc-a received baggage %s, %s", orNone(r.SvcABaggage), seen),
		ok && !strings.Contains(r.SvcABaggage, "laneway-tenant")
}

func spoofBlocked(r Row) (string, bool) {
	seen, ok := servedBy(baseline, "")(r)
	return fmt.Sprintf("svc-a received x-laneway-tenant %s, %s", orNone(r.SvcATenantHeader), seen),
		ok && r.SvcATenantHeader == ""
}

func shadowContained(c ContainmentRow) (string, bool) {
	return fmt.Sprintf("svc-b's write %s, v2's write %s, ledger received %s", write(c.LedgerStatus, c.LedgerAnsweredBy),
			write(c.ShadowLedgerStatus, c.ShadowLedgerAnsweredBy), received(c)),
		c.Status == 200 && c.LedgerStatus == 201 && c.ShadowLedgerStatus == 202 && c.ShadowLedgerAnsweredBy == "shadowtag" &&
			c.LedgerWrites == 1 && c.ShadowWrites == 0
}

func syntheticRefused(c ContainmentRow) (string, bool) {
	tx := "1;id=" + SyntheticTxID
	return fmt.Sprintf("svc-a saw %s, svc-b saw %s, svc-b's write %s, ledger received %s", marker(c.SvcASaw), marker(c.SvcBSaw),
			write(c.LedgerStatus, c.LedgerAnsweredBy), received(c)),
		(c.SvcASaw == tx || c.SvcASaw == "baggage;id="+SyntheticTxID) && c.SvcBSaw == tx && c.LedgerStatus == 409 && c.LedgerAnsweredBy == "synthetic" && c.LedgerWrites == 0
}

func markerStripped(c ContainmentRow) (string, bool) {
	return fmt.Sprintf("svc-a saw %s, svc-b saw %s, ledger received %s", marker(c.SvcASaw), marker(c.SvcBSaw), received(c)),
		c.Status == 200 && c.SvcASaw == "" && c.SvcBSaw == "" && c.LedgerStatus == 201 && c.LedgerWrites == 1 && c.SyntheticWrites == 0
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
