// Package meshroutes puts generated routing resources on the local mesh (testenv/proxy): the http routes
// of an Istio VirtualService or the rules of a Gateway API HTTPRoute become a listener's routes, in the
// order each API matches them, so both renderings of one route group can be compared request by request.
// It covers what laneway generates (exact header matches, one destination per route, mirrors with a
// percentage) and refuses the rest by name.
package meshroutes

import (
	"fmt"
	"sort"

	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/laneway/laneway/testenv/proxy"
)

// Resolver maps a destination host (a VirtualService host, or an HTTPRoute backend as name or
// name.namespace) to a local-mesh upstream ("host:port" or "listener:<name>").
type Resolver func(host string) (string, error)

// FromVirtualService returns the routes of vs, in its order (Istio takes the first match). Mirrors keep
// the host unchanged (Istio >= 1.28's default, DISABLE_SHADOW_HOST_SUFFIX).
func FromVirtualService(vs *clientnet.VirtualService, resolve Resolver) ([]proxy.RouteConfig, error) {
	var out []proxy.RouteConfig
	for i, h := range vs.Spec.Http {
		if len(h.Route) != 1 || h.Route[0].Destination == nil || h.Redirect != nil || h.Rewrite != nil || h.Fault != nil {
			return nil, fmt.Errorf("virtualservice %s http[%d]: got %d destinations or a redirect, rewrite or fault, expected one destination (what laneway generates)", vs.Name, i, len(h.Route))
		}
		if h.Route[0].Destination.Subset != "" {
			return nil, fmt.Errorf("virtualservice %s http[%d]: got subset %q, expected a destination host (the local mesh has no pods to select)", vs.Name, i, h.Route[0].Destination.Subset)
		}
		up, err := resolve(h.Route[0].Destination.Host)
		if err != nil {
			return nil, err
		}
		r := proxy.RouteConfig{Name: h.Name, Upstream: up}
		for j, m := range h.Match {
			if m.Uri != nil || m.Method != nil || m.Authority != nil || len(m.QueryParams) > 0 || len(m.WithoutHeaders) > 0 {
				return nil, fmt.Errorf("virtualservice %s http[%d].match[%d]: got a match other than headers, expected exact header matches", vs.Name, i, j)
			}
			mc := proxy.MatchConfig{Headers: map[string]proxy.StringMatch{}}
			for name, sm := range m.Headers {
				if sm.GetExact() == "" {
					return nil, fmt.Errorf("virtualservice %s http[%d].match[%d].headers[%s]: expected an exact match", vs.Name, i, j, name)
				}
				mc.Headers[name] = proxy.Exact(sm.GetExact())
			}
			r.Match = append(r.Match, mc)
		}
		for _, m := range h.Mirrors {
			up, err := resolve(m.Destination.GetHost())
			if err != nil {
				return nil, err
			}
			pct := 100.0
			if m.Percentage != nil {
				pct = m.Percentage.Value
			}
			r.Mirrors = append(r.Mirrors, proxy.MirrorConfig{Upstream: up, Percentage: pct, DisableShadowHostSuffix: true})
		}
		out = append(out, r)
	}
	return out, nil
}

// FromHTTPRoute returns the routes of r, one per match of each rule, ordered by Gateway API's precedence
// for what laneway generates: more header matches first, then the rules' order. Mirrors keep the host
// unchanged, as Istio >= 1.28 sends them.
func FromHTTPRoute(r *gwv1.HTTPRoute, resolve Resolver) ([]proxy.RouteConfig, error) {
	type entry struct {
		route   proxy.RouteConfig
		headers int
	}
	var entries []entry
	backend := func(ref gwv1.BackendObjectReference) (string, error) {
		if ref.Kind != nil && *ref.Kind != "Service" || ref.Group != nil && *ref.Group != "" {
			return "", fmt.Errorf("httproute %s: got a %v backend, expected a Service", r.Name, ref.Kind)
		}
		host := string(ref.Name)
		if ref.Namespace != nil {
			host += "." + string(*ref.Namespace)
		}
		return resolve(host)
	}
	for i, rule := range r.Spec.Rules {
		if len(rule.BackendRefs) != 1 {
			return nil, fmt.Errorf("httproute %s rules[%d]: got %d backendRefs, expected one (what laneway generates)", r.Name, i, len(rule.BackendRefs))
		}
		up, err := backend(rule.BackendRefs[0].BackendObjectReference)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("rule-%d", i)
		if rule.Name != nil {
			name = string(*rule.Name)
		}
		base := proxy.RouteConfig{Name: name, Upstream: up}
		for _, f := range rule.Filters {
			if f.Type != gwv1.HTTPRouteFilterRequestMirror || f.RequestMirror == nil {
				return nil, fmt.Errorf("httproute %s rules[%d]: got filter %s, expected only RequestMirror", r.Name, i, f.Type)
			}
			mup, err := backend(f.RequestMirror.BackendRef)
			if err != nil {
				return nil, err
			}
			pct := 100.0
			switch {
			case f.RequestMirror.Percent != nil:
				pct = float64(*f.RequestMirror.Percent)
			case f.RequestMirror.Fraction != nil:
				den := int32(100)
				if f.RequestMirror.Fraction.Denominator != nil {
					den = *f.RequestMirror.Fraction.Denominator
				}
				pct = 100 * float64(f.RequestMirror.Fraction.Numerator) / float64(den)
			}
			base.Mirrors = append(base.Mirrors, proxy.MirrorConfig{Upstream: mup, Percentage: pct, DisableShadowHostSuffix: true})
		}
		if len(rule.Matches) == 0 {
			entries = append(entries, entry{route: base})
			continue
		}
		for j, m := range rule.Matches {
			if m.Path != nil && !(m.Path.Type != nil && *m.Path.Type == gwv1.PathMatchPathPrefix && m.Path.Value != nil && *m.Path.Value == "/") || m.Method != nil || len(m.QueryParams) > 0 {
				return nil, fmt.Errorf("httproute %s rules[%d].matches[%d]: got a path, method or query match, expected header matches only", r.Name, i, j)
			}
			rc := base
			mc := proxy.MatchConfig{Headers: map[string]proxy.StringMatch{}}
			for _, h := range m.Headers {
				if h.Type != nil && *h.Type != gwv1.HeaderMatchExact {
					return nil, fmt.Errorf("httproute %s rules[%d].matches[%d]: got a %s header match, expected Exact", r.Name, i, j, *h.Type)
				}
				mc.Headers[string(h.Name)] = proxy.Exact(h.Value)
			}
			rc.Match = []proxy.MatchConfig{mc}
			entries = append(entries, entry{route: rc, headers: len(m.Headers)})
		}
	}
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].headers > entries[b].headers })
	out := make([]proxy.RouteConfig, len(entries))
	for i, e := range entries {
		out[i] = e.route
	}
	return out, nil
}
