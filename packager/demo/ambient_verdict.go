package demo

import "fmt"

// AmbientPromise is one thing `laneway demo --ambient` promises to show, checked against the request
// it is about.
type AmbientPromise struct {
	// Text is the promise as the verdict prints it.
	Text string
	// Request is the label of the Request (or AmbientScenario) it is about.
	Request string
	// row and containment check the request's outcome; exactly one is set.
	row         func(AmbientRow) (string, bool)
	containment func(AmbientContainmentRow) (string, bool)
}

// The HTTPRoute rules of AmbientRouteGroup (gatewayres names them after the tenant, and the baseline).
const (
	tenantRule   = "tenant-sbx-1"
	baselineRule = "baseline"
	// candidate is the mirror's backend, the candidate v2 of svc-b.
	candidate = "svc-b-v2"
	// liveHost is the Host the mirrored copy keeps (Istio >= 1.28 sends mirrors without -shadow).
	liveHost = "svc-b:8080"
)

// AmbientPromises are what `laneway demo --ambient` promises to show.
var AmbientPromises = []AmbientPromise{
	{Text: "a tenant in baggage reaches its sandbox through svc-b's waypoint (HTTPRoute rule " + tenantRule + ", caller svc-a by its ztunnel identity)",
		Request: "tenant sbx-1", row: waypointRouted(sandbox, "sbx-1", tenantRule)},
	{Text: "a request without a tenant reaches the baseline through svc-b's waypoint, never a sandbox",
		Request: "no tenant", row: waypointRouted(baseline, "", baselineRule)},
	{Text: "the HTTPRoute's RequestMirror sends a copy of baseline traffic to the candidate v2",
		Request: "no tenant", row: mirroredToCandidate},
	{Text: "ambient limit shown, not hidden: the copy reaches v2 unmarked, with svc-b's own host, because no filter sees a mirrored copy in ambient",
		Request: "no tenant", row: copyUnmarked},
	{Text: "a tenant the gateway does not allow is removed at the gateway and reaches the baseline",
		Request: "unknown tenant", row: func(r AmbientRow) (string, bool) { return removedAtGateway(r.Row) }},
	{Text: "an invalid tenant is never routed: it reaches the baseline",
		Request: "invalid tenant", row: waypointRouted(baseline, "", baselineRule)},
	{Text: "Signadot's sd-routing-key routes like laneway-tenant at the waypoint",
		Request: "signadot key", row: waypointRouted(sandbox, "sbx-1", tenantRule)},
	{Text: "other baggage members do not hide the tenant",
		Request: "tenant + other members", row: waypointRouted(sandbox, "sbx-1", tenantRule)},
	{Text: "a spoofed x-laneway-tenant header is blocked at the gateway: the baseline serves it",
		Request: "spoofed tenant header", row: func(r AmbientRow) (string, bool) { return spoofBlocked(r.Row) }},
	{Text: "the candidate's write is contained at the ledger's waypoint, known by its identity: answered there, the ledger never sees it; svc-b's live write lands",
		Request: "mirrored POST", containment: candidateContained},
	{Text: "a synthetic write is refused at the ledger's waypoint (not a participant) before the ledger, while svc-a and svc-b see the transaction",
		Request: "synthetic tx", containment: ambientSyntheticRefused},
	{Text: "a synthetic marker from a workload the waypoints do not trust is stripped at svc-a's waypoint: the write is ordinary",
		Request: "untrusted workload's marker", containment: untrustedMarkerStripped},
}

// Check evaluates AmbientPromises against the report.
func (r AmbientReport) Check() []Verdict {
	out := make([]Verdict, 0, len(AmbientPromises))
	for _, p := range AmbientPromises {
		out = append(out, verdictOf(p.Text, p.Request, r.Rows, p.row, r.Containment, p.containment))
	}
	return out
}

// waypointRouted promises a 200 from version through svc-b's waypoint, which saw svc-a's identity,
// set tenant ("" none) and chose rule.
func waypointRouted(version, tenant, rule string) func(AmbientRow) (string, bool) {
	return func(r AmbientRow) (string, bool) {
		seen, ok := servedBy(version, tenant)(r.Row)
		return fmt.Sprintf("%s, rule %s, caller %s", seen, orNone(r.Route), orNone(r.Peer)),
			ok && r.Route == rule && r.Peer == SvcAID
	}
}

func mirroredToCandidate(r AmbientRow) (string, bool) {
	return fmt.Sprintf("mirrored to %s, copy at v2 with host %s", orNone(r.Mirror), orNone(r.ShadowHost)),
		r.Mirror == candidate && r.ShadowHost != ""
}

func copyUnmarked(r AmbientRow) (string, bool) {
	return fmt.Sprintf("copy at v2 with host %s, marked shadow %t", orNone(r.ShadowHost), r.ShadowMarked),
		r.ShadowHost == liveHost && !r.ShadowMarked
}

func candidateContained(c AmbientContainmentRow) (string, bool) {
	return fmt.Sprintf("svc-b's write %s, v2's write %s (caller %s at the ledger's waypoint), ledger received %s",
			write(c.LedgerStatus, c.LedgerAnsweredBy), write(c.ShadowLedgerStatus, c.ShadowLedgerAnsweredBy), orNone(c.ShadowLedgerPeer), received(c.ContainmentRow)),
		c.Status == 200 && c.LedgerStatus == 201 && c.ShadowLedgerStatus == 202 && c.ShadowLedgerAnsweredBy == "shadowtag" &&
			c.ShadowLedgerPeer == CandidateID && c.LedgerWrites == 1 && c.ShadowWrites == 0
}

func ambientSyntheticRefused(c AmbientContainmentRow) (string, bool) {
	tx := "1;id=" + SyntheticTxID
	return fmt.Sprintf("svc-a saw %s, svc-b saw %s, svc-b's write %s, ledger received %s", marker(c.SvcASaw), marker(c.SvcBSaw),
			write(c.LedgerStatus, c.LedgerAnsweredBy), received(c.ContainmentRow)),
		c.SvcASaw == tx && c.SvcBSaw == tx && c.LedgerStatus == 409 && c.LedgerAnsweredBy == "synthetic" && c.LedgerWrites == 0
}

func untrustedMarkerStripped(c AmbientContainmentRow) (string, bool) {
	return fmt.Sprintf("caller %s at svc-a's waypoint, svc-a saw %s, svc-b saw %s, svc-b's write %s, ledger received %s", orNone(c.SvcAPeer),
			marker(c.SvcASaw), marker(c.SvcBSaw), write(c.LedgerStatus, c.LedgerAnsweredBy), received(c.ContainmentRow)),
		c.Status == 200 && c.SvcAPeer == OutsiderID && c.SvcASaw == "" && c.SvcBSaw == "" && c.LedgerStatus == 201 && c.LedgerWrites == 1 && c.SyntheticWrites == 0
}
