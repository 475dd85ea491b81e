package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/gatewayres"
	"github.com/laneway/laneway/packager/istiores"
	"github.com/laneway/laneway/packager/routegroup"
)

// routesFlags names the flag that sets each routing option, for error messages.
var routesFlags = map[string]string{
	"service": "--service", "namespace": "--namespace", "header": "--header", "tenant": "--tenant",
	"tenants": "--tenant", "baselineLabels": "--baseline-label",
}

type routesOptions struct {
	formatOptions
	service, namespace, name, header string
	tenants, sandboxHosts, gateways  []string
	subsetLabel                      string
	baselineLabels                   []string
	port                             uint32
	file                             string
	api                              string
	parentGateways, mirrors          []string
	mirrorPercents                   []int32
	// route is what the per-service flags say, set by validate.
	route istiores.RouteOptions
}

func newRoutesCommand(s Streams) *cobra.Command {
	o := routesOptions{formatOptions: formats("yaml", "json")}
	cmd := &cobra.Command{
		Use:   "routes (--service SVC --tenant TENANT (--sandbox-host HOST | --subset-label KEY --baseline-label K=V) | -f GROUPS.yaml)",
		Short: "Write the VirtualServices (and DestinationRules) that send each tenant to its sandbox",
		Long: `Routes writes a VirtualService for SVC whose first routes match the tenant header written by
tenantroute (x-laneway-tenant, exact match) and send that tenant to its sandbox; the last route
sends everything else to the baseline. Apply it where the caller's sidecars (or a gateway, with
--gateway) can see it: routing happens on the caller's side.

A sandbox is either its own Service (--sandbox-host, one per --tenant, in the same order) or a
subset of SVC's pods labelled KEY=TENANT (--subset-label KEY); subsets also produce a
DestinationRule, and need --baseline-label so the baseline route excludes sandbox pods.

With -f, a route-group file says where each tenant's requests go for several services at once
(a feature spanning services: tenant feature-x sends svc-a to one sandbox, svc-b to another);
routes writes every service's VirtualService (and DestinationRule), the same objects the flags
above write for that service alone. The file (YAML or JSON; unknown fields are errors):

  namespace: shop                   # optional, like -n
  header: x-laneway-tenant          # optional, like --header
  gateways: [istio-system/edge]     # optional, like --gateway
  services:                         # optional settings per baseline service
  - name: svc-b
    port: 8080                      # like --port
    subsetLabel: laneway.dev/tenant # like --subset-label (needed by subset routes)
    baselineLabels: {version: v1}   # like --baseline-label (needed by subset routes)
    objectName: svc-b-laneway       # like --name
  tenants:
  - name: feature-x
    routes:
    - service: svc-a
      host: svc-a-feature-x         # the sandbox is its own Service ...
    - service: svc-b
      subset: feature-x             # ... or a subset of svc-b's pods (subsetLabel=feature-x)

A service's entry may also mirror its baseline's requests (--mirror/--mirror-percent with flags):

    mirrors: [{host: svc-b-candidate, percent: 10}]   # percent defaults to 100

Mirrors need no tenant: to compare a candidate with the live version (laneway compare), mirror
a service to a candidate and a secondary with --mirror alone (or a services entry with mirrors
and no tenants in the file); the only rule is then the baseline route carrying the mirrors.
Without a tenant and without a mirror there is nothing to write, and routes says so.

With --api gateway, routes writes Gateway API HTTPRoutes (gateway.networking.k8s.io/v1) instead, the
routing API of Istio's ambient mode: one per service, bound to the Service itself (GAMMA: the
service's waypoint applies it, so label the service istio.io/use-waypoint) or, with --parent-gateway
(gateways: in the file), to Gateways. Tenant rules match the tenant header exactly and send to the
sandbox Service; the last rule sends to the baseline and carries the mirrors as RequestMirror filters.
Gateway API needs the port of every Service backend (--port, port: in the file), and its backends are
Services, so subset sandboxes are refused: give each sandbox a Service of its own. A backend in another
namespace also needs a ReferenceGrant there.

Output is what 'kubectl apply -f' takes, in the same shape whatever the flags: YAML is one
document per object separated by '---'; JSON is one "v1" List whose items are the objects.`,
		Example: `  # Send tenant sbx-1 to the svc-b-sbx-1 service, everything else to svc-b
  laneway routes --service svc-b --tenant sbx-1 --sandbox-host svc-b-sbx-1 -n shop

  # Two tenants as subsets of svc-b's pods (label laneway.dev/tenant), baseline is version=v1
  laneway routes --service svc-b --tenant sbx-1 --tenant sbx-2 \
    --subset-label laneway.dev/tenant --baseline-label version=v1 -n shop

  # Every service of a route-group file
  laneway routes -f packager/examples/route-groups.yaml

  # Ambient mode: an HTTPRoute bound to the svc-b Service (its waypoint applies it), mirroring
  # 10% of the baseline's requests to svc-b-candidate
  laneway routes --api gateway --service svc-b --port 8080 --tenant sbx-1 --sandbox-host svc-b-sbx-1 \
    --mirror svc-b-candidate --mirror-percent 10 -n shop

  # Compare: mirror every orders request to a candidate and a secondary, no sandbox
  laneway routes --service orders --port 8080 --mirror orders-candidate --mirror orders-secondary -n shop

  # The same route-group file as HTTPRoutes (each service needs its port in the file)
  laneway routes --api gateway -f groups.yaml`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runRoutes(s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o)
}

func (o *routesOptions) applyFlags(fl *pflag.FlagSet) {
	fl.StringVar(&o.service, "service", "", "baseline service host (e.g. svc-b or svc-b.shop.svc.cluster.local)")
	fl.StringVarP(&o.namespace, "namespace", "n", "", "namespace of the generated objects")
	fl.StringVar(&o.name, "name", "", "name of the generated objects (default: <service>-laneway)")
	fl.StringVar(&o.header, "header", istiores.DefaultTenantHeader, "header carrying the tenant (tenantroute's tenantHeader)")
	fl.StringArrayVar(&o.tenants, "tenant", nil, "tenant to route to a sandbox (repeatable)")
	fl.StringArrayVar(&o.sandboxHosts, "sandbox-host", nil, "sandbox service host for the tenant at the same position (repeatable)")
	fl.StringVar(&o.subsetLabel, "subset-label", "", "pod label key whose value is the tenant: route to subsets of --service instead of other hosts")
	fl.StringArrayVar(&o.baselineLabels, "baseline-label", nil, "pod label KEY=VALUE of the baseline subset (repeatable; required with --subset-label)")
	fl.StringArrayVar(&o.gateways, "gateway", nil, "bind to these gateways (default: the mesh's sidecars)")
	fl.Uint32Var(&o.port, "port", 0, "destination port (default: the service's only port)")
	fl.StringVarP(&o.file, "file", "f", "", "route-group file: tenants and, per tenant, each service's sandbox (instead of the per-service flags)")
	fl.StringVar(&o.api, "api", apiIstio, "routing API to write: istio (VirtualService, DestinationRule) or gateway (Gateway API HTTPRoute, for ambient mode)")
	fl.StringArrayVar(&o.parentGateways, "parent-gateway", nil, "with --api gateway: attach the HTTPRoute to this Gateway, [NAMESPACE/]NAME (repeatable; default: the Service itself, GAMMA)")
	fl.StringArrayVar(&o.mirrors, "mirror", nil, "service host that receives a copy of the baseline's requests (repeatable)")
	fl.Int32SliceVar(&o.mirrorPercents, "mirror-percent", nil, "percent (0-100) of requests copied to the --mirror at the same position (default 100)")
	fl.Lookup("mirror-percent").DefValue = "" // an empty list: no "(default [])" in the help
}

// validate checks the flags and turns the per-service ones into the route options.
func (o *routesOptions) validate(cmd *cobra.Command, _ []string) error {
	if err := o.checkAPI(cmd); err != nil {
		return err
	}
	if o.file != "" {
		for _, f := range perServiceFlags {
			if cmd.Flags().Changed(f) {
				return fmt.Errorf("--%s: got it with -f %s, expected either a route-group file or the per-service flags; move the setting into the file (see `laneway routes --help`)", f, o.file)
			}
		}
		return nil
	}
	o.route = istiores.RouteOptions{
		Service: o.service, Namespace: o.namespace, Name: o.name, Header: o.header,
		Port: o.port, Gateways: o.gateways, SubsetLabel: o.subsetLabel,
	}
	if len(o.sandboxHosts) > 0 && len(o.sandboxHosts) != len(o.tenants) {
		return fmt.Errorf("--sandbox-host: got %d for %d --tenant, expected one per tenant in the same order", len(o.sandboxHosts), len(o.tenants))
	}
	if len(o.sandboxHosts) > 0 && o.subsetLabel != "" {
		return fmt.Errorf("--sandbox-host and --subset-label: got both, expected one way to reach sandboxes")
	}
	for i, t := range o.tenants {
		sb := istiores.Sandbox{Tenant: t}
		if len(o.sandboxHosts) > 0 {
			sb.Host = o.sandboxHosts[i]
		}
		o.route.Sandboxes = append(o.route.Sandboxes, sb)
	}
	var err error
	if o.route.BaselineLabels, err = parseKeyValues("--baseline-label", o.baselineLabels); err != nil {
		return err
	}
	if len(o.mirrorPercents) > 0 && len(o.mirrorPercents) != len(o.mirrors) {
		return fmt.Errorf("--mirror-percent: got %d for %d --mirror, expected one per mirror in the same order (or none: 100 each)", len(o.mirrorPercents), len(o.mirrors))
	}
	for i, m := range o.mirrors {
		mi := istiores.Mirror{Host: m, Percent: 100}
		if len(o.mirrorPercents) > 0 {
			mi.Percent = o.mirrorPercents[i]
		}
		o.route.Mirrors = append(o.route.Mirrors, mi)
	}
	return nil
}

// runRoutes writes the routing resources of the route-group file, or of the one service the flags name.
func runRoutes(s Streams, o *routesOptions) error {
	p := newPrinter(s, o.format)
	objs, err := o.objects()
	if err != nil {
		return err
	}
	return p.resources(alwaysList, objs...)
}

// objects returns the resources to write, in the API chosen.
func (o *routesOptions) objects() ([]any, error) {
	if o.file != "" {
		return o.fromFile()
	}
	if o.api == apiGateway {
		gro, err := o.gatewayOptions(o.route)
		if err != nil {
			return nil, err
		}
		r, err := gatewayres.HTTPRoute(gro)
		if err != nil {
			return nil, err
		}
		return []any{r}, nil
	}
	vs, dr, err := istiores.Routes(o.route)
	if err != nil {
		return nil, istiores.RenameField(err, routesFlags)
	}
	objs := []any{vs}
	if dr != nil {
		objs = append(objs, dr)
	}
	return objs, nil
}

// perServiceFlags are the flags -f replaces.
var perServiceFlags = []string{"service", "namespace", "name", "header", "tenant", "sandbox-host", "subset-label", "baseline-label", "gateway", "port", "parent-gateway", "mirror", "mirror-percent"}

// The routing APIs routes can write.
const (
	apiIstio   = "istio"
	apiGateway = "gateway"
)

// checkAPI refuses flags that belong to the other API.
func (o *routesOptions) checkAPI(cmd *cobra.Command) error {
	switch o.api {
	case apiIstio:
		if len(o.parentGateways) > 0 {
			return fmt.Errorf("--parent-gateway: got it with --api istio, expected --api gateway (a VirtualService binds to gateways with --gateway)")
		}
	case apiGateway:
		if cmd.Flags().Changed("gateway") {
			return fmt.Errorf("--gateway: got it with --api gateway, expected --parent-gateway [NAMESPACE/]NAME (an HTTPRoute attaches to Gateways through parentRefs)")
		}
	default:
		return fmt.Errorf("--api: got %q, expected istio (VirtualService/DestinationRule, sidecars) or gateway (HTTPRoute, ambient mode and Gateway API gateways)", o.api)
	}
	return nil
}

// gatewayOptions converts the flags' route options for the Gateway API rendering.
func (o *routesOptions) gatewayOptions(ro istiores.RouteOptions) (gatewayres.RouteOptions, error) {
	g := gatewayres.RouteOptions{
		Service: ro.Service, Namespace: ro.Namespace, Name: ro.Name, Header: ro.Header, Port: ro.Port,
		SubsetLabel: ro.SubsetLabel, BaselineLabels: ro.BaselineLabels,
	}
	for _, sb := range ro.Sandboxes {
		g.Backends = append(g.Backends, gatewayres.Backend{Tenant: sb.Tenant, Host: sb.Host, Subset: sb.Subset})
	}
	for _, m := range ro.Mirrors {
		g.Mirrors = append(g.Mirrors, gatewayres.Mirror{Host: m.Host, Percent: m.Percent})
	}
	for _, pg := range o.parentGateways {
		gw, err := gatewayres.ParseGateway(pg)
		if err != nil {
			return g, fmt.Errorf("--parent-gateway: %w", err)
		}
		g.Gateways = append(g.Gateways, gw)
	}
	return g, nil
}

// fromFile returns the resources of every service of the route-group file.
func (o *routesOptions) fromFile() ([]any, error) {
	data, err := os.ReadFile(o.file)
	if err != nil {
		return nil, fmt.Errorf("-f: %w; expected a route-group file (see `laneway routes --help`)", err)
	}
	g, err := routegroup.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.file, err)
	}
	var objs []any
	if o.api == apiGateway {
		objs, err = gatewayres.GroupRoutes(g)
	} else {
		objs, err = istiores.GroupRoutes(g)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.file, err)
	}
	return objs, nil
}
