package istiores

import (
	"fmt"
	"sort"

	netv1alpha3 "istio.io/api/networking/v1alpha3"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultTenantHeader is the header tenantroute writes and VirtualServices match.
const DefaultTenantHeader = "x-laneway-tenant"

// BaselineSubset names the DestinationRule subset of the baseline workload.
const BaselineSubset = "baseline"

// Sandbox is where one tenant's requests go: another host, or a subset of the service.
type Sandbox struct {
	Tenant string
	// Host is the sandbox's Service host; empty means Subset of the baseline service.
	Host string
	// Subset is the DestinationRule subset for the tenant (used when Host is empty).
	Subset string
}

// RouteOptions describe tenant routing for one service.
type RouteOptions struct {
	// Service is the baseline host (short name, FQDN or ServiceEntry host).
	Service   string
	Namespace string
	// Name of the generated objects; default "<service>-laneway".
	Name string
	// Header carrying the tenant; default x-laneway-tenant.
	Header    string
	Sandboxes []Sandbox
	// Port, when set, is the destination port of every route.
	Port uint32
	// Gateways binds the VirtualService to gateways; empty means the mesh (sidecars).
	Gateways []string
	// SubsetLabel is the pod label key whose value is the tenant, for subset sandboxes.
	SubsetLabel string
	// BaselineLabels select the baseline pods; when set, baseline traffic goes to subset "baseline".
	BaselineLabels map[string]string
	// Mirrors receive copies of the requests the baseline route sends (tenant requests are not copied).
	Mirrors []Mirror
}

// Mirror copies Percent (0-100) of the baseline route's requests to Host.
type Mirror struct {
	Host    string
	Percent int32
}

// Routes returns a VirtualService sending requests whose tenant header equals a
// sandbox's tenant to that sandbox and everything else to the baseline, plus a
// DestinationRule when subsets are used (nil otherwise). Without sandboxes, mirrors alone
// make a VirtualService whose only rule is the baseline route with its mirrors (compare).
func Routes(o RouteOptions) (*clientnet.VirtualService, *clientnet.DestinationRule, error) {
	if o.Service == "" || !dnsSubname.MatchString(o.Service) {
		return nil, nil, fieldError("service", "got %q, expected the baseline service host, e.g. svc-b or svc-b.team.svc.cluster.local", o.Service)
	}
	if o.Namespace != "" && !dnsLabel.MatchString(o.Namespace) {
		return nil, nil, fieldError("namespace", "got %q, expected a DNS label", o.Namespace)
	}
	if o.Header == "" {
		o.Header = DefaultTenantHeader
	}
	if !headerName.MatchString(o.Header) {
		return nil, nil, fieldError("header", "got %q, expected a lower-case HTTP header name", o.Header)
	}
	if o.Name == "" {
		o.Name = shortName(o.Service) + "-laneway"
	}
	if len(o.Sandboxes) == 0 && len(o.Mirrors) == 0 {
		return nil, nil, fieldError("tenants", "got none and no mirror, expected at least one --tenant with its --sandbox-host (or --subset-label), or a --mirror (e.g. to a candidate and a secondary, to compare them)")
	}
	dest := func(host, subset string) *netv1alpha3.Destination {
		d := &netv1alpha3.Destination{Host: host, Subset: subset}
		if o.Port != 0 {
			d.Port = &netv1alpha3.PortSelector{Number: o.Port}
		}
		return d
	}
	if o.SubsetLabel != "" {
		if err := checkLabelKey("subset label", o.SubsetLabel); err != nil {
			return nil, nil, err
		}
	}
	if err := checkLabels("baselineLabels", o.BaselineLabels); err != nil {
		return nil, nil, err
	}
	vs := netv1alpha3.VirtualService{Hosts: []string{o.Service}, Gateways: o.Gateways}
	var subsets []*netv1alpha3.Subset
	seen, seenSubset := map[string]bool{}, map[string]string{}
	for _, sb := range o.Sandboxes {
		if !dnsLabel.MatchString(sb.Tenant) || len(sb.Tenant) > 63 {
			return nil, nil, fieldError("tenant", "got %q, expected a DNS label (lower-case letters, digits, '-', at most 63 characters), the form tenantroute accepts", sb.Tenant)
		}
		if seen[sb.Tenant] {
			return nil, nil, fieldError("tenant", "got %q twice, expected each tenant once", sb.Tenant)
		}
		seen[sb.Tenant] = true
		var d *netv1alpha3.Destination
		switch {
		case sb.Host != "":
			if !dnsSubname.MatchString(sb.Host) {
				return nil, nil, fmt.Errorf("sandbox host for tenant %s: got %q, expected a service host", sb.Tenant, sb.Host)
			}
			if sb.Host == o.Service {
				return nil, nil, fmt.Errorf("sandbox host for tenant %s: got %q, the baseline service itself; expected the sandbox's own service (or use --subset-label)", sb.Tenant, sb.Host)
			}
			d = dest(sb.Host, "")
		case o.SubsetLabel != "":
			subset := sb.Subset
			if subset == "" {
				subset = sb.Tenant
			}
			switch {
			case !dnsLabel.MatchString(subset) || len(subset) > 63:
				return nil, nil, fmt.Errorf("subset for tenant %s: got %q, expected a DNS label (Istio's rule for subset names)", sb.Tenant, subset)
			case subset == BaselineSubset:
				return nil, nil, fmt.Errorf("subset for tenant %s: got %q, the name of the baseline subset; Istio rejects a DestinationRule with two subsets of one name: expected another tenant name, or --sandbox-host for it", sb.Tenant, subset)
			case seenSubset[subset] != "":
				return nil, nil, fmt.Errorf("subset for tenant %s: got %q, already the subset of tenant %s; expected one subset per tenant", sb.Tenant, subset, seenSubset[subset])
			}
			seenSubset[subset] = sb.Tenant
			d = dest(o.Service, subset)
			subsets = append(subsets, &netv1alpha3.Subset{Name: subset, Labels: map[string]string{o.SubsetLabel: sb.Tenant}})
		default:
			return nil, nil, fmt.Errorf("tenant %s: got no sandbox host, expected --sandbox-host for it or --subset-label to route to a subset of %s", sb.Tenant, o.Service)
		}
		vs.Http = append(vs.Http, &netv1alpha3.HTTPRoute{
			Name: "tenant-" + sb.Tenant,
			Match: []*netv1alpha3.HTTPMatchRequest{{
				Headers: map[string]*netv1alpha3.StringMatch{o.Header: {MatchType: &netv1alpha3.StringMatch_Exact{Exact: sb.Tenant}}},
			}},
			Route: []*netv1alpha3.HTTPRouteDestination{{Destination: d}},
		})
	}
	baseline := ""
	if len(o.BaselineLabels) > 0 {
		baseline = BaselineSubset
		subsets = append([]*netv1alpha3.Subset{{Name: BaselineSubset, Labels: o.BaselineLabels}}, subsets...)
	} else if len(subsets) > 0 {
		return nil, nil, fieldError("baselineLabels", "got none, expected --baseline-label (e.g. version=v1) when sandboxes are subsets; without it the baseline route would also reach sandbox pods")
	}
	mirrors, err := checkMirrors(o.Service, o.Mirrors)
	if err != nil {
		return nil, nil, err
	}
	base := &netv1alpha3.HTTPRoute{
		Name:  BaselineSubset,
		Route: []*netv1alpha3.HTTPRouteDestination{{Destination: dest(o.Service, baseline)}},
	}
	for _, m := range mirrors {
		base.Mirrors = append(base.Mirrors, &netv1alpha3.HTTPMirrorPolicy{
			Destination: dest(m.Host, ""),
			Percentage:  &netv1alpha3.Percent{Value: float64(m.Percent)},
		})
	}
	vs.Http = append(vs.Http, base)
	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "laneway"}}
	outVS := &clientnet.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: meta,
		Spec:       *vs.DeepCopy(),
	}
	if len(subsets) == 0 {
		return outVS, nil, nil
	}
	sort.SliceStable(subsets[1:], func(i, j int) bool { return subsets[1+i].Name < subsets[1+j].Name })
	dr := netv1alpha3.DestinationRule{Host: o.Service, Subsets: subsets}
	return outVS, &clientnet.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
		ObjectMeta: *meta.DeepCopy(),
		Spec:       *dr.DeepCopy(),
	}, nil
}

func shortName(host string) string {
	for i := 0; i < len(host); i++ {
		if host[i] == '.' {
			return host[:i]
		}
	}
	return host
}

// checkMirrors validates mirror targets the way a route-group file is validated.
func checkMirrors(service string, ms []Mirror) ([]Mirror, error) {
	seen := map[string]bool{}
	for _, m := range ms {
		switch {
		case !dnsSubname.MatchString(m.Host) || len(m.Host) > 253:
			return nil, fmt.Errorf("mirror: got %q, expected the mirror's service host, e.g. %s-candidate", m.Host, shortName(service))
		case m.Host == service:
			return nil, fmt.Errorf("mirror: got %q, the baseline service itself; expected another service", m.Host)
		case seen[m.Host]:
			return nil, fmt.Errorf("mirror: got %q twice, expected each mirror host once", m.Host)
		case m.Percent < 0 || m.Percent > 100:
			return nil, fmt.Errorf("mirror percent for %s: got %d, expected 0 to 100", m.Host, m.Percent)
		}
		seen[m.Host] = true
	}
	return ms, nil
}
