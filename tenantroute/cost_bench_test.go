package tenantroute

import (
	"testing"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
)

// costRequest is what an outbound sidecar typically sees: an OTel-instrumented client's request.
func costRequest(baggage string) testenv.Headers {
	return testenv.RequestHeaders("GET", "svc-b.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"x-request-id", "7f1c2a9e-3b4d-4e5f-8a6b-9c0d1e2f3a4b",
		"baggage", baggage)
}

// BenchmarkCost is the full stream cycle (request headers, response headers, stream end) of
// dist/tenantroute.wasm in testenv, with x-noop, entry-units and x-native measured in the same run.
func BenchmarkCost(b *testing.B) {
	resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	for _, c := range []struct{ name, config, baggage string }{
		{"sidecar-routed", "", "userid=42,laneway-tenant=sbx-1"},
		{"sidecar-baseline", "", "userid=42"},
		{"gateway-allowlisted", `{"trustBoundary":true,"allow":["sbx-1"]}`, "userid=42,laneway-tenant=sbx-1"},
		// Issue 17's boundary paths: an encoded tenant key stripped, an accepted tenant next to an encoded copy.
		{"gateway-strips-encoded-key", `{"trustBoundary":true,"allow":["sbx-1"]}`, "userid=42,laneway%2Dtenant=evil"},
		{"gateway-drops-encoded-copy", `{"trustBoundary":true,"allow":["sbx-1"]}`, "userid=42,laneway-tenant=sbx-1,laneway%2Dtenant=evil"},
	} {
		b.Run(c.name, func(b *testing.B) {
			costbench.Run(b, costbench.Case{Module: "tenantroute", PluginConfig: c.config,
				Request: costRequest(c.baggage), Response: resp, Native: NewVMContext})
		})
	}
}

// BenchmarkCostBreakdown prices each step of the routed request path inside the VM: the costprobe fixture
// runs tenantroute's path only up to the named step (see filters/fixtures/costprobe), so the difference between
// two rows is what that step costs. "filter" is the real module for comparison. "route-101-times" decides
// 101 times per request: its difference to upTo-route, over 100, is one decision's cost inside the VM,
// to set beside BenchmarkRouteBaggageTenant (the same decision natively).
func BenchmarkCostBreakdown(b *testing.B) {
	resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	req := costRequest("userid=42,laneway-tenant=sbx-1")
	for _, step := range costProbeSteps {
		b.Run("upTo-"+step, func(b *testing.B) {
			costbench.Run(b, costbench.Case{Module: "costprobe", PluginConfig: `{"upTo":"` + step + `"}`, Request: req, Response: resp})
		})
	}
	b.Run("route-101-times", func(b *testing.B) {
		costbench.Run(b, costbench.Case{Module: "costprobe", PluginConfig: `{"upTo":"route","routeTimes":101}`, Request: req, Response: resp})
	})
	b.Run("filter", func(b *testing.B) {
		costbench.Run(b, costbench.Case{Module: "tenantroute", Request: req, Response: resp})
	})
}
