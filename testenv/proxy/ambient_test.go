package proxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAWaypointSeesTheIdentityItsZtunnelCarriesAndNoClaimedOne(t *testing.T) {
	var mu sync.Mutex
	var upstreamSaw []http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		upstreamSaw = append(upstreamSaw, r.Header.Clone())
		mu.Unlock()
	}))
	defer up.Close()
	cfg, err := Parse([]byte(`
listeners:
- name: ztunnel-a
  identity: spiffe://cluster.local/ns/shop/sa/svc-a
  routes: [{upstream: listener:waypoint-b}]
- name: waypoint-b
  waypoint: true
  routes: [{upstream: ` + up.Listener.Addr().String() + `}]
`))
	require.NoError(t, err)
	require.Equal(t, "inbound", cfg.Listeners[1].Direction, "a waypoint's listener is inbound")
	var dmu sync.Mutex
	peers := map[string][]string{}
	p, err := Start(context.Background(), cfg, Options{OnDecision: func(d Decision) {
		dmu.Lock()
		peers[d.Listener] = append(peers[d.Listener], d.Peer)
		dmu.Unlock()
	}})
	require.NoError(t, err)
	defer func() { _ = p.Close(context.Background()) }()
	send := func(listener, claimed string) {
		req, err := http.NewRequest("GET", "http://"+p.Addr(listener)+"/", nil)
		require.NoError(t, err)
		if claimed != "" {
			req.Header.Set(peerCarrierHeader, claimed)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	send("ztunnel-a", "")
	send("ztunnel-a", "guess spiffe://cluster.local/ns/shop/sa/admin")
	send("waypoint-b", "guess spiffe://cluster.local/ns/shop/sa/admin")
	assert.Equal(t, []string{"spiffe://cluster.local/ns/shop/sa/svc-a", "spiffe://cluster.local/ns/shop/sa/svc-a", ""}, peers["waypoint-b"],
		"the ztunnel's identity through it; a claimed one is never taken")
	require.Len(t, upstreamSaw, 3)
	for _, h := range upstreamSaw {
		assert.Empty(t, h.Values(peerCarrierHeader), "the carrier never reaches an application")
	}
}

func TestAmbientListenerConfigIsChecked(t *testing.T) {
	tests := []struct{ doc, errHas string }{
		{"listeners: [{name: w, waypoint: true, direction: outbound, routes: [{upstream: '127.0.0.1:1'}]}]", "inbound or nothing on a waypoint"},
		{"listeners: [{name: w, waypoint: yes please, routes: [{upstream: '127.0.0.1:1'}]}]", "true or false"},
		{"listeners: [{name: z, identity: svc-a, routes: [{upstream: '127.0.0.1:1'}]}]", "a SPIFFE id"},
		{"listeners: [{name: z, identity: 'spiffe://cluster.local/ns/a/sa/b', filters: [{name: f, wasm: x.wasm}], routes: [{upstream: '127.0.0.1:1'}]}]", "ztunnel moves bytes"},
		{"listeners: [{name: w, waypoint: true, identity: 'spiffe://cluster.local/ns/a/sa/b', routes: [{upstream: '127.0.0.1:1'}]}]", "no identity on a waypoint"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.doc))
		require.Error(t, err, tc.doc)
		assert.Contains(t, err.Error(), tc.errHas)
	}
}
