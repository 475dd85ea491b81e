package demo

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goodReport is what a correct demo run reports (trace ids and latencies aside).
func goodReport() Report {
	mirrored := func(r Row) Row {
		r.Route, r.ServedBy, r.Mirror, r.ShadowHost, r.ShadowMarked = "svc-b-baseline", "svc-b", "svc-b-v2-inbound", "svc-b-shadow:8080", true
		return r
	}
	routed := func(r Row) Row {
		r.Tenant, r.Route, r.ServedBy, r.SvcABaggage = "sbx-1", "svc-b-sbx-1", "svc-b@sbx-1", "laneway-tenant=sbx-1"
		return r
	}
	return Report{
		Rows: []Row{
			routed(Row{Label: "tenant sbx-1", Baggage: "laneway-tenant=sbx-1", Status: 200}),
			mirrored(Row{Label: "no tenant", Status: 200}),
			mirrored(Row{Label: "unknown tenant", Baggage: "laneway-tenant=sbx-9", Status: 200}),
			mirrored(Row{Label: "invalid tenant", Baggage: "laneway-tenant=Not_A_Label", Status: 200}),
			routed(Row{Label: "signadot key", Baggage: "sd-routing-key=sbx-1", Status: 200}),
			routed(Row{Label: "tenant + other members", Baggage: "user=42,laneway-tenant=sbx-1", Status: 200}),
			mirrored(Row{Label: "spoofed tenant header", Headers: "x-laneway-tenant: sbx-1", Status: 200}),
		},
		Containment: []ContainmentRow{
			{Label: "mirrored POST", Sent: "POST, no marker", Status: 200, LedgerStatus: 201, ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1},
			{Label: "synthetic tx", Sent: "POST, marker + valid token", Status: 200, SvcASaw: "baggage;id=" + SyntheticTxID, SvcBSaw: "1;id=" + SyntheticTxID,
				LedgerStatus: 409, LedgerAnsweredBy: "synthetic", ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag"},
			{Label: "spoofed marker", Sent: "POST, marker, no token", Status: 200, LedgerStatus: 201, ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1},
		},
		Compare: &CompareRow{Label: "compare", Requests: 300, Planted: "total", LivePrimary: 300, Captures: 900, CapturesSent: 900,
			Endpoint: "orders GET /orders/{id}", CandidateComparisons: 300, NoiseComparisons: 300, Fields: []CompareField{
				{Field: "body:generatedAt", CandidateRate: 1, NoiseRate: 1, Noise: true},
				{Field: "body:requestId", CandidateRate: 1, NoiseRate: 1, Noise: true},
				{Field: "body:total", CandidateRate: 1, Reported: true},
			}},
	}
}

func TestEveryPromiseHoldsForACorrectRun(t *testing.T) {
	vs := goodReport().Check()
	require.Len(t, vs, len(Promises))
	for _, v := range vs {
		assert.Equal(t, Held, v.Outcome, "%s: %s", v.Promise, v.Evidence)
	}
	assert.True(t, AllHeld(vs))
}

func TestEachPromiseFailsWhenItsRequestWentWrong(t *testing.T) {
	row := func(label string, f func(*Row)) func(*Report) {
		return func(r *Report) {
			for i := range r.Rows {
				if r.Rows[i].Label == label {
					f(&r.Rows[i])
				}
			}
		}
	}
	cont := func(label string, f func(*ContainmentRow)) func(*Report) {
		return func(r *Report) {
			for i := range r.Containment {
				if r.Containment[i].Label == label {
					f(&r.Containment[i])
				}
			}
		}
	}
	cmp := func(f func(*CompareRow)) func(*Report) { return func(r *Report) { f(r.Compare) } }
	const comparePromise = "the compare report names the planted field and not the noisy ones"
	tests := []struct {
		name    string
		breakIt func(*Report)
		failing string // the one promise that must fail
	}{
		{"the candidate had no planted change", cmp(func(c *CompareRow) { c.Planted, c.Fields = "", c.Fields[:2] }), comparePromise},
		{"a noisy field was reported", cmp(func(c *CompareRow) { c.Fields[0].Reported = true }), comparePromise},
		{"no secondary: the noise was never learned", cmp(func(c *CompareRow) {
			c.NoiseComparisons = 0
			for i := range c.Fields {
				c.Fields[i].NoiseRate, c.Fields[i].Noise, c.Fields[i].Reported = 0, false, true
			}
		}), comparePromise},
		{"the tenant reached the baseline", row("tenant sbx-1", func(r *Row) { r.ServedBy, r.Tenant = "svc-b", "" }), "a tenant in baggage reaches its sandbox"},
		{"the sandbox answered 503", row("tenant sbx-1", func(r *Row) { r.Status = 503 }), "a tenant in baggage reaches its sandbox"},
		{"the baseline copy was not marked shadow", row("no tenant", func(r *Row) { r.ShadowMarked = false }), "a request without a tenant reaches the baseline, and a copy is mirrored to v2 and marked shadow"},
		{"the baseline copy kept its host", row("no tenant", func(r *Row) { r.ShadowHost = "svc-b:8080" }), "a request without a tenant reaches the baseline, and a copy is mirrored to v2 and marked shadow"},
		{"the gateway let an unknown tenant through", row("unknown tenant", func(r *Row) { r.SvcABaggage = "laneway-tenant=sbx-9" }), "a tenant the gateway does not allow is removed at the gateway and reaches the baseline"},
		{"an invalid tenant was routed", row("invalid tenant", func(r *Row) { r.Tenant, r.ServedBy = "Not_A_Label", "svc-b@sbx-1" }), "an invalid tenant is never routed: it reaches the baseline"},
		{"the Signadot key was ignored", row("signadot key", func(r *Row) { r.Tenant, r.ServedBy = "", "svc-b" }), "Signadot's sd-routing-key routes like laneway-tenant"},
		{"other members hid the tenant", row("tenant + other members", func(r *Row) { r.Tenant, r.ServedBy = "", "svc-b" }), "other baggage members do not hide the tenant"},
		{"the spoofed header reached svc-a", row("spoofed tenant header", func(r *Row) { r.SvcATenantHeader = "sbx-1" }), "a spoofed x-laneway-tenant header is blocked at the gateway: the baseline serves it"},
		{"the spoofed header reached the sandbox", row("spoofed tenant header", func(r *Row) { r.ServedBy, r.Tenant = "svc-b@sbx-1", "sbx-1" }), "a spoofed x-laneway-tenant header is blocked at the gateway: the baseline serves it"},
		{"v2's shadow write reached the ledger", cont("mirrored POST", func(c *ContainmentRow) {
			c.ShadowLedgerStatus, c.ShadowLedgerAnsweredBy, c.LedgerWrites, c.ShadowWrites = 201, "", 2, 1
		}),
			"a mirrored write is contained: the live write lands, v2's shadow write never reaches the ledger"},
		{"the synthetic write reached the ledger", cont("synthetic tx", func(c *ContainmentRow) {
			c.LedgerStatus, c.LedgerAnsweredBy, c.LedgerWrites, c.SyntheticWrites = 201, "", 1, 1
		}),
			"a synthetic write is refused before the ledger, while both participants see the transaction"},
		{"svc-b lost the transaction", cont("synthetic tx", func(c *ContainmentRow) { c.SvcBSaw = "" }),
			"a synthetic write is refused before the ledger, while both participants see the transaction"},
		{"the spoofed marker passed the gateway", cont("spoofed marker", func(c *ContainmentRow) { c.SvcASaw, c.SvcBSaw, c.SyntheticWrites = "1", "1", 1 }),
			"a synthetic marker without a token is stripped at the gateway: the write is ordinary"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" fails one promise", func(t *testing.T) {
			r := goodReport()
			tc.breakIt(&r)
			vs := r.Check()
			var failed []string
			for _, v := range vs {
				if v.Outcome != Held {
					failed = append(failed, v.Promise)
					assert.Equal(t, Failed, v.Outcome)
					assert.Regexp(t, `^(request|scenario) \d+: `, v.Evidence, "the evidence names the request or scenario")
				}
			}
			assert.Equal(t, []string{tc.failing}, failed)
			assert.False(t, AllHeld(vs))
		})
	}
}

func TestAPromiseWhoseRequestWasNotSentIsNotRunNotHeld(t *testing.T) {
	r := goodReport()
	r.Rows = r.Rows[:1]
	r.Containment = nil
	r.Compare = nil
	vs := r.Check()
	require.Len(t, vs, len(Promises))
	assert.Equal(t, Held, vs[0].Outcome)
	for _, v := range vs[1:] {
		assert.Equal(t, NotRun, v.Outcome, v.Promise)
		assert.Contains(t, v.Evidence, "was not sent")
	}
	assert.False(t, AllHeld(vs))
	assert.False(t, AllHeld(nil), "no verdict at all is not a pass")
}

func TestTheReportTellsEachRequestsStoryWithALegendAndAVerdict(t *testing.T) {
	r := goodReport()
	r.Verdicts = r.Check()
	var out bytes.Buffer
	require.NoError(t, r.WriteTable(&out))
	s := out.String()
	for _, want := range []string{
		"ROUTING: GETs to svc-a",
		"  TENANT HEADER    x-laneway-tenant that tenantroute set",
		"CONTAINMENT: POSTs to svc-a",
		"  LEDGER RECEIVED  the writes that actually reached the ledger",
		"WHAT HAPPENED",
		" 1. tenant sbx-1: the client sent laneway-tenant=sbx-1. svc-a's OpenTelemetry SDK forwarded the baggage; tenantroute on its outbound listener set x-laneway-tenant: sbx-1. Route svc-b-sbx-1 matched that header: served by svc-b@sbx-1 (status 200).",
		" 3. unknown tenant: the client sent laneway-tenant=sbx-9. The gateway removed the tenant from baggage",
		" 7. spoofed tenant header: the client sent x-laneway-tenant: sbx-1. The gateway (tenantroute, trust boundary) removed the client-set x-laneway-* header",
		"a copy went to v2 as host svc-b-shadow:8080, where shadowtag marked it shadow.",
		" 8. mirrored POST: the client sent POST, no marker. no marker was involved; svc-b's write to the ledger: 201 written; the mirrored copy's write from v2: 202 suppressed by shadowtag. The ledger received 1 write (0 shadow, 0 synthetic).",
		" 9. synthetic tx: the client sent POST, marker + valid token. synthetic at the gateway accepted the token, so svc-a and svc-b (participants) saw tx demo-tx-1 (baggage); svc-b's write to the ledger: 409 refused by synthetic (the ledger is not a declared participant)",
		"10. spoofed marker: the client sent POST, marker, no token. synthetic at the gateway found no valid token and stripped the marker",
		"PROMISES",
		"  ok   a spoofed x-laneway-tenant header is blocked at the gateway: the baseline serves it\n       request 7: svc-a received x-laneway-tenant none, status 200, tenant header none, served by svc-b\n",
		"COMPARE: 300 GETs to orders (endpoint orders GET /orders/{id}); each copied to a secondary (same version) and a candidate that recomputes total",
		"  REPORT           reported: the candidate differs more often than the two live instances do",
		"11. compare: 300 GETs to orders; its caller's outbound listener sent each to the primary (300 live answers were the primary's) and mirrored it to a secondary and a candidate that recomputes total. shadowtag-compare on the three inbound listeners captured each answer and sent 900 captures to the collector (0 failed, 0 dropped), which paired them by x-request-id: it reports body:total (candidate 100%, secondary 0%), and not body:generatedAt, body:requestId, which differ between the primary and the secondary too (noise).",
		"  ok   the compare report names the planted field and not the noisy ones\n       scenario 11: 300 requests, 900 captures at the collector, 300 compared with the candidate and 300 with the secondary; reported body:total; learned as noise body:generatedAt, body:requestId\n",
		"Verdict: all 11 promises held.",
	} {
		assert.Contains(t, s, want)
	}

	r.Rows[0].ServedBy = "svc-b"
	r.Verdicts = r.Check()
	out.Reset()
	require.NoError(t, r.WriteTable(&out))
	assert.Contains(t, out.String(), "  FAIL a tenant in baggage reaches its sandbox\n       request 1: status 200, tenant header sbx-1, served by svc-b\n")
	assert.Contains(t, out.String(), "Verdict: 10 of 11 promises held")
	assert.Equal(t, 1, strings.Count(out.String(), "  FAIL "))
}
