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
	} {
		b.Run(c.name, func(b *testing.B) {
			costbench.Run(b, costbench.Case{Module: "tenantroute", PluginConfig: c.config,
				Request: costRequest(c.baggage), Response: resp, Native: NewVMContext})
		})
	}
}
