package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/demo"
)

func TestDemoPrintsWhatHappenedToEachRequest(t *testing.T) {
	r := run(t, "", "demo", "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var rep demo.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Rows, len(demo.DefaultRequests))
	assert.Equal(t, "svc-b@sbx-1", rep.Rows[0].ServedBy, "the sbx-1 tenant in baggage reaches the sandbox")
	assert.Equal(t, "svc-b", rep.Rows[1].ServedBy, "no tenant reaches baseline")
	assert.Equal(t, "svc-b-shadow:8080", rep.Rows[1].ShadowHost, "baseline traffic is mirrored to v2 with the -shadow host")
	require.Len(t, rep.Containment, len(demo.DefaultScenarios))
	mirrored, tx, spoofed := rep.Containment[0], rep.Containment[1], rep.Containment[2]
	assert.Equal(t, []int{201, 202, 1, 0}, []int{mirrored.LedgerStatus, mirrored.ShadowLedgerStatus, mirrored.LedgerWrites, mirrored.ShadowWrites},
		"the live write reaches the ledger, v2's shadow write is suppressed (202)")
	assert.Equal(t, "1;id="+demo.SyntheticTxID, tx.SvcBSaw, "the synthetic transaction reaches the second participant")
	assert.Equal(t, []int{409, 0}, []int{tx.LedgerStatus, tx.LedgerWrites}, "and is refused before the ledger")
	assert.Equal(t, []string{"", ""}, []string{spoofed.SvcASaw, spoofed.SvcBSaw}, "a spoofed marker is stripped at the edge")
	assert.Equal(t, int64(1), rep.Counters["laneway_synthetic_stripped_total"])
	assert.Positive(t, rep.Counters["laneway_tenantroute_routed_total"], "tenantroute's counters are reported too")
	require.Len(t, rep.Verdicts, len(demo.Promises))
	for _, v := range rep.Verdicts {
		assert.Equal(t, demo.Held, v.Outcome, "%s: %s", v.Promise, v.Evidence)
	}
	require.NotNil(t, rep.Compare)
	assert.Equal(t, "total", rep.Compare.Planted)
	assert.Equal(t, int64(3*demo.DefaultCompare.Requests), rep.Compare.Captures, "every role's capture reached the collector")
	assert.Positive(t, rep.Counters["laneway_shadowtag_compare_sent_total"])
	assert.Contains(t, r.stderr, "Mesh up; sending 7 routing requests, 3 containment POSTs and 300 compare GETs")
	assert.Contains(t, r.stderr, "Demo finished")
}

func TestDemoPrintsTheContainmentTable(t *testing.T) {
	r := run(t, "", "demo")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	for _, want := range []string{
		"SHADOW COPY AT v2",
		"v2 (SHADOW) WRITE TO LEDGER",
		"8   mirrored POST",
		"409 refused by synthetic",
		"202 suppressed by shadowtag",
		"10  spoofed marker",
		"  LEDGER RECEIVED  the writes that actually reached the ledger",
		"WHAT HAPPENED",
		" 7. spoofed tenant header: the client sent x-laneway-tenant: sbx-1. The gateway (tenantroute, trust boundary) removed",
		"  ok   a spoofed x-laneway-tenant header is blocked at the gateway: the baseline serves it",
		"COMPARE: 300 GETs to orders (endpoint orders GET /orders/{id})",
		"  ok   the compare report names the planted field and not the noisy ones",
		"Verdict: all 11 promises held.",
		"filters: tenantroute_routed 6,",
		"synthetic_stripped 1",
	} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestDemoRejectsAnUnknownFormat(t *testing.T) {
	r := run(t, "", "demo", "--format", "xml")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `--format: got "xml"`)
}

func TestDemoFailsWhenAPromiseDidNotHold(t *testing.T) {
	tests := []struct {
		name     string
		verdicts []demo.Verdict
		errHas   []string
	}{
		{"every promise held", []demo.Verdict{{Promise: "p1", Outcome: demo.Held}, {Promise: "p2", Outcome: demo.Held}}, nil},
		{"one failed", []demo.Verdict{{Promise: "p1", Outcome: demo.Held}, {Promise: "p2", Outcome: demo.Failed, Evidence: "request 2: served by svc-b"}},
			[]string{"did not show 1 of its 2 promises", "p2 (failed; request 2: served by svc-b)", "--verbose"}},
		{"one not run", []demo.Verdict{{Promise: "p1", Outcome: demo.NotRun, Evidence: `request "x" was not sent`}},
			[]string{"did not show 1 of its 1 promises", `p1 (not run; request "x" was not sent)`}},
		{"no verdict at all", nil, []string{"checked no promise"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verdictError(tc.verdicts)
			if tc.errHas == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.errHas {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
