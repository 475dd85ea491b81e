package synthetic

import "github.com/laneway/laneway/filters/proxyhost"

// PeerPrincipalProperty is where an Istio waypoint keeps the caller's identity: the filter state
// io.istio.peer_principal, set from the certificate ztunnel presented for the calling workload when
// the waypoint terminated HBONE. The waypoint's HTTP filters run on an internal listener without TLS,
// so connection.uri_san_peer_certificate is empty there.
var PeerPrincipalProperty = proxyhost.NewProperty("filter_state", "io.istio.peer_principal")

// waypointPrincipal is where ReadFacts looks for the peer identity in mode waypoint.
var waypointPrincipal = []proxyhost.Property{PeerPrincipalProperty}
