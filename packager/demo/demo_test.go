package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/testenv/proxy"
	"github.com/laneway/laneway/testenv/testenvtest"
)

func TestDemoRoutesMirrorsAndReportsEveryRequest(t *testing.T) {
	mods := map[string]string{}
	for _, f := range Filters {
		testenvtest.DistModule(t, f) // fails with a `make build` hint when missing
		mods[f] = testenvtest.DistPath(t, f)
	}
	var decisions bytes.Buffer
	rep, err := Run(context.Background(), Options{Modules: mods, Decisions: &decisions})
	require.NoError(t, err)
	require.Len(t, rep.Rows, len(DefaultRequests))
	want := []struct{ tenant, route, servedBy string }{
		{"sbx-1", "svc-b-sbx-1", "svc-b@sbx-1"},
		{"", "svc-b-baseline", "svc-b"},
		{"", "svc-b-baseline", "svc-b"}, // the gateway's allow list names only sbx-1
		{"", "svc-b-baseline", "svc-b"},
		{"sbx-1", "svc-b-sbx-1", "svc-b@sbx-1"},
		{"sbx-1", "svc-b-sbx-1", "svc-b@sbx-1"},
		{"", "svc-b-baseline", "svc-b"}, // the gateway removed the client-set x-laneway-tenant
	}
	for i, w := range want {
		row := rep.Rows[i]
		t.Run(row.Label, func(t *testing.T) {
			assert.Equal(t, 200, row.Status)
			assert.Equal(t, w.tenant, row.Tenant)
			assert.Equal(t, w.route, row.Route)
			assert.Equal(t, w.servedBy, row.ServedBy)
			if w.servedBy == "svc-b" {
				assert.Equal(t, "svc-b-v2-inbound", row.Mirror)
				assert.Equal(t, "svc-b-shadow:8080", row.ShadowHost)
				assert.True(t, row.ShadowMarked, "shadowtag marked the copy at v2's inbound")
			} else {
				assert.Empty(t, row.Mirror, "sandbox traffic is not mirrored")
				assert.Empty(t, row.ShadowHost)
			}
		})
	}
	assert.Empty(t, rep.Rows[2].SvcABaggage, "the gateway removed the tenant it does not allow")
	assert.Empty(t, rep.Rows[6].SvcATenantHeader, "the gateway removed the client-set tenant header")
	assert.Equal(t, "x-laneway-tenant: sbx-1", rep.Rows[6].Headers)
	// 4 baseline GETs above, and the 3 containment POSTs below (all to baseline) are mirrored; every
	// compare GET is mirrored to the secondary and the candidate.
	mirrors := int64(7 + 2*DefaultCompare.Requests)
	assert.Equal(t, mirrors, rep.Stats.MirrorsStarted)
	assert.Equal(t, mirrors, rep.Stats.MirrorsCompleted)
	require.NotNil(t, rep.Compare)
	assert.Equal(t, []string{"body:total"}, rep.Compare.reported())
	for _, v := range rep.Verdicts {
		assert.Equal(t, Held, v.Outcome, "%s: %s", v.Promise, v.Evidence)
	}
	require.Len(t, rep.Verdicts, len(Promises))
	assert.Contains(t, decisions.String(), "listener=svc-b-v2-inbound")
	assert.Contains(t, decisions.String(), "shadow=true")

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	assert.Contains(t, table.String(), "SHADOW COPY AT v2")
	assert.Contains(t, table.String(), "host svc-b-shadow:8080, marked shadow")
	assert.Contains(t, table.String(), "607 mirrored copies (607 delivered, 0 failed)")
	assert.Contains(t, table.String(), "\n11. compare: 300 GETs to orders")
	assert.Contains(t, table.String(), "Verdict: all 11 promises held.")
}

func TestDemoContainsShadowAndSyntheticWritesAndStripsASpoofedMarker(t *testing.T) {
	mods := map[string]string{}
	for _, f := range Filters {
		testenvtest.DistModule(t, f)
		mods[f] = testenvtest.DistPath(t, f)
	}
	rep, err := Run(context.Background(), Options{Modules: mods, Requests: []Request{}, Compare: &CompareScenario{}})
	require.NoError(t, err)
	require.Len(t, rep.Containment, len(DefaultScenarios))
	assert.Nil(t, rep.Compare, "the compare run was skipped")
	want := []ContainmentRow{
		{Label: "mirrored POST", Sent: "POST, no marker", Status: 200,
			LedgerStatus: 201, ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1},
		{Label: "synthetic tx", Sent: "POST, marker + valid token", Status: 200,
			// The combined module runs synthetic before tenantroute's trust boundary, which keeps the marker
			// header synthetic accepted at the gateway (separate plugins stripped it: svc-a found it in
			// baggage only). v2's shadow copy of the write meets synthetic first too: refused (409) before
			// shadowtag would have suppressed it (202); either way it never reaches the ledger.
			SvcASaw: "1;id=" + SyntheticTxID, SvcBSaw: "1;id=" + SyntheticTxID,
			LedgerStatus: 409, LedgerAnsweredBy: "synthetic", ShadowLedgerStatus: 409, ShadowLedgerAnsweredBy: "synthetic"},
		{Label: "spoofed marker", Sent: "POST, marker, no token", Status: 200,
			LedgerStatus: 201, ShadowLedgerStatus: 202, ShadowLedgerAnsweredBy: "shadowtag", LedgerWrites: 1},
	}
	for i, w := range want {
		row := rep.Containment[i]
		t.Run(row.Label, func(t *testing.T) {
			require.Len(t, row.TraceID, 32)
			w.TraceID = row.TraceID
			assert.Equal(t, w, row)
		})
	}
	assert.Equal(t, map[string]int64{
		"laneway_tenantroute_baseline_total": 6, // 3 POSTs, each at the gateway and svc-a's outbound
		"laneway_shadowtag_marked_total":     3, // every mirrored POST, at v2's inbound
		"laneway_shadowtag_passed_total":     2, // svc-b's live writes, at its outbound (its synthetic write is refused first)
		"laneway_shadowtag_suppressed_total": 2, // v2's ordinary writes, at its outbound
		"laneway_synthetic_accepted_total":   1, // the token at the edge
		"laneway_synthetic_passed_total":     2, // edge to svc-a, svc-a to svc-b
		"laneway_synthetic_refused_total":    2, // svc-b's and v2's synthetic writes to the ledger
		"laneway_synthetic_stripped_total":   1, // the spoofed marker at the edge
	}, rep.Counters, "no x-laneway-* header stripped by tenantroute: the one the gateway removes is a client's, counted by synthetic")
	assert.Equal(t, int64(4), rep.Stats.LocalReplies, "2 suppressions and 2 refusals")

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	for _, line := range []string{
		"1  mirrored POST",
		"201 written               202 suppressed by shadowtag  1 write (0 shadow, 0 synthetic)",
		"tx demo-tx-1  tx demo-tx-1  409 refused by synthetic  409 refused by synthetic     0 writes (0 shadow, 0 synthetic)",
		"3  spoofed marker  POST, marker, no token      200     no marker     no marker     201 written",
		"filters: tenantroute_baseline 6, shadowtag_marked 3, shadowtag_passed 2, shadowtag_suppressed 2, synthetic_accepted 1, synthetic_passed 2, synthetic_refused 2, synthetic_stripped 1",
	} {
		assert.Contains(t, table.String(), line)
	}
}

func TestDemoMeshTemplateParsesOnceFilledIn(t *testing.T) {
	vals := map[string]string{"SVC_A": "127.0.0.1:1", "SVC_B": "127.0.0.1:2", "SVC_B_SBX_1": "127.0.0.1:3", "SVC_B_V2": "127.0.0.1:4",
		"LEDGER": "127.0.0.1:5", "LANEWAY_WASM": "l.wasm", "SYNTHETIC_SECRET": SyntheticSecret,
		"SHADOWTAG_COMPARE_WASM": "c.wasm", "ORDERS_PRIMARY": "127.0.0.1:6", "ORDERS_SECONDARY": "127.0.0.1:7", "ORDERS_CANDIDATE": "127.0.0.1:8", "COLLECTOR": "127.0.0.1:9"}
	cfg, err := proxy.Parse([]byte(os.Expand(MeshTemplate, func(k string) string { return vals[k] })))
	require.NoError(t, err)
	require.Len(t, cfg.Listeners, 9)
	// Every sidecar listener runs one plugin, the combined module, with the roles it needs there.
	wantRoles := map[string][]string{
		"svc-a-inbound":     {"synthetic", "tenantroute"}, // the edge: synthetic's token is checked before the trust boundary strips it
		"svc-a-outbound":    {"synthetic", "tenantroute"},
		"svc-b-v2-inbound":  {"shadowtag"},
		"svc-b-outbound":    {"synthetic", "shadowtag"}, // shadow writes are suppressed before the synthetic policy (the module's order)
		"svc-b-v2-outbound": {"synthetic", "shadowtag"},
	}
	for _, l := range cfg.Listeners[:5] {
		require.Len(t, l.Filters, 1, "%s runs one plugin", l.Name)
		f := l.Filters[0]
		assert.Equal(t, "laneway", f.Name, l.Name)
		assert.Equal(t, "l.wasm", f.Wasm, l.Name)
		c, err := combined.ParseConfig(f.PluginConfig)
		require.NoError(t, err, l.Name)
		assert.ElementsMatch(t, wantRoles[l.Name], c.Roles(), l.Name)
	}
	assert.Contains(t, string(cfg.Listeners[0].Filters[0].PluginConfig), SyntheticSecret)
	assert.Equal(t, "listener:svc-b-v2-inbound", cfg.Listeners[1].Routes[1].Mirrors[0].Upstream)
	for _, l := range cfg.Listeners[3:5] {
		assert.Equal(t, "127.0.0.1:5", l.Routes[0].Upstream)
	}
	// The compare run: orders' caller mirrors to the secondary and the candidate; each role's inbound
	// listener runs shadowtag-compare with its role and the collector's cluster, which the mesh defines.
	const cluster = "outbound|8080||laneway-compare.laneway.svc.cluster.local"
	assert.Equal(t, proxy.Clusters{cluster: {"127.0.0.1:9"}}, cfg.Clusters)
	out := cfg.Listeners[5]
	require.Equal(t, "orders-outbound", out.Name)
	require.Len(t, out.Routes, 1)
	assert.Equal(t, "listener:orders-primary-inbound", out.Routes[0].Upstream)
	require.Len(t, out.Routes[0].Mirrors, 2)
	assert.Equal(t, "listener:orders-secondary-inbound", out.Routes[0].Mirrors[0].Upstream)
	assert.Equal(t, "listener:orders-candidate-inbound", out.Routes[0].Mirrors[1].Upstream)
	for i, role := range []shadowtag.Role{shadowtag.RolePrimary, shadowtag.RoleSecondary, shadowtag.RoleCandidate} {
		l := cfg.Listeners[6+i]
		require.Len(t, l.Filters, 1, l.Name)
		assert.Equal(t, "c.wasm", l.Filters[0].Wasm)
		c, err := shadowtag.ParseModuleConfig("shadowtag-compare", l.Filters[0].PluginConfig)
		require.NoError(t, err, l.Name)
		require.NotNil(t, c.Compare, l.Name)
		assert.Equal(t, role, c.Compare.Role, l.Name)
		assert.Equal(t, cluster, c.Compare.Cluster, l.Name)
		assert.Equal(t, "orders", c.Compare.Service, l.Name)
		assert.Equal(t, 1.0, c.Compare.SampleRate(), "%s: every role samples every request", l.Name)
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", 6+i), l.Routes[0].Upstream)
	}
}
