package filterconfig

import (
	"fmt"

	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/tenantroute"
)

// Position is where a WasmPlugin puts a filter.
type Position uint8

// Positions.
const (
	// Sidecar covers sidecars and gateways: what a selector, or a Gateway that is not a waypoint, targets.
	Sidecar Position = iota
	// Waypoint is an Istio ambient waypoint: a Gateway of class istio-waypoint, or a Service (targetRefs).
	Waypoint
)

// checkPosition holds, per filter, the rules for a config in each position (the config already parsed
// with the filter's ParseConfig). A waypoint runs every plugin on its inbound internal listener
// (xds.listener_direction is inbound for all traffic) and keeps the caller's identity in filter state,
// so direction-based and certificate-based settings do not mean there what they mean on a sidecar.
var checkPosition = map[string]func(config []byte, p Position) error{
	"tenantroute": func(b []byte, p Position) error {
		c, err := tenantroute.ParseConfig(b)
		if err != nil || p != Waypoint {
			return err
		}
		if c.TrustBoundary {
			return fmt.Errorf("trustBoundary: got true for a waypoint, expected it only on the ingress gateway: a waypoint's callers are mesh workloads, and stripping their x-laneway-* headers would also drop synthetic's token; remove trustBoundary (the gateway's plugin keeps it)")
		}
		if c.WorkloadTenant != "" {
			return fmt.Errorf("workloadTenant: got %q for a waypoint, expected none: the setting tags a sandbox's own outgoing calls on its sidecar, and a waypoint serves every caller of the service, so it would send all of them to the tenant; let the sandbox's application forward baggage (OpenTelemetry does), or run the sandbox with a sidecar", c.WorkloadTenant)
		}
		return nil
	},
	"shadowtag":         shadowtagPosition("shadowtag"),
	"shadowtag-compare": shadowtagPosition("shadowtag-compare"),
	"synthetic": func(b []byte, p Position) error {
		c, err := synthetic.ParseConfig(b)
		if err != nil {
			return err
		}
		switch {
		case p == Waypoint && c.Mode == synthetic.ModeUnset:
			return fmt.Errorf("mode: got none for a waypoint, expected \"waypoint\": without a mode the filter takes inbound or outbound from the listener direction, which is inbound for all traffic on a waypoint, and reads the caller's certificate, which is not on the connection there; use mode waypoint")
		case p == Waypoint && c.Mode != synthetic.ModeWaypoint:
			return fmt.Errorf("mode: got %q for a waypoint, expected \"waypoint\": on a waypoint the caller's certificate is not on the connection the filter sees (the identity is in filter state), and the waypoint is both the caller-side refusal and the participant's trust check; use mode waypoint", c.Mode)
		case p != Waypoint && c.Mode == synthetic.ModeWaypoint:
			return fmt.Errorf("mode: got \"waypoint\" for a sidecar or gateway, expected inbound, outbound or edge: the waypoint mode reads the caller identity only Istio waypoints keep; target the waypoint with --waypoint NAME or --target-ref Service/NAME")
		}
		return nil
	},
}

// shadowtagPosition checks a config as the named shadowtag module reads it (shadowtag.ParseModuleConfig), then
// for the position.
func shadowtagPosition(module string) func(b []byte, p Position) error {
	return func(b []byte, p Position) error {
		c, err := shadowtag.ParseModuleConfig(module, b)
		if err != nil {
			return err
		}
		switch {
		case p == Waypoint && c.Mode != shadowtag.ModeWaypoint:
			return fmt.Errorf("mode: got %q for a waypoint, expected \"waypoint\": a waypoint never sees a mirrored copy (it goes from the mirroring waypoint straight to the candidate's pods), and its listener direction is inbound for all traffic, so %s would not contain the candidate's writes; use mode waypoint with detect.principals naming the candidate's ServiceAccount", c.Mode, c.Mode)
		case p != Waypoint && c.Mode == shadowtag.ModeWaypoint:
			return fmt.Errorf("mode: got \"waypoint\" for a sidecar or gateway, expected inbound, outbound, auto or edge: the waypoint mode reads the caller identity only Istio waypoints keep; target the waypoint with --waypoint NAME or --target-ref Service/NAME")
		}
		return nil
	}
}

// CheckPosition validates a plugin config for the position its WasmPlugin targets: beyond ParseConfig,
// the settings that cannot work there are refused with what to do instead.
func (f Filter) CheckPosition(config []byte, p Position) error {
	check, ok := checkPosition[f.Name]
	if !ok {
		return f.Validate(config)
	}
	return check(config, p)
}
