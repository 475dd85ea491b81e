package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/laneway/laneway/packager/istiores"
)

type routesOptions struct {
	formatOptions
	service, namespace, name, header string
	tenants, sandboxHosts, gateways  []string
	subsetLabel                      string
	baselineLabels                   []string
	port                             uint32
}

func newRoutesCommand(s Streams) *cobra.Command {
	var o routesOptions
	cmd := &cobra.Command{
		Use:   "routes --service SVC --tenant TENANT (--sandbox-host HOST | --subset-label KEY --baseline-label K=V)",
		Short: "Write the VirtualService (and DestinationRule) that send each tenant to its sandbox",
		Long: `Routes writes a VirtualService for SVC whose first routes match the tenant header written by
tenantroute (x-laneway-tenant, exact match) and send that tenant to its sandbox; the last route
sends everything else to the baseline. Apply it where the caller's sidecars (or a gateway, with
--gateway) can see it: routing happens on the caller's side.

A sandbox is either its own Service (--sandbox-host, one per --tenant, in the same order) or a
subset of SVC's pods labelled KEY=TENANT (--subset-label KEY); subsets also produce a
DestinationRule, and need --baseline-label so the baseline route excludes sandbox pods.`,
		Example: `  # Send tenant sbx-1 to the svc-b-sbx-1 service, everything else to svc-b
  laneway routes --service svc-b --tenant sbx-1 --sandbox-host svc-b-sbx-1 -n shop

  # Two tenants as subsets of svc-b's pods (label laneway.dev/tenant), baseline is version=v1
  laneway routes --service svc-b --tenant sbx-1 --tenant sbx-2 \
    --subset-label laneway.dev/tenant --baseline-label version=v1 -n shop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			ro := istiores.RouteOptions{
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
				ro.Sandboxes = append(ro.Sandboxes, sb)
			}
			var err error
			if ro.BaselineLabels, err = parseKeyValues("--baseline-label", o.baselineLabels); err != nil {
				return err
			}
			vs, dr, err := istiores.Routes(ro)
			if err != nil {
				return err
			}
			objs := []any{vs}
			if dr != nil {
				objs = append(objs, dr)
			}
			var out []byte
			if o.format == "json" {
				out, err = istiores.ToJSON(objs...)
				out = append(out, '\n')
			} else {
				out, err = istiores.ToYAML(objs...)
			}
			if err != nil {
				return err
			}
			_, err = s.Out.Write(out)
			return err
		},
	}
	o.applyFlags(cmd, "yaml", "json")
	fl := cmd.Flags()
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
	return cmd
}
