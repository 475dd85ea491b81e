package proxy

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkProxyAddedLatency measures one sequential keep-alive GET: straight to the
// upstream, through the proxy without filters, and through the proxy with noop and with
// tenantroute (baggage carrying a tenant). Each variant reports µs/req and its ratio to the
// direct call measured in the same run.
func BenchmarkProxyAddedLatency(b *testing.B) {
	up := newEcho(b, "upstream")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(b *testing.B, url string) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Host = "svc-b:8080"
		req.Header.Set("baggage", "laneway-tenant=sbx-1")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	perReq := func(b *testing.B, url string, n int) float64 {
		start := time.Now()
		for range n {
			get(b, url)
		}
		return float64(time.Since(start).Microseconds()) / float64(n)
	}
	direct := "http://" + up.addr() + "/"
	perReq(b, direct, 100) // warm up
	directUS := perReq(b, direct, 1000)

	variants := []struct{ name, filters string }{
		{"direct", ""},
		{"proxy-no-filters", "  filters: []\n"},
		{"proxy-noop", fmt.Sprintf("  filters: [{name: noop, wasm: %s}]\n", dist(b, "noop"))},
		{"proxy-tenantroute", fmt.Sprintf("  filters: [{name: tenantroute, wasm: %s, config: {}}]\n", dist(b, "tenantroute"))},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			url := direct
			if v.name != "direct" {
				p := startProxy(b, fmt.Sprintf("workers: 1\nlisteners:\n- name: l\n%s  routes:\n  - upstream: %s\n", v.filters, up.addr()), Options{})
				url = "http://" + p.Addr("l") + "/"
				perReq(b, url, 50) // warm up the VMs and connections
			}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				get(b, url)
			}
			us := float64(time.Since(start).Microseconds()) / float64(b.N)
			b.ReportMetric(us, "µs/req")
			b.ReportMetric(us/directUS, "x-direct")
		})
	}
}
