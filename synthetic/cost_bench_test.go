package synthetic

import (
	"testing"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
)

// BenchmarkCost is the full stream cycle (request headers, response headers unless answered locally,
// stream end) of dist/synthetic.wasm in testenv, with x-noop, entry-units and x-native measured in the
// same run.
func BenchmarkCost(b *testing.B) {
	inbound := `{"mode":"inbound","trust":{"principals":["` + trustedSA + `"],"token":{"secret":"` + testSecret + `"}}}`
	outbound := `{"mode":"outbound","participants":["orders"]}`
	trusted := map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(trustedSA)}
	ok := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	for _, c := range []struct {
		name, config string
		props        map[string][]byte
		req          [][2]string
		resp         testenv.Headers
	}{
		{"inbound-unmarked", inbound, trusted, typical, ok},
		{"inbound-trusted-marked", inbound, trusted, with("x-laneway-synthetic", "1;id=tx-bench"), ok},
		{"outbound-unmarked-read", outbound, nil, withHeader(typical, ":method", "GET"), ok},
		// Refused locally: the host sends the reply, so there is no upstream response.
		{"outbound-refused-write", outbound, nil, withHeader(with("x-laneway-synthetic", "1;id=tx-bench"), ":authority", "payments.shop.svc.cluster.local:8080"), nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			costbench.Run(b, costbench.Case{Module: "synthetic", PluginConfig: c.config, Properties: c.props,
				Request: testenv.HeadersOf(c.req), Response: c.resp, Native: NewVMContext})
		})
	}
}

// withHeader returns a copy of h with the value of name replaced.
func withHeader(h [][2]string, name, value string) [][2]string {
	out := append([][2]string(nil), h...)
	for i := range out {
		if out[i][0] == name {
			out[i][1] = value
		}
	}
	return out
}
