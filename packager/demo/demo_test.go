package demo

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/proxy"
)

func TestDemoRoutesMirrorsAndReportsEveryRequest(t *testing.T) {
	mods := map[string]string{}
	for _, f := range Filters {
		testenv.DistModule(t, f) // fails with a `make build` hint when missing
		mods[f] = testenv.DistPath(t, f)
	}
	var decisions bytes.Buffer
	rep, err := Run(context.Background(), Options{Modules: mods, Decisions: &decisions})
	require.NoError(t, err)
	require.Len(t, rep.Rows, len(DefaultRequests))
	want := []struct{ tenant, route, servedBy string }{
		{"sbx-1", "svc-b-sbx-1", "svc-b@sbx-1"},
		{"", "svc-b-baseline", "svc-b"},
		{"sbx-9", "svc-b-baseline", "svc-b"},
		{"", "svc-b-baseline", "svc-b"},
		{"sbx-1", "svc-b-sbx-1", "svc-b@sbx-1"},
		{"sbx-1", "svc-b-sbx-1", "svc-b@sbx-1"},
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
	assert.Equal(t, int64(3), rep.Stats.MirrorsStarted)
	assert.Equal(t, int64(3), rep.Stats.MirrorsCompleted)
	assert.Contains(t, decisions.String(), "listener=svc-b-v2-inbound")
	assert.Contains(t, decisions.String(), "shadow=true")

	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	assert.Contains(t, table.String(), "SHADOW COPY AT v2")
	assert.Contains(t, table.String(), "host svc-b-shadow:8080, marked shadow")
	assert.Contains(t, table.String(), "3 mirrored copies (3 delivered, 0 failed)")
}

func TestDemoMeshTemplateParsesOnceFilledIn(t *testing.T) {
	vals := map[string]string{"SVC_A": "127.0.0.1:1", "SVC_B": "127.0.0.1:2", "SVC_B_SBX_1": "127.0.0.1:3", "SVC_B_V2": "127.0.0.1:4",
		"TENANTROUTE_WASM": "t.wasm", "SHADOWTAG_WASM": "s.wasm"}
	cfg, err := proxy.Parse([]byte(os.Expand(MeshTemplate, func(k string) string { return vals[k] })))
	require.NoError(t, err)
	require.Len(t, cfg.Listeners, 3)
	assert.Equal(t, "t.wasm", cfg.Listeners[1].Filters[0].Wasm)
	assert.Equal(t, "listener:svc-b-v2-inbound", cfg.Listeners[1].Routes[1].Mirrors[0].Upstream)
}
