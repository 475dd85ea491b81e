package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/testenv/proxy"
	"github.com/laneway/laneway/testenv/testenvtest"
)

func distModules(t *testing.T) map[string]string {
	mods := map[string]string{}
	for _, f := range AmbientFilters {
		testenvtest.DistModule(t, f) // fails with a `make build` hint when missing
		mods[f] = testenvtest.DistPath(t, f)
	}
	return mods
}

func TestAmbientDemoRoutesMirrorsAndContainsThroughWaypoints(t *testing.T) {
	var decisions bytes.Buffer
	rep, err := RunAmbient(context.Background(), AmbientOptions{Modules: distModules(t), Decisions: &decisions})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"HTTPRoute shop/svc-b-laneway rule tenant-sbx-1 -> svc-b-sbx-1",
		"HTTPRoute shop/svc-b-laneway rule baseline -> svc-b (mirror 100% to svc-b-v2)",
	}, rep.Routes, "svc-b's waypoint routes with the HTTPRoute's rules, in Gateway API's match order")

	require.Len(t, rep.Rows, len(DefaultRequests))
	want := []struct{ tenant, rule, servedBy string }{
		{"sbx-1", "tenant-sbx-1", "svc-b@sbx-1"},
		{"", "baseline", "svc-b"},
		{"", "baseline", "svc-b"}, // the gateway's allow list names only sbx-1
		{"", "baseline", "svc-b"},
		{"sbx-1", "tenant-sbx-1", "svc-b@sbx-1"},
		{"sbx-1", "tenant-sbx-1", "svc-b@sbx-1"},
		{"", "baseline", "svc-b"}, // the gateway removed the client-set x-laneway-tenant
	}
	for i, w := range want {
		row := rep.Rows[i]
		t.Run(row.Label, func(t *testing.T) {
			assert.Equal(t, 200, row.Status)
			assert.Equal(t, w.tenant, row.Tenant)
			assert.Equal(t, w.rule, row.Route)
			assert.Equal(t, w.servedBy, row.ServedBy)
			assert.Equal(t, SvcAID, row.Peer, "svc-b's waypoint read svc-a's identity from its ztunnel")
			if w.servedBy == "svc-b" {
				assert.Equal(t, "svc-b-v2", row.Mirror)
				assert.Equal(t, "svc-b:8080", row.ShadowHost, "Istio >= 1.28 mirrors keep the host")
				assert.False(t, row.ShadowMarked, "no filter sees a mirrored copy in ambient")
			} else {
				assert.Empty(t, row.Mirror, "sandbox traffic is not mirrored")
				assert.Empty(t, row.ShadowHost)
			}
		})
	}

	require.Len(t, rep.Containment, len(DefaultAmbientScenarios))
	tx := "1;id=" + SyntheticTxID
	wantC := []AmbientContainmentRow{
		{ContainmentRow: ContainmentRow{Label: "mirrored POST", Sent: "POST, no marker", Status: 200,
			LedgerStatus: 201, ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1},
			Via: ViaIngress, SvcAPeer: IngressID, ShadowLedgerPeer: CandidateID},
		{ContainmentRow: ContainmentRow{Label: "synthetic tx", Sent: "POST, marker + valid token", Status: 200,
			// svc-a's waypoint trusts the ingress's identity and writes the header again (the gateway's
			// tenantroute stripped it; the marker travelled in baggage).
			SvcASaw: tx, SvcBSaw: tx, LedgerStatus: 409, LedgerAnsweredBy: "synthetic", ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag"},
			Via: ViaIngress, SvcAPeer: IngressID, ShadowLedgerPeer: CandidateID},
		{ContainmentRow: ContainmentRow{Label: "untrusted workload's marker", Sent: "POST from ns other, marker, no token", Status: 200,
			LedgerStatus: 201, ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1},
			Via: ViaOutsider, SvcAPeer: OutsiderID, ShadowLedgerPeer: CandidateID},
	}
	for i, w := range wantC {
		row := rep.Containment[i]
		t.Run(row.Label, func(t *testing.T) {
			require.Len(t, row.TraceID, 32)
			w.TraceID = row.TraceID
			assert.Equal(t, w, row)
		})
	}
	// 4 baseline GETs and the 3 POSTs are mirrored; 3 suppressions and 1 refusal are local replies.
	assert.Equal(t, int64(7), rep.Stats.MirrorsStarted)
	assert.Equal(t, int64(7), rep.Stats.MirrorsCompleted)
	assert.Equal(t, int64(4), rep.Stats.LocalReplies)
	assert.Equal(t, int64(3), rep.Counters["laneway_shadowtag_suppressed_total"], "v2's writes, at the ledger's waypoint")
	// The ledger's waypoint runs the combined module, synthetic before shadowtag: svc-b's synthetic write is
	// refused before shadowtag sees it, and v2's copy of it has its marker stripped (v2 is not trusted)
	// before shadowtag suppresses it.
	assert.Equal(t, int64(2), rep.Counters["laneway_shadowtag_passed_total"], "svc-b's ordinary writes pass shadowtag")
	assert.Zero(t, rep.Counters["laneway_shadowtag_marked_total"], "nothing marks a copy: no filter sees one")
	assert.Equal(t, int64(1), rep.Counters["laneway_synthetic_refused_total"])
	assert.Equal(t, int64(2), rep.Counters["laneway_synthetic_stripped_total"], "the untrusted workload's marker, and the one v2's copy carries")
	for _, v := range rep.Verdicts {
		assert.Equal(t, Held, v.Outcome, "%s: %s", v.Promise, v.Evidence)
	}
	require.Len(t, rep.Verdicts, len(AmbientPromises))
	assert.Equal(t, AmbientLimits, rep.Limits)
	assert.Contains(t, decisions.String(), "listener=waypoint-ledger")
	assert.Contains(t, decisions.String(), `local_reply="laneway: `, "the ledger's waypoint answers v2's writes itself")

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	for _, line := range []string{
		"waypoint-svc-b: HTTPRoute shop/svc-b-laneway rule baseline -> svc-b (mirror 100% to svc-b-v2)",
		"ns/shop/sa/svc-a    sbx-1          tenant-sbx-1  svc-b@sbx-1  200",
		"svc-b-v2     host svc-b:8080, unmarked",
		"ns/other/sa/outsider",
		"which knew the candidate by its identity ns/shop/sa/svc-b-v2",
		"WHAT AMBIENT MODE CANNOT DO",
		fmt.Sprintf("Verdict: all %d promises held.", len(AmbientPromises)),
		"7 mirrored copies (7 delivered, 0 failed)",
	} {
		assert.Contains(t, table.String(), line)
	}
}

func TestAmbientMeshIsWaypointsAndZtunnelsWithTheHTTPRoutesRules(t *testing.T) {
	vals := map[string]string{"SVC_A": "127.0.0.1:1", "SVC_B": "127.0.0.1:2", "SVC_B_SBX_1": "127.0.0.1:3", "SVC_B_V2": "127.0.0.1:4",
		"LEDGER": "127.0.0.1:5", "LANEWAY_WASM": "l.wasm"}
	backends := map[string]string{"svc-b": "127.0.0.1:2", "svc-b-sbx-1": "127.0.0.1:3", "svc-b-v2": "127.0.0.1:4"}
	cfg, hr, err := AmbientConfig(vals, func(h string) (string, error) {
		if a, ok := backends[h]; ok {
			return a, nil
		}
		return "", fmt.Errorf("no backend %q", h)
	})
	require.NoError(t, err)
	assert.Equal(t, "svc-b-laneway", hr.Name)
	byName := map[string]proxy.ListenerConfig{}
	for _, l := range cfg.Listeners {
		byName[l.Name] = l
	}
	for name, id := range map[string]string{"ztunnel-ingress": IngressID, "ztunnel-outsider": OutsiderID, "ztunnel-svc-a": SvcAID, "ztunnel-svc-b": SvcBID, "ztunnel-svc-b-v2": CandidateID} {
		l := byName[name]
		assert.Equal(t, id, l.Identity, name)
		assert.Empty(t, l.Filters, "%s: a ztunnel runs no L7 filter", name)
		require.NotEmpty(t, l.Routes, name)
		for _, r := range l.Routes {
			assert.True(t, strings.HasPrefix(r.Upstream, "listener:waypoint-"), "%s: a ztunnel sends to the destination's waypoint, got %s", name, r.Upstream)
		}
	}
	// The gateway and every waypoint run one plugin, the combined module, with the roles needed there.
	wantRoles := map[string][]string{
		"waypoint-svc-a":  {"synthetic"},
		"waypoint-svc-b":  {"synthetic", "tenantroute"},
		"waypoint-ledger": {"synthetic", "shadowtag"}, // the candidate's writes are contained before the synthetic policy (the module's order)
	}
	roles := func(name string) []string {
		l := byName[name]
		require.Len(t, l.Filters, 1, "%s runs one plugin", name)
		assert.Equal(t, "laneway", l.Filters[0].Name, name)
		assert.Equal(t, "l.wasm", l.Filters[0].Wasm, name)
		c, err := combined.ParseConfig(l.Filters[0].PluginConfig)
		require.NoError(t, err, name)
		return c.Roles()
	}
	fc, err := filterconfig.Lookup("laneway")
	require.NoError(t, err)
	for name, want := range wantRoles {
		assert.True(t, byName[name].Waypoint, name)
		assert.ElementsMatch(t, want, roles(name), name)
		assert.NoError(t, fc.CheckPosition(byName[name].Filters[0].PluginConfig, filterconfig.Waypoint), "%s: valid where `laneway wasmplugin laneway --waypoint` would put it", name)
	}
	assert.ElementsMatch(t, []string{"synthetic", "tenantroute"}, roles("ingress"))
	assert.NoError(t, fc.CheckPosition(byName["ingress"].Filters[0].PluginConfig, filterconfig.Sidecar), "the ingress gateway's plugin")
	assert.Contains(t, string(byName["waypoint-ledger"].Filters[0].PluginConfig), CandidateID, "shadowtag knows the candidate by its identity")

	routes := byName[AmbientRoutedWaypoint].Routes
	require.Len(t, routes, 2, "the placeholder route was replaced by the HTTPRoute's rules")
	assert.Equal(t, "tenant-sbx-1", routes[0].Name)
	assert.Equal(t, "127.0.0.1:3", routes[0].Upstream)
	assert.Equal(t, proxy.Exact("sbx-1"), routes[0].Match[0].Headers["x-laneway-tenant"])
	assert.Equal(t, "baseline", routes[1].Name)
	assert.Equal(t, []proxy.MirrorConfig{{Upstream: "127.0.0.1:4", Percentage: 100, DisableShadowHostSuffix: true}}, routes[1].Mirrors,
		"the RequestMirror goes straight to the candidate, without the -shadow suffix (Istio >= 1.28)")
}

func TestAmbientConfigSaysWhatIsWrong(t *testing.T) {
	vals := map[string]string{"SVC_A": "127.0.0.1:1", "SVC_B": "127.0.0.1:2", "LEDGER": "127.0.0.1:5", "LANEWAY_WASM": "l.wasm"}
	_, _, err := AmbientConfig(vals, func(h string) (string, error) { return "", fmt.Errorf("got backend %q, expected a known one", h) })
	require.Error(t, err)
	assert.Contains(t, err.Error(), `got backend "svc-b-sbx-1"`)

	// Checked before anything starts (no modules needed).
	_, err = RunAmbient(context.Background(), AmbientOptions{Modules: map[string]string{}, Requests: []Request{},
		Scenarios: []AmbientScenario{{Scenario: Scenario{Label: "x"}, Via: "ztunnel-svc-a"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `got via "ztunnel-svc-a", expected ingress (the ingress gateway, the default) or ztunnel-outsider`)
}

// goodAmbientReport is what a correct ambient run reports (trace ids aside).
func goodAmbientReport() AmbientReport {
	mirrored := func(r Row) AmbientRow {
		r.Route, r.ServedBy, r.Mirror, r.ShadowHost = "baseline", "svc-b", "svc-b-v2", "svc-b:8080"
		return AmbientRow{Row: r, Peer: SvcAID}
	}
	routed := func(r Row) AmbientRow {
		r.Tenant, r.Route, r.ServedBy, r.SvcABaggage = "sbx-1", "tenant-sbx-1", "svc-b@sbx-1", "laneway-tenant=sbx-1"
		return AmbientRow{Row: r, Peer: SvcAID}
	}
	tx := "1;id=" + SyntheticTxID
	return AmbientReport{
		Rows: []AmbientRow{
			routed(Row{Label: "tenant sbx-1", Baggage: "laneway-tenant=sbx-1", Status: 200}),
			mirrored(Row{Label: "no tenant", Status: 200}),
			mirrored(Row{Label: "unknown tenant", Baggage: "laneway-tenant=sbx-9", Status: 200}),
			mirrored(Row{Label: "invalid tenant", Baggage: "laneway-tenant=Not_A_Label", Status: 200}),
			routed(Row{Label: "signadot key", Baggage: "sd-routing-key=sbx-1", Status: 200}),
			routed(Row{Label: "tenant + other members", Baggage: "user=42,laneway-tenant=sbx-1", Status: 200}),
			mirrored(Row{Label: "spoofed tenant header", Headers: "x-laneway-tenant: sbx-1", Status: 200}),
		},
		Containment: []AmbientContainmentRow{
			{ContainmentRow: ContainmentRow{Label: "mirrored POST", Sent: "POST, no marker", Status: 200, LedgerStatus: 201,
				ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1}, Via: ViaIngress, SvcAPeer: IngressID, ShadowLedgerPeer: CandidateID},
			{ContainmentRow: ContainmentRow{Label: "synthetic tx", Sent: "POST, marker + valid token", Status: 200, SvcASaw: tx, SvcBSaw: tx,
				LedgerStatus: 409, LedgerAnsweredBy: "synthetic", ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag"}, Via: ViaIngress, SvcAPeer: IngressID, ShadowLedgerPeer: CandidateID},
			{ContainmentRow: ContainmentRow{Label: "untrusted workload's marker", Sent: "POST from ns other, marker, no token", Status: 200, LedgerStatus: 201,
				ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1}, Via: ViaOutsider, SvcAPeer: OutsiderID, ShadowLedgerPeer: CandidateID},
		},
		Limits: AmbientLimits,
	}
}

func TestEveryAmbientPromiseHoldsForACorrectRun(t *testing.T) {
	vs := goodAmbientReport().Check()
	require.Len(t, vs, len(AmbientPromises))
	for _, v := range vs {
		assert.Equal(t, Held, v.Outcome, "%s: %s", v.Promise, v.Evidence)
	}
	assert.True(t, AllHeld(vs))
}

func TestEachAmbientPromiseFailsWhenItsRequestWentWrong(t *testing.T) {
	row := func(label string, f func(*AmbientRow)) func(*AmbientReport) {
		return func(r *AmbientReport) {
			for i := range r.Rows {
				if r.Rows[i].Label == label {
					f(&r.Rows[i])
				}
			}
		}
	}
	cont := func(label string, f func(*AmbientContainmentRow)) func(*AmbientReport) {
		return func(r *AmbientReport) {
			for i := range r.Containment {
				if r.Containment[i].Label == label {
					f(&r.Containment[i])
				}
			}
		}
	}
	p := func(i int) string { return AmbientPromises[i].Text }
	tests := []struct {
		name    string
		breakIt func(*AmbientReport)
		failing []string // the promises that must fail, and only they
	}{
		{"the tenant reached the baseline", row("tenant sbx-1", func(r *AmbientRow) { r.ServedBy, r.Tenant, r.Route = "svc-b", "", "baseline" }), []string{p(0)}},
		{"the sandbox was reached by a rule other than the HTTPRoute's", row("tenant sbx-1", func(r *AmbientRow) { r.Route = "svc-b-sbx-1" }), []string{p(0)}},
		{"the waypoint did not see svc-a's identity", row("tenant sbx-1", func(r *AmbientRow) { r.Peer = "" }), []string{p(0)}},
		{"no tenant reached a sandbox", row("no tenant", func(r *AmbientRow) { r.ServedBy, r.Tenant, r.Route = "svc-b@sbx-1", "sbx-1", "tenant-sbx-1" }), []string{p(1)}},
		{"the baseline answered 503", row("no tenant", func(r *AmbientRow) { r.Status = 503 }), []string{p(1)}},
		{"no copy reached the candidate", row("no tenant", func(r *AmbientRow) { r.Mirror, r.ShadowHost = "", "" }),
			[]string{p(2), p(3)}}, // with no copy, the limit is not shown either
		{"the copy went elsewhere", row("no tenant", func(r *AmbientRow) { r.Mirror = "svc-b-sbx-1" }), []string{p(2)}},
		{"the copy was marked, so the limit statement would be false", row("no tenant", func(r *AmbientRow) { r.ShadowMarked = true }), []string{p(3)}},
		{"the copy carried the -shadow host", row("no tenant", func(r *AmbientRow) { r.ShadowHost = "svc-b-shadow:8080" }), []string{p(3)}},
		{"the gateway let an unknown tenant through", row("unknown tenant", func(r *AmbientRow) { r.SvcABaggage = "laneway-tenant=sbx-9" }), []string{p(4)}},
		{"an invalid tenant was routed", row("invalid tenant", func(r *AmbientRow) { r.Tenant, r.ServedBy, r.Route = "Not_A_Label", "svc-b@sbx-1", "tenant-sbx-1" }), []string{p(5)}},
		{"the Signadot key was ignored", row("signadot key", func(r *AmbientRow) { r.Tenant, r.ServedBy, r.Route = "", "svc-b", "baseline" }), []string{p(6)}},
		{"other members hid the tenant", row("tenant + other members", func(r *AmbientRow) { r.Tenant, r.ServedBy, r.Route = "", "svc-b", "baseline" }), []string{p(7)}},
		{"the spoofed header reached svc-a", row("spoofed tenant header", func(r *AmbientRow) { r.SvcATenantHeader = "sbx-1" }), []string{p(8)}},
		{"the candidate's write reached the ledger", cont("mirrored POST", func(c *AmbientContainmentRow) {
			c.ShadowLedgerStatus, c.ShadowLedgerAnsweredBy, c.LedgerWrites, c.ShadowWrites = 201, "", 2, 0
		}), []string{p(9)}},
		{"the candidate was contained but not by its identity", cont("mirrored POST", func(c *AmbientContainmentRow) { c.ShadowLedgerPeer = "" }), []string{p(9)}},
		{"svc-b's live write was suppressed too", cont("mirrored POST", func(c *AmbientContainmentRow) {
			c.LedgerStatus, c.LedgerAnsweredBy, c.LedgerWrites = 202, "shadowtag", 0
		}), []string{p(9)}},
		{"the synthetic write reached the ledger", cont("synthetic tx", func(c *AmbientContainmentRow) {
			c.LedgerStatus, c.LedgerAnsweredBy, c.LedgerWrites, c.SyntheticWrites = 201, "", 1, 1
		}), []string{p(10)}},
		{"svc-b lost the transaction", cont("synthetic tx", func(c *AmbientContainmentRow) { c.SvcBSaw = "" }), []string{p(10)}},
		{"svc-a saw the marker only in baggage", cont("synthetic tx", func(c *AmbientContainmentRow) { c.SvcASaw = "baggage;id=" + SyntheticTxID }), []string{p(10)}},
		{"the untrusted marker reached svc-a", cont("untrusted workload's marker", func(c *AmbientContainmentRow) { c.SvcASaw = "1;id=forged-tx" }), []string{p(11)}},
		{"the untrusted marker made a synthetic write", cont("untrusted workload's marker", func(c *AmbientContainmentRow) { c.SvcBSaw, c.SyntheticWrites = "1;id=forged-tx", 1 }), []string{p(11)}},
		{"the request did not come from the outsider's identity", cont("untrusted workload's marker", func(c *AmbientContainmentRow) { c.SvcAPeer = IngressID }), []string{p(11)}},
	}
	covered := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name+" fails its promise", func(t *testing.T) {
			r := goodAmbientReport()
			tc.breakIt(&r)
			vs := r.Check()
			var failed []string
			for _, v := range vs {
				if v.Outcome != Held {
					failed = append(failed, v.Promise)
					assert.Equal(t, Failed, v.Outcome)
					assert.Regexp(t, `^request \d+: `, v.Evidence, "the evidence names the request")
				}
			}
			assert.Equal(t, tc.failing, failed)
			assert.False(t, AllHeld(vs))
		})
		for _, f := range tc.failing {
			covered[f] = true
		}
	}
	for _, pr := range AmbientPromises {
		assert.True(t, covered[pr.Text], "no test breaks promise %q", pr.Text)
	}
}

func TestAnAmbientPromiseWhoseRequestWasNotSentIsNotRun(t *testing.T) {
	r := goodAmbientReport()
	r.Rows = r.Rows[:1]
	r.Containment = nil
	vs := r.Check()
	require.Len(t, vs, len(AmbientPromises))
	assert.Equal(t, Held, vs[0].Outcome)
	for _, v := range vs[1:] {
		assert.Equal(t, NotRun, v.Outcome, v.Promise)
	}
	assert.False(t, AllHeld(vs))
}

func TestTheAmbientReportTellsEachStoryAndWhatAmbientCannotDo(t *testing.T) {
	r := goodAmbientReport()
	r.Verdicts = r.Check()
	var out bytes.Buffer
	require.NoError(t, r.WriteTable(&out))
	s := out.String()
	for _, want := range []string{
		"AMBIENT MODE: no sidecars.",
		"  CALLER AT WAYPOINT  the identity svc-b's waypoint read (io.istio.peer_principal)",
		" 1. tenant sbx-1: the client sent laneway-tenant=sbx-1. svc-a's OpenTelemetry SDK forwarded the baggage; svc-a's ztunnel took the call to svc-b's waypoint as ns/shop/sa/svc-a, where tenantroute set x-laneway-tenant: sbx-1. HTTPRoute rule tenant-sbx-1 matched that header: served by svc-b@sbx-1 (status 200).",
		"its RequestMirror sent a copy straight to v2's pods (host svc-b:8080), which no filter saw, so it is unmarked.",
		" 7. spoofed tenant header: the client sent x-laneway-tenant: sbx-1. The ingress gateway (tenantroute, trust boundary) removed the client-set x-laneway-* header",
		" 8. mirrored POST: the client sent POST, no marker. No marker was involved; svc-b's write to the ledger: 201 written; the mirrored copy's write from v2: 202 suppressed by shadowtag on the ledger's waypoint, which knew the candidate by its identity ns/shop/sa/svc-b-v2. The ledger received 1 write (0 shadow, 0 synthetic).",
		" 9. synthetic tx: the client sent POST, marker + valid token. The ingress gateway accepted the token; svc-a's and svc-b's waypoints trusted the marker from their callers' identities, so both participants saw tx demo-tx-1; svc-b's write to the ledger: 409 refused by synthetic on the ledger's waypoint (the ledger is not a declared participant)",
		"10. untrusted workload's marker: the client sent POST from ns other, marker, no token from a workload whose ztunnel carries ns/other/sa/outsider. synthetic on svc-a's waypoint does not trust that identity",
		"  ok   ambient limit shown, not hidden: the copy reaches v2 unmarked",
		fmt.Sprintf("Verdict: all %d promises held.", len(AmbientPromises)),
		"WHAT AMBIENT MODE CANNOT DO (README's ambient table), AND WHAT TO DO INSTEAD",
	} {
		assert.Contains(t, s, want)
	}
	for _, l := range AmbientLimits {
		assert.Contains(t, s, l.Cannot)
		assert.Contains(t, s, "instead: "+l.Instead)
	}

	r.Containment[1].LedgerStatus, r.Containment[1].LedgerAnsweredBy, r.Containment[1].LedgerWrites = 201, "", 1
	r.Verdicts = r.Check()
	out.Reset()
	require.NoError(t, r.WriteTable(&out))
	assert.Contains(t, out.String(), "  FAIL a synthetic write is refused at the ledger's waypoint")
	assert.Contains(t, out.String(), fmt.Sprintf("Verdict: %d of %d promises held;", len(AmbientPromises)-1, len(AmbientPromises)))
}

// TestTheAmbientLimitsCoverTheREADMEsAmbientTable holds the report's limits to the README's table: every
// filter the table says cannot do something there has a limit in the report, and each limit's filter
// is a row of the table.
func TestTheAmbientLimitsCoverTheREADMEsAmbientTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(readme), "| filter | runs where in ambient |")
	require.True(t, ok, "README has the ambient table")
	table, _, _ = strings.Cut(table, "\n\n")
	rows := regexp.MustCompile("(?m)^\\| `([a-z]+)` \\|.*\\|([^|]+)\\|$").FindAllStringSubmatch(table, -1)
	require.NotEmpty(t, rows)
	limited := map[string]bool{}
	for _, l := range AmbientLimits {
		limited[l.Filter] = true
	}
	inTable := map[string]bool{}
	for _, row := range rows {
		inTable[row[1]] = true
		if strings.TrimSpace(row[2]) != "" {
			assert.True(t, limited[row[1]], "README's ambient table says %s cannot do something; the report states no limit for it", row[1])
		}
	}
	for f := range limited {
		assert.True(t, inTable[f], "limit for %s, which README's ambient table does not list", f)
	}
	assert.Contains(t, string(readme), "laneway demo --ambient", "README shows the command")
}

// TestBreakingTheAmbientMeshFailsThePromiseItKeeps runs the ambient demo with one piece of the mesh
// broken and sees the promise that piece keeps fail from real traffic.
func TestBreakingTheAmbientMeshFailsThePromiseItKeeps(t *testing.T) {
	listener := func(cfg *proxy.Config, name string) *proxy.ListenerConfig {
		for i := range cfg.Listeners {
			if cfg.Listeners[i].Name == name {
				return &cfg.Listeners[i]
			}
		}
		t.Fatalf("no listener %s", name)
		return nil
	}
	// without turns a role of the listener's combined plugin off (removes the plugin when it was the last).
	without := func(l *proxy.ListenerConfig, role string) {
		require.Len(t, l.Filters, 1, l.Name)
		var cfg map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(l.Filters[0].PluginConfig, &cfg))
		require.Contains(t, cfg, role, "%s runs %s", l.Name, role)
		delete(cfg, role)
		if len(cfg) == 0 {
			l.Filters = nil
			return
		}
		b, err := json.Marshal(cfg)
		require.NoError(t, err)
		l.Filters[0].PluginConfig = b
	}
	p := func(i int) string { return AmbientPromises[i].Text }
	tests := []struct {
		name  string
		edit  func(*proxy.Config)
		fails []string // promises that must fail (others may fail too)
		holds []string // promises that must still hold
	}{
		{"svc-b has no waypoint: svc-a's ztunnel sends straight to its pods (ztunnel cannot route on headers)", func(c *proxy.Config) {
			listener(c, "ztunnel-svc-a").Routes[0].Upstream = listener(c, AmbientRoutedWaypoint).Routes[1].Upstream
		}, []string{p(0), p(2), p(6)}, []string{p(4), p(8)}},
		{"no tenantroute role on svc-b's waypoint", func(c *proxy.Config) { without(listener(c, AmbientRoutedWaypoint), "tenantroute") },
			[]string{p(0), p(6), p(7)}, []string{p(1), p(2), p(9)}},
		{"shadowtag on the ledger's waypoint names another identity", func(c *proxy.Config) {
			f := &listener(c, "waypoint-ledger").Filters[0]
			other := strings.Replace(string(f.PluginConfig), CandidateID, "spiffe://cluster.local/ns/shop/sa/someone-else", 1)
			require.NotEqual(t, string(f.PluginConfig), other, "the edit found the candidate")
			f.PluginConfig = []byte(other)
		}, []string{p(9)}, []string{p(0), p(1), p(2)}}, // every POST's copy now writes to the ledger
		{"no synthetic role on the ledger's waypoint", func(c *proxy.Config) { without(listener(c, "waypoint-ledger"), "synthetic") },
			[]string{p(10)}, []string{p(9), p(11)}},
		{"svc-a's waypoint trusts the outsider", func(c *proxy.Config) {
			f := &listener(c, "waypoint-svc-a").Filters[0]
			trusted := strings.Replace(string(f.PluginConfig), `"principals":[`, `"principals":["`+OutsiderID+`",`, 1)
			require.NotEqual(t, string(f.PluginConfig), trusted, "the edit found the trust list")
			f.PluginConfig = []byte(trusted)
		}, []string{p(11)}, []string{p(9), p(10)}},
	}
	mods := distModules(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := RunAmbient(context.Background(), AmbientOptions{Modules: mods, EditMesh: tc.edit})
			require.NoError(t, err)
			outcomes := map[string]Verdict{}
			for _, v := range rep.Verdicts {
				outcomes[v.Promise] = v
			}
			for _, f := range tc.fails {
				assert.Equal(t, Failed, outcomes[f].Outcome, "%s: %s", f, outcomes[f].Evidence)
			}
			for _, h := range tc.holds {
				assert.Equal(t, Held, outcomes[h].Outcome, "%s: %s", h, outcomes[h].Evidence)
			}
			assert.False(t, AllHeld(rep.Verdicts))
		})
	}
}
