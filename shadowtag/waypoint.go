package shadowtag

import (
	"strings"
	"unsafe"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tidwall/gjson"
)

// MaxPrincipals bounds detect.principals.
const MaxPrincipals = 16

// decideWaypoint decides for mode waypoint, with the caller's identity as the waypoint sees it (Istio's
// io.istio.peer_principal filter state; "" when unknown). On an ambient waypoint no filter ever sees a
// mirrored copy (it goes from the mirroring waypoint straight to the candidate's pods), so the candidate's
// own requests are recognised by its identity (detect.principals) or by laneway's mark from an earlier hop.
// A shadow request with a mutating method to a destination not allowed is contained (outbound's job); any
// other shadow request is marked (inbound's job) so the collaborator and later waypoints carry the mark.
func (c *Config) decideWaypoint(d *Decision, s *scan, bags []string, principal string) {
	d.Destination = destinationHost(s.authority)
	c.detect(d, s, bags, false) // the host suffix never reaches a waypoint: the copy skips it
	if principal != "" && c.principalListed(principal) {
		d.Signals |= SignalPrincipal
		d.Shadow = true
	}
	if !d.Shadow {
		return
	}
	if c.mutating(s.method) && !allowed(c.Allow, d.Destination) {
		c.contain(d, s)
		return
	}
	c.mark(d, s, bags)
}

// principalListed reports whether p is a configured candidate identity (exact, or by prefix).
func (c *Config) principalListed(p string) bool {
	for _, t := range c.Principals {
		if p == t {
			return true
		}
	}
	for _, t := range c.PrincipalPrefixes {
		if strings.HasPrefix(p, t) {
			return true
		}
	}
	return false
}

// readPrincipals reads detect.principals: SPIFFE ids, exact or ending in '*' for a prefix.
func (c *Config) readPrincipals(p string, v gjson.Result) error {
	c.Principals, c.PrincipalPrefixes = nil, nil
	const rule = "a caller identity such as spiffe://cluster.local/ns/shop/sa/svc-b-candidate (visible ASCII, at most 256 characters), or a prefix ending in '*' that names service accounts (contains /sa/)"
	return pluginconfig.List("shadowtag", p, v, MaxPrincipals, "an array of caller identities (SPIFFE ids), exact or ending in '*'",
		func(ip string, it gjson.Result) error {
			if it.Type != gjson.String || it.Str == "" || len(it.Str) > 256 {
				return fieldErr(ip, it, rule)
			}
			for i := 0; i < len(it.Str); i++ {
				if it.Str[i] <= 0x20 || it.Str[i] > 0x7e {
					return fieldErr(ip, it, rule)
				}
			}
			if prefix, ok := strings.CutSuffix(it.Str, "*"); ok {
				if !strings.Contains(prefix, "/sa/") || strings.Contains(prefix, "*") {
					return fieldErr(ip, it, rule+"; a shorter prefix would mark whole meshes as shadow")
				}
				c.PrincipalPrefixes = append(c.PrincipalPrefixes, prefix)
				return nil
			}
			if strings.Contains(it.Str, "*") {
				return fieldErr(ip, it, rule)
			}
			c.Principals = append(c.Principals, it.Str)
			return nil
		})
}

// PeerPrincipalProperty is where an Istio waypoint keeps the caller's identity: the filter state
// io.istio.peer_principal, set from the HBONE peer certificate ztunnel presented for the calling workload.
var PeerPrincipalProperty = proxyhost.NewProperty("filter_state", "io.istio.peer_principal")

// peerPrincipal reads the caller's identity; the string shares proxyhost.Property.Read's reused memory, so the
// decision only compares it, at once.
func peerPrincipal() string {
	v, err := PeerPrincipalProperty.Read()
	if err != nil || len(v) == 0 {
		return ""
	}
	return unsafe.String(&v[0], len(v))
}
