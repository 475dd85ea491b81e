package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// PeerPrincipalProperty is the attribute path under which an Istio waypoint's filters find the caller's
// identity: the filter state io.istio.peer_principal, which the waypoint sets from the certificate ztunnel
// presented for the calling workload when it terminated HBONE.
const PeerPrincipalProperty = "filter_state\x00io.istio.peer_principal"

// peerCarrierHeader carries a ztunnel listener's identity to a waypoint listener of the same proxy, with
// the proxy's secret standing in for HBONE's mTLS: every listener removes it on arrival, and only a
// waypoint listener reads it, only with the right secret, so a client cannot claim an identity.
const peerCarrierHeader = "x-laneway-local-mesh-peer"

func newMeshSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// takePeer removes the identity carrier from r and returns the identity when this is a waypoint
// listener and the carrier holds the proxy's secret.
func (l *listener) takePeer(r *http.Request) string {
	v := r.Header.Get(peerCarrierHeader)
	r.Header.Del(peerCarrierHeader)
	if !l.cfg.Waypoint || v == "" {
		return ""
	}
	secret, id, ok := strings.Cut(v, " ")
	if !ok || secret != l.p.meshSecret {
		return ""
	}
	return id
}
