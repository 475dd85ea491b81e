package demo

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/laneway/laneway/packager/gatewayres"
	"github.com/laneway/laneway/packager/meshroutes"
	"github.com/laneway/laneway/packager/routegroup"
	"github.com/laneway/laneway/testenv/proxy"
)

// AmbientMeshTemplate is the ambient demo's mesh configuration; ${...} are filled in by RunAmbient, and
// the routes of AmbientRoutedWaypoint come from the HTTPRoute rendering of AmbientRouteGroup.
//
//go:embed ambient-mesh.yaml
var AmbientMeshTemplate string

// AmbientRouteGroup is the route-group file whose Gateway API rendering svc-b's waypoint applies.
//
//go:embed ambient-routes.yaml
var AmbientRouteGroup string

// AmbientRoutedWaypoint is the waypoint listener whose routes are the HTTPRoute's rules.
const AmbientRoutedWaypoint = "waypoint-svc-b"

// The workload identities (SPIFFE ids) the ambient demo's ztunnels carry to the waypoints.
const (
	IngressID   = "spiffe://cluster.local/ns/istio-ingress/sa/ingress"
	SvcAID      = "spiffe://cluster.local/ns/shop/sa/svc-a"
	SvcBID      = "spiffe://cluster.local/ns/shop/sa/svc-b"
	CandidateID = "spiffe://cluster.local/ns/shop/sa/svc-b-v2"
	OutsiderID  = "spiffe://cluster.local/ns/other/sa/outsider"
)

// Entry points of the ambient demo's requests: the ingress gateway, or a workload's ztunnel.
const (
	ViaIngress  = "ingress"
	ViaOutsider = "ztunnel-outsider"
)

// AmbientScenario is a containment request of the ambient demo: a Scenario sent through Via.
type AmbientScenario struct {
	Scenario
	// Via is the listener the client enters by: ViaIngress, or ViaOutsider for a workload in
	// another namespace whose ztunnel carries OutsiderID.
	Via string
}

// DefaultAmbientScenarios are the containment requests `laneway demo --ambient` sends.
var DefaultAmbientScenarios = []AmbientScenario{
	{Scenario: DefaultScenarios[0], Via: ViaIngress},
	{Scenario: DefaultScenarios[1], Via: ViaIngress},
	{Scenario: Scenario{Label: "untrusted workload's marker", Sent: "POST from ns other, marker, no token",
		Headers: map[string]string{"x-laneway-synthetic": "1;id=forged-tx"}}, Via: ViaOutsider},
}

// AmbientOptions configure RunAmbient.
type AmbientOptions struct {
	// Root is the laneway checkout (found from the working directory when empty).
	Root string
	// Modules maps filter name to .wasm path; when nil, RunAmbient locates dist/ and builds as needed.
	Modules map[string]string
	// Requests default to DefaultRequests; Scenarios to DefaultAmbientScenarios.
	Requests  []Request
	Scenarios []AmbientScenario
	// Progress receives progress lines, Decisions the proxy's decision log (nil: discarded).
	Progress, Decisions io.Writer
	// EditMesh, when set, changes the mesh before it starts (tests break a filter or a waypoint
	// and see the verdicts fail); the result is validated again.
	EditMesh func(*proxy.Config)
}

// AmbientRow is what happened to one routing request in the ambient topology.
type AmbientRow struct {
	Row
	// Peer is the caller identity svc-b's waypoint read from io.istio.peer_principal.
	Peer string `json:"waypointPeer"`
}

// AmbientContainmentRow is what happened to one containment request in the ambient topology.
type AmbientContainmentRow struct {
	ContainmentRow
	Via string `json:"via"`
	// SvcAPeer is the caller identity svc-a's waypoint saw; ShadowLedgerPeer the identity the
	// ledger's waypoint saw on the candidate's write ("" when v2 wrote nothing).
	SvcAPeer         string `json:"svcAWaypointPeer"`
	ShadowLedgerPeer string `json:"shadowLedgerWaypointPeer,omitempty"`
	// ShadowMarked: the mirrored copy reached v2 with laneway's shadow mark.
	ShadowMarked bool `json:"shadowMarked"`
}

// Limit is something the ambient table says cannot work, what the user does instead, and what this
// run shows of it.
type Limit struct {
	Filter  string `json:"filter"`
	Cannot  string `json:"cannot"`
	Instead string `json:"instead"`
}

// AmbientLimits are the ambient table's "cannot work" entries, printed with every ambient report.
var AmbientLimits = []Limit{
	{"tenantroute", "route a service that has no waypoint (ztunnel is L4: it cannot read headers)",
		"label the service istio.io/use-waypoint, as svc-b is here"},
	{"tenantroute", "tag a sandbox's own calls with workloadTenant (a waypoint serves every caller)",
		"let the sandbox's app forward baggage (OpenTelemetry does, as svc-b@sbx-1 does here) or give it a sidecar"},
	{"tenantroute", "route to a DestinationRule subset (HTTPRoute backends are Services)",
		"give each sandbox its own Service, as svc-b-sbx-1 is here"},
	{"shadowtag", "see the mirrored copy: it goes from svc-b's waypoint straight to v2's pods, so no filter marks it (with or without the -shadow suffix)",
		"run the candidate under its own ServiceAccount and list it in detect.principals on its collaborators' waypoints, as here"},
	{"shadowtag", "protect a collaborator that has no waypoint: the candidate's writes reach it",
		"give every collaborator a waypoint (the ledger has one here), or run the candidate with a sidecar"},
	{"synthetic", "refuse a write to a service that has no waypoint",
		"give it a waypoint (the ledger has one here)"},
	{"synthetic", "trust a marker by the connection's certificate (a waypoint's filters run on an internal listener)",
		"list every caller on synthetic paths in trust.principals (the ingress, svc-a and svc-b here)"},
}

// AmbientReport is the ambient demo's result.
type AmbientReport struct {
	// Routes names the HTTPRoute svc-b's waypoint applies and its rules, in match order.
	Routes      []string                `json:"httpRouteRules"`
	Rows        []AmbientRow            `json:"requests"`
	Containment []AmbientContainmentRow `json:"containment"`
	Counters    map[string]int64        `json:"counters"`
	Stats       proxy.Stats             `json:"proxy"`
	Verdicts    []Verdict               `json:"verdicts"`
	Limits      []Limit                 `json:"cannotWork"`
}

// AmbientRoutes renders AmbientRouteGroup as Gateway API HTTPRoutes (what `laneway routes --api gateway
// -f` writes) and returns svc-b's as local-mesh routes, backends resolved by resolve.
func AmbientRoutes(resolve meshroutes.Resolver) (*gwv1.HTTPRoute, []proxy.RouteConfig, error) {
	g, err := routegroup.Parse([]byte(AmbientRouteGroup))
	if err != nil {
		return nil, nil, fmt.Errorf("demo route group: %w", err)
	}
	objs, err := gatewayres.GroupRoutes(g)
	if err != nil {
		return nil, nil, fmt.Errorf("demo route group: %w", err)
	}
	for _, o := range objs {
		r, ok := o.(*gwv1.HTTPRoute)
		if !ok || len(r.Spec.ParentRefs) == 0 || r.Spec.ParentRefs[0].Name != "svc-b" {
			continue
		}
		routes, err := meshroutes.FromHTTPRoute(r, resolve)
		return r, routes, err
	}
	return nil, nil, fmt.Errorf("demo route group: got %d objects, expected an HTTPRoute bound to Service svc-b", len(objs))
}

// AmbientConfig fills in AmbientMeshTemplate with vals (addresses, module paths) and puts the HTTPRoute's
// rules on svc-b's waypoint; resolve maps its backends to upstreams.
func AmbientConfig(vals map[string]string, resolve meshroutes.Resolver) (proxy.Config, *gwv1.HTTPRoute, error) {
	ids := map[string]string{"INGRESS_ID": IngressID, "OUTSIDER_ID": OutsiderID, "SVC_A_ID": SvcAID, "SVC_B_ID": SvcBID, "SVC_B_V2_ID": CandidateID,
		"SYNTHETIC_SECRET": SyntheticSecret}
	cfg, err := proxy.Parse([]byte(os.Expand(AmbientMeshTemplate, func(k string) string {
		if v, ok := ids[k]; ok {
			return v
		}
		return vals[k]
	})))
	if err != nil {
		return proxy.Config{}, nil, fmt.Errorf("ambient demo mesh config: %w", err)
	}
	hr, routes, err := AmbientRoutes(resolve)
	if err != nil {
		return proxy.Config{}, nil, err
	}
	found := false
	for i := range cfg.Listeners {
		if cfg.Listeners[i].Name == AmbientRoutedWaypoint {
			cfg.Listeners[i].Routes, found = routes, true
		}
	}
	if !found {
		return proxy.Config{}, nil, fmt.Errorf("ambient demo mesh config: got no listener %s, expected the waypoint the HTTPRoute binds to", AmbientRoutedWaypoint)
	}
	return cfg, hr, cfg.Validate()
}

// RunAmbient is Run in Istio's ambient topology: ztunnels carry each workload's identity to the
// destination's waypoint, where the filters and the HTTPRoute's rules run. Everything is stopped
// before it returns.
func RunAmbient(ctx context.Context, opts AmbientOptions) (AmbientReport, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	reqs := opts.Requests
	if reqs == nil {
		reqs = DefaultRequests
	}
	scenarios := opts.Scenarios
	if scenarios == nil {
		scenarios = DefaultAmbientScenarios
	}
	for _, sc := range scenarios {
		if sc.Via != "" && sc.Via != ViaIngress && sc.Via != ViaOutsider {
			return AmbientReport{}, fmt.Errorf("request %q: got via %q, expected %s (the ingress gateway, the default) or %s (a workload whose ztunnel carries %s)",
				sc.Label, sc.Via, ViaIngress, ViaOutsider, OutsiderID)
		}
	}
	mods, err := modulesFor(ctx, opts.Modules, opts.Root, AmbientFilters, progress, opts.Progress)
	if err != nil {
		return AmbientReport{}, err
	}
	apps, err := startStandIns(nil)
	if err != nil {
		return AmbientReport{}, err
	}
	defer apps.close()
	cfg, hr, names, err := ambientMesh(apps.addrs, mods, opts.EditMesh)
	if err != nil {
		return AmbientReport{}, err
	}
	rep := AmbientReport{Routes: ruleLines(cfg, hr, names)}
	fmt.Fprintf(progress, "Starting the ambient mesh: %d listeners (ingress gateway, ztunnels, waypoints), %d workers, filters %s\n", len(cfg.Listeners), cfg.Workers, strings.Join(AmbientFilters, ", "))
	mesh, err := startMesh(ctx, cfg, opts.Progress, opts.Decisions, "every waypoint's")
	if err != nil {
		return rep, err
	}
	defer mesh.close()
	// Each workload's outgoing calls go to its node's ztunnel (ambient's traffic redirection).
	apps.egressTo(mesh.Proxy, "ztunnel-svc-a", "ztunnel-svc-b", "ztunnel-svc-b-v2")

	fmt.Fprintf(progress, "Mesh up; sending %d routing requests and %d containment POSTs through it\n", len(reqs), len(scenarios))
	if err := rep.send(ctx, apps, mesh, reqs, scenarios); err != nil {
		return rep, err
	}
	mesh.settleMirrors()
	rep.trace(apps, mesh, names)
	rep.Counters, rep.Stats = mesh.counters(), mesh.Stats()
	rep.Verdicts = rep.Check()
	rep.Limits = AmbientLimits
	return rep, nil
}

// ambientMesh is the ambient mesh config for the apps and modules (after edit, when set), the HTTPRoute on
// svc-b's waypoint, and the backend Service name of each app address.
func ambientMesh(apps map[string]string, mods map[string]string, edit func(*proxy.Config)) (proxy.Config, *gwv1.HTTPRoute, map[string]string, error) {
	vals := maps.Clone(apps)
	vals["LANEWAY_WASM"] = mods["laneway"]
	// The HTTPRoute's backends are Services; their endpoints here are the apps themselves, the mirror's
	// included (Istio sends a waypoint's mirror straight to the candidate's pods).
	backends := map[string]string{"svc-b": vals["SVC_B"], "svc-b-sbx-1": vals["SVC_B_SBX_1"], "svc-b-v2": vals["SVC_B_V2"]}
	names := map[string]string{}
	for n, a := range backends {
		names[a] = n
	}
	cfg, hr, err := AmbientConfig(vals, func(host string) (string, error) {
		if a, ok := backends[strings.TrimSuffix(host, ".shop")]; ok {
			return a, nil
		}
		return "", fmt.Errorf("demo route group: got backend %q, expected one of svc-b, svc-b-sbx-1, svc-b-v2", host)
	})
	if err != nil {
		return cfg, nil, nil, err
	}
	if edit != nil {
		edit(&cfg)
		if err := cfg.Validate(); err != nil {
			return cfg, nil, nil, fmt.Errorf("ambient demo mesh config after EditMesh: %w", err)
		}
	}
	return cfg, hr, names, nil
}

// ruleLines describes the HTTPRoute's rules as svc-b's waypoint runs them, a line each.
func ruleLines(cfg proxy.Config, hr *gwv1.HTTPRoute, names map[string]string) []string {
	var lines []string
	for _, r := range cfg.Listeners {
		if r.Name != AmbientRoutedWaypoint {
			continue
		}
		for _, rc := range r.Routes {
			s := rc.Name + " -> " + names[rc.Upstream]
			for _, m := range rc.Mirrors {
				s += fmt.Sprintf(" (mirror %g%% to %s)", m.Percentage, names[m.Upstream])
			}
			lines = append(lines, fmt.Sprintf("HTTPRoute %s/%s rule %s", hr.Namespace, hr.Name, s))
		}
	}
	return lines
}

// send sends the routing requests through the ingress gateway and each containment POST the way it says.
func (r *AmbientReport) send(ctx context.Context, apps *standIns, mesh *demoMesh, reqs []Request, scenarios []AmbientScenario) error {
	client := apps.client()
	rows, err := sendRequests(ctx, client, apps.tp, "http://"+mesh.Addr(ViaIngress), reqs)
	for _, row := range rows {
		r.Rows = append(r.Rows, AmbientRow{Row: row})
	}
	if err != nil {
		return err
	}
	for i, sc := range scenarios {
		via := sc.Via
		if via == "" {
			via = ViaIngress
		}
		row, err := sendScenario(ctx, client, apps.tp, "http://"+mesh.Addr(via)+fmt.Sprintf("/orders/%d", len(reqs)+i+1), sc.Scenario)
		if err != nil {
			return fmt.Errorf("request %q: %w", sc.Label, err)
		}
		r.Containment = append(r.Containment, AmbientContainmentRow{ContainmentRow: row, Via: via})
	}
	return nil
}

// trace completes the rows with what the waypoints decided (routes, mirrors, the peers they read) and what
// the apps and the ledger received.
func (r *AmbientReport) trace(apps *standIns, mesh *demoMesh, names map[string]string) {
	for i := range r.Rows {
		row := &r.Rows[i]
		for _, d := range mesh.decisionsOf(row.TraceID) {
			if d.Listener == AmbientRoutedWaypoint {
				row.Tenant, row.Route, row.Peer = d.Tenant, d.Route, d.Peer
				var ms []string
				for _, m := range d.Mirrors {
					ms = append(ms, names[m])
				}
				row.Mirror = strings.Join(ms, ",")
			}
		}
		apps.fillShadow(&row.Row)
	}
	for i := range r.Containment {
		row := &r.Containment[i]
		apps.fillContainment(&row.ContainmentRow)
		if c, ok := apps.v2.received(row.TraceID); ok {
			row.ShadowMarked = c.Shadow != ""
		}
		for _, d := range mesh.decisionsOf(row.TraceID) {
			switch {
			case d.Listener == "waypoint-svc-a":
				row.SvcAPeer = d.Peer
			case d.Listener == "waypoint-ledger" && d.Peer == CandidateID:
				row.ShadowLedgerPeer = d.Peer
			}
		}
	}
}
