// Package gatewayres renders tenant routing as Gateway API HTTPRoutes (gateway.networking.k8s.io/v1),
// the routing API of Istio's ambient mode: the route of a baseline service sends each tenant's requests
// (matched on tenantroute's header) to its sandbox Service, everything else to the baseline, and may
// mirror the baseline's requests (RequestMirror). A route binds to the Service itself (GAMMA: the
// service's waypoint, or the callers' sidecars, apply it) or to Gateways.
//
// It renders the same model as istiores (per-service options, or a routegroup.Group), so one
// route-group file gives VirtualServices or HTTPRoutes with the same routing decisions.
package gatewayres

import (
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/laneway/laneway/packager/routegroup"
)

// DefaultTenantHeader is the header tenantroute writes and the routes match.
const DefaultTenantHeader = "x-laneway-tenant"

// BaselineRule names the last rule, which sends everything else to the baseline.
const BaselineRule = "baseline"

// GatewayRef names a Gateway the routes attach to (Namespace "" is the route's own).
type GatewayRef struct {
	Namespace, Name string
}

// Backend is where one tenant's requests go: the sandbox's Service host.
type Backend struct {
	Tenant string
	Host   string
	// Subset is refused: HTTPRoute backends are Services (kept so the error can name it).
	Subset string
}

// Mirror copies Percent (0-100) of the baseline's requests to Host.
type Mirror struct {
	Host    string
	Percent int32
}

// RouteOptions describe tenant routing for one baseline service.
type RouteOptions struct {
	// Service is the baseline Service: svc, svc.ns or svc.ns.svc.cluster.local.
	Service   string
	Namespace string
	// Name of the HTTPRoute; default "<service>-laneway".
	Name string
	// Header carrying the tenant; default x-laneway-tenant.
	Header string
	// Port is the Service port of every backend and mirror (Gateway API requires it).
	Port     uint32
	Backends []Backend
	Mirrors  []Mirror
	// Gateways binds the route to Gateways; empty binds it to the Service (GAMMA, ambient waypoints).
	Gateways []GatewayRef
	// SubsetLabel and BaselineLabels are refused (DestinationRule subsets have no HTTPRoute form).
	SubsetLabel    string
	BaselineLabels map[string]string
}

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	headerName = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_` + "`" + `|~-]+$`)
)

// serviceRef splits a Service host into name and namespace ("" when the host has none).
func serviceRef(field, host string) (name, ns string, err error) {
	parts := strings.Split(strings.TrimSuffix(host, ".svc.cluster.local"), ".")
	ok := len(parts) <= 2
	for _, p := range parts {
		ok = ok && dnsLabel.MatchString(p) && len(p) <= 63
	}
	if !ok {
		return "", "", fmt.Errorf("%s: got %q, expected a Kubernetes Service: name, name.namespace or name.namespace.svc.cluster.local (HTTPRoute backends and parents are Services)", field, host)
	}
	if len(parts) == 2 {
		ns = parts[1]
	}
	return parts[0], ns, nil
}

// HTTPRoute returns the HTTPRoute of one baseline service: one rule per tenant matching the tenant
// header exactly and sending to the tenant's sandbox Service, then the baseline rule (with the mirrors).
func HTTPRoute(o RouteOptions) (*gwv1.HTTPRoute, error) {
	svcName, svcNS, err := serviceRef("service", o.Service)
	if err != nil {
		return nil, err
	}
	if o.Namespace != "" && (!dnsLabel.MatchString(o.Namespace) || len(o.Namespace) > 63) {
		return nil, fmt.Errorf("namespace: got %q, expected a DNS label", o.Namespace)
	}
	ns := o.Namespace
	switch {
	case ns == "":
		ns = svcNS
	case svcNS != "" && svcNS != ns && len(o.Gateways) == 0:
		return nil, fmt.Errorf("service: got %q in namespace %s, but the route goes to namespace %s; a route bound to a Service applies to all its callers only in the Service's namespace (elsewhere it is a consumer route for that namespace's callers alone): expected -n %s", o.Service, svcNS, ns, svcNS)
	}
	if o.Header == "" {
		o.Header = DefaultTenantHeader
	}
	if !headerName.MatchString(o.Header) || len(o.Header) > 256 {
		return nil, fmt.Errorf("header: got %q, expected an HTTP header name", o.Header)
	}
	if o.Port == 0 || o.Port > 65535 {
		return nil, fmt.Errorf("port: got %d, expected the Service port (1-65535): Gateway API requires a port on every Service backend (--port, or port: in the route-group file)", o.Port)
	}
	if o.SubsetLabel != "" || len(o.BaselineLabels) > 0 {
		return nil, fmt.Errorf("subsets of %s: got a subset label or baseline labels, but HTTPRoute backends are Services, not DestinationRule subsets: expected a Service per sandbox (selecting its pods) given as its host, and a baseline Service that selects only baseline pods", o.Service)
	}
	if o.Name == "" {
		o.Name = svcName + "-laneway"
	}
	if len(o.Backends) == 0 && len(o.Mirrors) == 0 {
		return nil, fmt.Errorf("tenants: got none and no mirror, expected at least one tenant with its sandbox Service, or a mirror (e.g. to a candidate and a secondary, to compare them)")
	}
	port := gwv1.PortNumber(o.Port)
	ref := func(field, host string) (gwv1.BackendObjectReference, error) {
		name, hns, err := serviceRef(field, host)
		if err != nil {
			return gwv1.BackendObjectReference{}, err
		}
		group, kind := gwv1.Group(""), gwv1.Kind("Service")
		r := gwv1.BackendObjectReference{Group: &group, Kind: &kind, Name: gwv1.ObjectName(name), Port: &port}
		if hns != "" && hns != ns {
			n := gwv1.Namespace(hns)
			r.Namespace = &n
		}
		return r, nil
	}
	spec := gwv1.HTTPRouteSpec{}
	if len(o.Gateways) == 0 {
		group, kind := gwv1.Group(""), gwv1.Kind("Service")
		spec.ParentRefs = []gwv1.ParentReference{{Group: &group, Kind: &kind, Name: gwv1.ObjectName(svcName)}}
	} else {
		for i, g := range o.Gateways {
			if !dnsLabel.MatchString(g.Name) || (g.Namespace != "" && !dnsLabel.MatchString(g.Namespace)) {
				return nil, fmt.Errorf("gateway %d: got %q/%q, expected [NAMESPACE/]NAME of a Gateway", i, g.Namespace, g.Name)
			}
			pr := gwv1.ParentReference{Name: gwv1.ObjectName(g.Name)}
			if g.Namespace != "" {
				n := gwv1.Namespace(g.Namespace)
				pr.Namespace = &n
			}
			spec.ParentRefs = append(spec.ParentRefs, pr)
		}
		// A Gateway serves many hosts: match the service's host, as the VirtualService's hosts do.
		spec.Hostnames = []gwv1.Hostname{gwv1.Hostname(o.Service)}
	}
	seen := map[string]bool{}
	exact := gwv1.HeaderMatchExact
	for _, b := range o.Backends {
		if !dnsLabel.MatchString(b.Tenant) || len(b.Tenant) > 63 {
			return nil, fmt.Errorf("tenant: got %q, expected a DNS label (lower-case letters, digits, '-', at most 63 characters), the form tenantroute accepts", b.Tenant)
		}
		if seen[b.Tenant] {
			return nil, fmt.Errorf("tenant: got %q twice, expected each tenant once", b.Tenant)
		}
		seen[b.Tenant] = true
		if b.Host == "" {
			return nil, fmt.Errorf("tenant %s: got subset %q and no sandbox host, but HTTPRoute backends are Services: expected a Service for the sandbox (selecting its pods) given as its host", b.Tenant, b.Subset)
		}
		if b.Host == o.Service {
			return nil, fmt.Errorf("sandbox host for tenant %s: got %q, the baseline service itself; expected the sandbox's own Service", b.Tenant, b.Host)
		}
		r, err := ref("sandbox host for tenant "+b.Tenant, b.Host)
		if err != nil {
			return nil, err
		}
		name := gwv1.SectionName("tenant-" + b.Tenant)
		spec.Rules = append(spec.Rules, gwv1.HTTPRouteRule{
			Name: &name,
			Matches: []gwv1.HTTPRouteMatch{{
				Headers: []gwv1.HTTPHeaderMatch{{Type: &exact, Name: gwv1.HTTPHeaderName(o.Header), Value: b.Tenant}},
			}},
			BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: r}}},
		})
	}
	base, err := ref("service", o.Service)
	if err != nil {
		return nil, err
	}
	baseName := gwv1.SectionName(BaselineRule)
	rule := gwv1.HTTPRouteRule{Name: &baseName, BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: base}}}}
	mirrorSeen := map[string]bool{}
	for _, m := range o.Mirrors {
		switch {
		case m.Host == o.Service:
			return nil, fmt.Errorf("mirror: got %q, the baseline service itself; expected another service", m.Host)
		case mirrorSeen[m.Host]:
			return nil, fmt.Errorf("mirror: got %q twice, expected each mirror host once", m.Host)
		case m.Percent < 0 || m.Percent > 100:
			return nil, fmt.Errorf("mirror percent for %s: got %d, expected 0 to 100", m.Host, m.Percent)
		}
		mirrorSeen[m.Host] = true
		r, err := ref("mirror", m.Host)
		if err != nil {
			return nil, err
		}
		p := m.Percent
		rule.Filters = append(rule.Filters, gwv1.HTTPRouteFilter{
			Type:          gwv1.HTTPRouteFilterRequestMirror,
			RequestMirror: &gwv1.HTTPRequestMirrorFilter{BackendRef: r, Percent: &p},
		})
	}
	spec.Rules = append(spec.Rules, rule)
	return &gwv1.HTTPRoute{
		TypeMeta: metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: metav1.ObjectMeta{
			Name: o.Name, Namespace: ns,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "laneway"},
		},
		Spec: spec,
	}, nil
}

// ParseGateway reads [NAMESPACE/]NAME.
func ParseGateway(s string) (GatewayRef, error) {
	ns, name, found := strings.Cut(s, "/")
	if !found {
		ns, name = "", s
	}
	if !dnsLabel.MatchString(name) || (found && !dnsLabel.MatchString(ns)) {
		return GatewayRef{}, fmt.Errorf("gateway: got %q, expected [NAMESPACE/]NAME of a Gateway, e.g. istio-ingress/public", s)
	}
	return GatewayRef{Namespace: ns, Name: name}, nil
}

// GroupRoutes renders a route group: one HTTPRoute per service, in the group's order. The group's
// gateways, if any, become the routes' parent Gateways; otherwise each route binds to its Service.
func GroupRoutes(g routegroup.Group) ([]any, error) {
	var gws []GatewayRef
	for _, s := range g.Gateways {
		gw, err := ParseGateway(s)
		if err != nil {
			return nil, fmt.Errorf("gateways: %w", err)
		}
		gws = append(gws, gw)
	}
	var out []any
	for _, s := range g.Services {
		o := RouteOptions{
			Service: s.Name, Namespace: g.Namespace, Name: s.ObjectName, Header: g.Header, Port: s.Port,
			Gateways: gws, SubsetLabel: s.SubsetLabel, BaselineLabels: s.BaselineLabels,
		}
		for _, m := range s.Mirrors {
			o.Mirrors = append(o.Mirrors, Mirror{Host: m.Host, Percent: m.Percent})
		}
		for _, b := range s.Backends {
			o.Backends = append(o.Backends, Backend{Tenant: b.Tenant, Host: b.Host, Subset: b.Subset})
		}
		r, err := HTTPRoute(o)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}
