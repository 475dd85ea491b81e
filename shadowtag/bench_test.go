package shadowtag

import (
	"testing"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// benchHeaders is a typical mesh request: pseudo-headers, tracing, baggage, a few app headers.
func benchHeaders(authority, method string, extra ...string) [][2]string {
	return append(req(method, authority,
		"user-agent", "Go-http-client/1.1",
		"accept", "application/json",
		"content-type", "application/json",
		"x-request-id", "6f1d2c4e-0b7a-4c3e-9a51-3e1f0c9d8b72",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"baggage", "tenant=acme,region=eu-west-1",
		"x-forwarded-proto", "http",
		"x-envoy-attempt-count", "1"), pairsOf(extra)...)
}

func pairsOf(kv []string) [][2]string {
	var out [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

func BenchmarkDecide(b *testing.B) {
	in := mustConfig(b, `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-mirror"}]},"inbound":{"restoreHost":true}}`)
	out := mustConfig(b, `{"mode":"outbound","outbound":{"allow":["audit","*.stubs.svc.cluster.local"]}}`)
	edge := mustConfig(b, `{"mode":"edge"}`)
	for _, bc := range []struct {
		name    string
		c       *Config
		mode    Mode
		headers [][2]string
	}{
		{"inbound/ordinary", &in, ModeInbound, benchHeaders("orders:8080", "POST")},
		{"inbound/mirror-marked", &in, ModeInbound, benchHeaders("orders-shadow:8080", "POST")},
		{"outbound/ordinary", &out, ModeOutbound, benchHeaders("payments:8080", "POST")},
		{"outbound/shadow-write-suppressed", &out, ModeOutbound, benchHeaders("payments:8080", "POST", MarkerHeader, "1")},
		{"outbound/shadow-read-passed", &out, ModeOutbound, benchHeaders("payments:8080", "GET", MarkerHeader, "1")},
		{"edge/clean", &edge, ModeEdge, benchHeaders("shop.example.com", "POST")},
		{"edge/strip", &edge, ModeEdge, benchHeaders("shop.example.com", "POST", MarkerHeader, "1")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var d Decision // reused, as the filter reuses its plugin's
			b.ReportAllocs()
			for b.Loop() {
				bc.c.Decide(bc.headers, Facts{Mode: bc.mode}, &d)
				if len(d.Edits) > 0 { // the edited headers, in fresh memory as before the skeleton (ApplyEdits)
					_ = proxyhost.AppendEdited(make([][2]string, 0, len(bc.headers)+len(d.Edits)), bc.headers, d.Edits)
				}
			}
		})
	}
}

// BenchmarkFilterUnderProxytest runs the whole OnHttpRequestHeaders natively
// (proxytest host calls are Go calls, so this is the logic plus SDK overhead).
func BenchmarkFilterUnderProxytest(b *testing.B) {
	for _, bc := range []struct {
		name, config string
		headers      [][2]string
		want         types.Action
	}{
		{"inbound/ordinary", `{"mode":"inbound"}`, benchHeaders("orders:8080", "POST"), types.ActionContinue},
		{"inbound/mirror-marked", `{"mode":"inbound"}`, benchHeaders("orders-shadow:8080", "POST"), types.ActionContinue},
		{"outbound/shadow-write-suppressed", `{"mode":"outbound"}`, benchHeaders("payments:8080", "POST", MarkerHeader, "1"), types.ActionPause},
		{"outbound/shadow-write-rerouted", `{"mode":"outbound","outbound":{"action":"reroute"}}`, benchHeaders("payments:8080", "POST", MarkerHeader, "1"), types.ActionContinue},
	} {
		b.Run(bc.name, func(b *testing.B) {
			host, _ := newHost(b, bc.config, 0)
			silenceLogs(b)
			b.ReportAllocs()
			for b.Loop() {
				id := host.InitializeHttpContext()
				if got := host.CallOnRequestHeaders(id, bc.headers, false); got != bc.want {
					b.Fatalf("action %v, want %v", got, bc.want)
				}
				host.CompleteHttpContext(id)
			}
		})
	}
}
