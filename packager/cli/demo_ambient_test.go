package cli

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/demo"
)

func TestDemoAmbientShowsEveryPromiseThroughWaypoints(t *testing.T) {
	r := run(t, "", "demo", "--ambient", "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var rep demo.AmbientReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Rows, len(demo.DefaultRequests))
	assert.Equal(t, "svc-b@sbx-1", rep.Rows[0].ServedBy, "the sbx-1 tenant reaches its sandbox through svc-b's waypoint")
	assert.Equal(t, "tenant-sbx-1", rep.Rows[0].Route, "by the HTTPRoute's tenant rule")
	assert.Equal(t, demo.SvcAID, rep.Rows[0].Peer, "svc-b's waypoint saw svc-a's identity")
	assert.Equal(t, "svc-b", rep.Rows[1].ServedBy, "no tenant reaches the baseline")
	assert.Equal(t, "svc-b-v2", rep.Rows[1].Mirror, "the RequestMirror copies it to the candidate")
	require.Len(t, rep.Containment, len(demo.DefaultAmbientScenarios))
	mirrored, tx, outsider := rep.Containment[0], rep.Containment[1], rep.Containment[2]
	assert.Equal(t, []int{201, 202, 1, 0}, []int{mirrored.LedgerStatus, mirrored.ShadowLedgerStatus, mirrored.LedgerWrites, mirrored.ShadowWrites},
		"the live write lands, the candidate's is answered at the ledger's waypoint")
	assert.Equal(t, demo.CandidateID, mirrored.ShadowLedgerPeer)
	assert.Equal(t, []int{409, 0}, []int{tx.LedgerStatus, tx.LedgerWrites}, "the synthetic write is refused before the ledger")
	assert.Equal(t, []string{"", ""}, []string{outsider.SvcASaw, outsider.SvcBSaw}, "an untrusted workload's marker is stripped")
	require.Len(t, rep.Verdicts, len(demo.AmbientPromises))
	for _, v := range rep.Verdicts {
		assert.Equal(t, demo.Held, v.Outcome, "%s: %s", v.Promise, v.Evidence)
	}
	assert.Equal(t, demo.AmbientLimits, rep.Limits, "the JSON report carries what ambient mode cannot do")
	assert.Contains(t, r.stderr, "Starting the ambient mesh")
	assert.Contains(t, r.stderr, "Demo finished")
}

func TestDemoAmbientPrintsTheStoryVerdictsAndLimits(t *testing.T) {
	r := run(t, "", "demo", "--ambient")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	for _, want := range []string{
		"AMBIENT MODE: no sidecars.",
		"waypoint-svc-b: HTTPRoute shop/svc-b-laneway rule tenant-sbx-1 -> svc-b-sbx-1",
		"CALLER AT WAYPOINT",
		"host svc-b:8080, unmarked",
		"202 suppressed by shadowtag",
		"409 refused by synthetic",
		"WHAT HAPPENED",
		"10. untrusted workload's marker:",
		"  ok   the candidate's write is contained at the ledger's waypoint",
		fmt.Sprintf("Verdict: all %d promises held.", len(demo.AmbientPromises)),
		"WHAT AMBIENT MODE CANNOT DO",
		"instead: " + demo.AmbientLimits[0].Instead,
		"synthetic_refused 1",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "SHADOW COPY AT v2", "the sidecar demo's tables are not printed")
}

func TestDemoHelpNamesTheAmbientFlag(t *testing.T) {
	r := run(t, "", "demo", "--help")
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "--ambient")
	assert.Contains(t, r.stdout, "laneway demo --ambient")
}
