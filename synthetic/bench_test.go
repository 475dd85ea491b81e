package synthetic

import (
	"testing"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// typical are the headers of an ordinary in-mesh request.
var typical = [][2]string{
	{":method", "POST"}, {":path", "/orders"}, {":authority", "orders.shop.svc.cluster.local:8080"}, {":scheme", "http"},
	{"user-agent", "Go-http-client/1.1"}, {"content-type", "application/json"}, {"accept", "*/*"},
	{"x-request-id", "7d6c0a3e-6a55-4a36-9a53-5c1e0e1e8f59"}, {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	{"baggage", "laneway-tenant=acme,sd-routing-key=abc123"},
}

func with(extra ...string) [][2]string {
	h := append([][2]string(nil), typical...)
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, [2]string{extra[i], extra[i+1]})
	}
	return h
}

func BenchmarkDecide(b *testing.B) {
	now := time.Now()
	tok, _ := MintToken([]byte(testSecret), "tx-bench", now.Add(time.Minute))
	inbound := mustConfig(b, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"],"token":{"secret":"`+testSecret+`"}}}`)
	outbound := mustConfig(b, `{"mode":"outbound","participants":["orders"]}`)
	cases := []struct {
		name    string
		c       *Config
		headers [][2]string
		facts   *Facts
	}{
		{"unmarked request inbound", inbound, typical, known(otherSA, now)},
		{"marked request from trusted peer inbound", inbound, with("x-laneway-synthetic", "1;id=tx-bench"), known(trustedSA, now)},
		{"marked request with token inbound", inbound, with("x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), known("", now)},
		{"marked request from untrusted peer inbound", inbound, with("x-laneway-synthetic", "1"), known(otherSA, now)},
		{"unmarked request outbound", outbound, typical, known("", now)},
		{"synthetic write to non-participant outbound", outbound, with("x-laneway-synthetic", "1;id=tx-bench"), known("", now)},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var d Decision // reused, as the filter reuses its one Decision
			b.ReportAllocs()
			for b.Loop() {
				bc.c.Decide(bc.headers, bc.facts, &d)
			}
		})
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	now := time.Now()
	tok, _ := MintToken([]byte(testSecret), "tx-bench", now.Add(time.Minute))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyToken([]byte(testSecret), tok, now, 30*time.Second, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewTxID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewTxID()
	}
}

// BenchmarkFilterUnderProxytest measures a whole request/response stream natively; most of
// the cost is the emulator's, so compare it with the testenv (Wasm) figures, not with Decide.
func BenchmarkFilterUnderProxytest(b *testing.B) {
	opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).
		WithPluginConfiguration([]byte(`{"mode":"edge","trust":{"principals":["`+trustedSA+`"]},"participants":["orders.shop.svc.cluster.local"],"ack":{"required":true}}`)).
		WithProperty([]string{"connection", "uri_san_peer_certificate"}, []byte(trustedSA))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	if host.StartPlugin() != types.OnPluginStartStatusOK {
		b.Fatal("plugin start failed")
	}
	for _, bc := range []struct {
		name    string
		headers [][2]string
	}{
		{"unmarked", typical},
		{"synthetic write to participant", with("x-laneway-synthetic", "1;id=tx-bench")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			resp := [][2]string{{":status", "200"}, {DefaultAckHeader, "tx-bench"}}
			for b.Loop() {
				id := host.InitializeHttpContext()
				host.CallOnRequestHeaders(id, bc.headers, false)
				host.CallOnResponseHeaders(id, resp, false)
				host.CompleteHttpContext(id)
			}
		})
	}
}
