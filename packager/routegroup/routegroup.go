// Package routegroup reads route-group files: which sandbox each tenant's requests to each
// service reach, for tenants whose feature spans several services (tenant feature-x: svc-a to
// one sandbox, svc-b to another). It only builds the model (tenant -> service -> backend),
// validated and in a stable order; renderers such as istiores.GroupRoutes turn it into mesh
// resources, so another API (e.g. Gateway API HTTPRoutes) can reuse the same files.
//
// A file, in YAML (or JSON):
//
//	namespace: shop                 # optional: namespace of every generated object
//	header: x-laneway-tenant        # optional: tenantroute's tenantHeader
//	gateways: [istio-system/edge]   # optional: bind to gateways instead of the mesh's sidecars
//	services:                       # optional: settings of a baseline service
//	- name: svc-b                   #   the baseline service host
//	  port: 8080                    #   destination port of every route
//	  subsetLabel: laneway.dev/tenant   # pod label whose value is the tenant (needed by subset backends)
//	  baselineLabels: {version: v1} #   pod labels of the baseline subset (needed by subset backends)
//	  objectName: svc-b-laneway     #   name of the generated objects (default <service>-laneway)
//	  mirrors:                      #   copies of the baseline's requests (e.g. to a candidate)
//	  - host: svc-b-candidate       #     the mirror's service host
//	    percent: 10                 #     share of requests copied, 0-100 (default 100)
//	tenants:                        # optional when a service has mirrors (compare: mirrors alone, no sandbox)
//	- name: feature-x               # the tenant (a DNS label, as tenantroute accepts)
//	  routes:
//	  - service: svc-a              # baseline service host
//	    host: svc-a-feature-x       # the sandbox is its own Service ...
//	  - service: svc-b
//	    subset: feature-x           # ... or a subset of the baseline's pods (labelled subsetLabel=<tenant>)
package routegroup

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// File is the document as written; Parse validates it into a Group.
type File struct {
	Namespace string         `json:"namespace,omitempty"`
	Header    string         `json:"header,omitempty"`
	Gateways  []string       `json:"gateways,omitempty"`
	Services  []ServiceEntry `json:"services,omitempty"`
	Tenants   []TenantEntry  `json:"tenants"`
}

// ServiceEntry holds the settings of one baseline service.
type ServiceEntry struct {
	Name           string            `json:"name"`
	Port           uint32            `json:"port,omitempty"`
	SubsetLabel    string            `json:"subsetLabel,omitempty"`
	BaselineLabels map[string]string `json:"baselineLabels,omitempty"`
	ObjectName     string            `json:"objectName,omitempty"`
	Mirrors        []MirrorEntry     `json:"mirrors,omitempty"`
}

// MirrorEntry copies a share of a baseline service's requests to another service.
type MirrorEntry struct {
	Host    string `json:"host"`
	Percent *int32 `json:"percent,omitempty"`
}

// TenantEntry lists where one tenant's requests to each service go.
type TenantEntry struct {
	Name   string       `json:"name"`
	Routes []RouteEntry `json:"routes"`
}

// RouteEntry sends one tenant's requests for Service to a sandbox Host or Subset.
type RouteEntry struct {
	Service string `json:"service"`
	Host    string `json:"host,omitempty"`
	Subset  string `json:"subset,omitempty"`
}

// Group is a validated route group: per baseline service, its settings and its backends.
type Group struct {
	Namespace string
	Header    string
	Gateways  []string
	// Services are sorted by name.
	Services []Service
}

// Service is one baseline service and the sandbox of each tenant routed away from it.
type Service struct {
	Name           string
	Port           uint32
	SubsetLabel    string
	BaselineLabels map[string]string
	ObjectName     string
	// Mirrors receive copies of the requests that reach the baseline.
	Mirrors []Mirror
	// Backends are in the order the tenants appear in the file.
	Backends []Backend
}

// Mirror copies Percent (0-100) of the baseline's requests to Host.
type Mirror struct {
	Host    string
	Percent int32
}

// Backend is where one tenant's requests for a service go: Host, or Subset of the service.
type Backend struct {
	Tenant string
	Host   string
	Subset string
}

var (
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubname = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// fields lists each object's fields for the unknown-field hint.
const (
	topFields     = "namespace, header, gateways, services, tenants"
	serviceFields = "name, port, subsetLabel, baselineLabels, objectName, mirrors"
	tenantFields  = "name, routes"
	routeFields   = "service, host, subset"
	mirrorFields  = "host, percent"
)

// Parse decodes a route-group file strictly (unknown fields and duplicate keys are errors) and
// validates it; every error names the field, what was received and what is expected.
func Parse(data []byte) (Group, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Group{}, errors.New("route group: got an empty file, expected a YAML document with a tenants list (see `laneway routes --help`)")
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return Group{}, decodeError(err)
	}
	return f.Validate()
}

// decodeError turns the YAML/JSON decoder's message into one that says what is allowed.
func decodeError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "error unmarshaling JSON: ")
	msg = strings.TrimPrefix(msg, "while decoding JSON: ")
	if i := strings.Index(msg, `json: unknown field "`); i >= 0 {
		name := strings.TrimSuffix(msg[i+len(`json: unknown field "`):], `"`)
		return fmt.Errorf("route group: unknown field %q: expected only the fields of each level (top: %s; services[]: %s; services[].mirrors[]: %s; tenants[]: %s; tenants[].routes[]: %s)",
			name, topFields, serviceFields, mirrorFields, tenantFields, routeFields)
	}
	if strings.Contains(msg, "cannot unmarshal") {
		return fmt.Errorf("route group: %s: expected the shape shown by `laneway routes --help` (tenants is a list of {name, routes}; routes a list of {service, host | subset})", msg)
	}
	return fmt.Errorf("route group: %s: expected a YAML document with a tenants list", msg)
}

// Validate checks the file and returns its group.
func (f File) Validate() (Group, error) {
	g := Group{Namespace: f.Namespace, Header: f.Header, Gateways: f.Gateways}
	if f.Namespace != "" && (!dnsLabel.MatchString(f.Namespace) || len(f.Namespace) > 63) {
		return Group{}, fmt.Errorf("namespace: got %q, expected a DNS label (lower-case letters, digits, '-', at most 63)", f.Namespace)
	}
	byName := map[string]*Service{}
	var order []string
	add := func(name string) *Service {
		if s, ok := byName[name]; ok {
			return s
		}
		s := &Service{Name: name}
		byName[name] = s
		order = append(order, name)
		return s
	}
	for i, se := range f.Services {
		p := fmt.Sprintf("services[%d]", i)
		if err := checkHost(p+".name", se.Name, "the baseline service host, e.g. svc-b or svc-b.shop.svc.cluster.local"); err != nil {
			return Group{}, err
		}
		if _, dup := byName[se.Name]; dup {
			return Group{}, fmt.Errorf("%s.name: got %q a second time, expected each service once in services (merge the two entries)", p, se.Name)
		}
		s := add(se.Name)
		s.Port, s.SubsetLabel, s.BaselineLabels, s.ObjectName = se.Port, se.SubsetLabel, se.BaselineLabels, se.ObjectName
		if se.ObjectName != "" && (!dnsSubname.MatchString(se.ObjectName) || len(se.ObjectName) > 253) {
			return Group{}, fmt.Errorf("%s.objectName: got %q, expected a Kubernetes object name (lower-case DNS subdomain)", p, se.ObjectName)
		}
		mirrorAt := map[string]int{}
		for j, me := range se.Mirrors {
			mp := fmt.Sprintf("%s.mirrors[%d]", p, j)
			if err := checkHost(mp+".host", me.Host, "the mirror's service host, e.g. "+shortName(se.Name)+"-candidate"); err != nil {
				return Group{}, err
			}
			if me.Host == se.Name {
				return Group{}, fmt.Errorf("%s.host: got %q, the baseline service itself; expected another service (a mirror to itself would double every request)", mp, me.Host)
			}
			if k, dup := mirrorAt[me.Host]; dup {
				return Group{}, fmt.Errorf("%s.host: got %q, already %s.mirrors[%d]; expected each mirror host once", mp, me.Host, p, k)
			}
			mirrorAt[me.Host] = j
			m := Mirror{Host: me.Host, Percent: 100}
			if me.Percent != nil {
				if *me.Percent < 0 || *me.Percent > 100 {
					return Group{}, fmt.Errorf("%s.percent: got %d, expected 0 to 100 (the share of requests copied)", mp, *me.Percent)
				}
				m.Percent = *me.Percent
			}
			s.Mirrors = append(s.Mirrors, m)
		}
	}
	mirrored := false
	for _, se := range f.Services {
		mirrored = mirrored || len(se.Mirrors) > 0
	}
	if len(f.Tenants) == 0 && !mirrored {
		return Group{}, errors.New("tenants: got none and no services[].mirrors, expected at least one tenant with its routes, e.g. tenants: [{name: feature-x, routes: [{service: svc-b, host: svc-b-feature-x}]}], or a service that mirrors its baseline, e.g. services: [{name: svc-b, mirrors: [{host: svc-b-candidate}]}]")
	}
	tenantAt := map[string]int{}
	for i, te := range f.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		if !dnsLabel.MatchString(te.Name) || len(te.Name) > 63 {
			return Group{}, fmt.Errorf("%s.name: got %q, expected a DNS label (lower-case letters, digits, '-', at most 63 characters), the form tenantroute accepts", p, te.Name)
		}
		if j, dup := tenantAt[te.Name]; dup {
			return Group{}, fmt.Errorf("%s.name: got %q, already tenants[%d]; expected each tenant once, with all its routes in one entry", p, te.Name, j)
		}
		tenantAt[te.Name] = i
		if len(te.Routes) == 0 {
			return Group{}, fmt.Errorf("%s.routes: got none for tenant %s, expected at least one {service, host | subset}", p, te.Name)
		}
		seen := map[string]int{}
		for j, r := range te.Routes {
			rp := fmt.Sprintf("%s.routes[%d]", p, j)
			if err := checkHost(rp+".service", r.Service, "the baseline service host, e.g. svc-b"); err != nil {
				return Group{}, err
			}
			b := Backend{Tenant: te.Name, Host: r.Host, Subset: r.Subset}
			switch {
			case r.Host != "" && r.Subset != "":
				return Group{}, fmt.Errorf("%s: got host %q and subset %q, expected one of them: the sandbox is its own Service (host) or a subset of %s's pods (subset)", rp, r.Host, r.Subset, r.Service)
			case r.Host == "" && r.Subset == "":
				return Group{}, fmt.Errorf("%s: got neither host nor subset for service %s, expected host: <sandbox service> or subset: <subset name>", rp, r.Service)
			case r.Host != "":
				if err := checkHost(rp+".host", r.Host, "the sandbox's service host, e.g. "+shortName(r.Service)+"-"+te.Name); err != nil {
					return Group{}, err
				}
				if r.Host == r.Service {
					return Group{}, fmt.Errorf("%s.host: got %q, the baseline service itself; expected the sandbox's own service (or subset: for a subset of its pods)", rp, r.Host)
				}
			default:
				if !dnsLabel.MatchString(r.Subset) || len(r.Subset) > 63 {
					return Group{}, fmt.Errorf("%s.subset: got %q, expected a DNS label (Istio's rule for subset names)", rp, r.Subset)
				}
			}
			if k, dup := seen[r.Service]; dup {
				prev := te.Routes[k]
				if prev.Host == r.Host && prev.Subset == r.Subset {
					return Group{}, fmt.Errorf("%s: got service %s again for tenant %s (already %s.routes[%d]); expected each service once per tenant", rp, r.Service, te.Name, p, k)
				}
				return Group{}, fmt.Errorf("%s: conflicting sandboxes for tenant %s and service %s: %s here, %s at %s.routes[%d]; expected one sandbox per tenant and service",
					rp, te.Name, r.Service, describe(b), describe(Backend{Host: prev.Host, Subset: prev.Subset}), p, k)
			}
			seen[r.Service] = j
			s := add(r.Service)
			s.Backends = append(s.Backends, b)
		}
	}
	for _, name := range order {
		s := byName[name]
		if len(s.Backends) == 0 && len(s.Mirrors) == 0 {
			return Group{}, fmt.Errorf("services: got settings for %s, but no tenant routes it and it has no mirrors; expected a tenants[].routes[] entry with service: %s, or mirrors: (or remove its settings)", name, name)
		}
		for _, b := range s.Backends {
			if b.Subset != "" && s.SubsetLabel == "" {
				return Group{}, fmt.Errorf("tenant %s routes %s to subset %q, but services has no subsetLabel for %s; expected a services entry {name: %s, subsetLabel: <pod label key whose value is the tenant>, baselineLabels: {...}}",
					b.Tenant, name, b.Subset, name, name)
			}
		}
		g.Services = append(g.Services, *s)
	}
	sort.Slice(g.Services, func(i, j int) bool { return g.Services[i].Name < g.Services[j].Name })
	return g, nil
}

func checkHost(field, v, want string) error {
	if v == "" || !dnsSubname.MatchString(v) || len(v) > 253 {
		return fmt.Errorf("%s: got %q, expected %s", field, v, want)
	}
	return nil
}

func describe(b Backend) string {
	if b.Host != "" {
		return "host " + b.Host
	}
	return "subset " + b.Subset
}

func shortName(host string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}
