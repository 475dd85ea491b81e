package istiores

import (
	"fmt"

	"github.com/laneway/laneway/packager/routegroup"
)

// GroupRoutes renders a route group as Istio resources: for each service (in the group's order)
// the VirtualService, then the DestinationRule when it has subset backends, exactly as Routes
// renders that service alone.
func GroupRoutes(g routegroup.Group) ([]any, error) {
	var out []any
	for _, s := range g.Services {
		vs, dr, err := Routes(GroupServiceOptions(g, s))
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", s.Name, err)
		}
		out = append(out, vs)
		if dr != nil {
			out = append(out, dr)
		}
	}
	return out, nil
}

// GroupServiceOptions are the RouteOptions of one service of a group.
func GroupServiceOptions(g routegroup.Group, s routegroup.Service) RouteOptions {
	o := RouteOptions{
		Service: s.Name, Namespace: g.Namespace, Name: s.ObjectName, Header: g.Header,
		Port: s.Port, Gateways: g.Gateways, SubsetLabel: s.SubsetLabel, BaselineLabels: s.BaselineLabels,
	}
	for _, m := range s.Mirrors {
		o.Mirrors = append(o.Mirrors, Mirror{Host: m.Host, Percent: m.Percent})
	}
	for _, b := range s.Backends {
		o.Sandboxes = append(o.Sandboxes, Sandbox{Tenant: b.Tenant, Host: b.Host, Subset: b.Subset})
	}
	return o
}
