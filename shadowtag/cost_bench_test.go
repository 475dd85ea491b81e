package shadowtag

import (
	"testing"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
)

// BenchmarkCost is the full stream cycle of dist/shadowtag.wasm in testenv, with x-noop, entry-units and
// x-native measured in the same run.
func BenchmarkCost(b *testing.B) {
	resp := testenv.Headers{{Key: ":status", Value: "200"}}
	ordinary := testenv.RequestHeaders("GET", "orders.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage", "userid=42")
	mirrored := testenv.RequestHeaders("GET", "orders-shadow:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	shadowWrite := testenv.RequestHeaders("POST", "payments.shop.svc.cluster.local:8080", "/api/charge",
		"content-type", "application/json", "x-laneway-shadow", "1", "baggage", "laneway-shadow=1")
	for _, c := range []struct {
		name, config string
		req          testenv.Headers
	}{
		{"inbound-ordinary", `{"mode":"inbound"}`, ordinary},
		{"inbound-mirrored", `{"mode":"inbound"}`, mirrored},
		{"outbound-ordinary", `{"mode":"outbound"}`, ordinary},
		{"outbound-shadow-write-suppressed", `{"mode":"outbound"}`, shadowWrite},
	} {
		b.Run(c.name, func(b *testing.B) {
			costbench.Run(b, costbench.Case{Module: "shadowtag", PluginConfig: c.config, Request: c.req, Response: resp, Native: NewVMContext})
		})
	}
}
