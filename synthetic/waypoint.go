package synthetic

import (
	"time"
	"unsafe"

	"github.com/laneway/laneway/filters/proxyhost"
)

// PeerPrincipalProperty is where an Istio waypoint keeps the caller's identity: the filter state
// io.istio.peer_principal, set from the certificate ztunnel presented for the calling workload when
// the waypoint terminated HBONE. The waypoint's HTTP filters run on an internal listener without TLS,
// so connection.uri_san_peer_certificate is empty there.
var PeerPrincipalProperty = proxyhost.NewProperty("filter_state", "io.istio.peer_principal")

// waypointHost is envoyHost for mode waypoint: the peer identity comes from the waypoint's filter state.
type waypointHost struct{}

// Now implements Host.
func (waypointHost) Now() time.Time { return time.Now() }

// Principal implements Host; the string shares proxyhost.Property.Read's reused memory and is only compared, at once.
func (waypointHost) Principal() (string, bool) {
	if v, err := PeerPrincipalProperty.Read(); err == nil && len(v) > 0 {
		return unsafe.String(&v[0], len(v)), true
	}
	return "", false
}
