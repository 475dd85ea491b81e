package shadowtag

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/require"
)

// BenchmarkCompareCost measures a live request through shadowtag with compare on, as ratios to shadowtag
// without compare, all in the same run (each variant is timed in turn for 1,000 exchanges, 20 rounds, fastest round kept: the machine's noise only makes a round slower):
//
//	plain             dist/shadowtag.wasm, {"mode":"inbound"} (what a workload that does not compare runs)
//	compare-module    dist/shadowtag-compare.wasm without a compare section (the exported callbacks alone)
//	unsampled         compare on, the request id outside the sample (one FNV-1a hash; the stream shares the
//	                  plugin's context, whose response callbacks return at once; no flush tick runs)
//	sampled           compare on, every request captured (1 KiB body limit), batches of 32 sent on the tick
//
// One cycle is a whole exchange: request headers, response headers, a 600-byte JSON body in two chunks, end.
func BenchmarkCompareCost(b *testing.B) {
	ctx := context.Background()
	rt := testenvtest.Runtime(b)
	compareOn := func(rate string) string {
		return `{"mode":"inbound","compare":{"role":"candidate","collector":{"cluster":"collector","authority":"collector:8080"},` +
			`"sampleRate":` + rate + `,"headers":["content-type"],"bodyLimit":1024,"service":"orders","batchSize":32,"flushMs":100}}`
	}
	variants := []struct{ name, module, config string }{
		{"plain", "shadowtag", `{"mode":"inbound"}`},
		{"compare-module", "shadowtag-compare", `{"mode":"inbound"}`},
		{"unsampled", "shadowtag-compare", compareOn("0.5")},
		{"sampled", "shadowtag-compare", compareOn("1")},
	}
	req := testenv.RequestHeaders("GET", "orders.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json", RequestIDHeader, idUnsampled,
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage", "userid=42")
	resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	body := []byte(`{"id":42,"items":[` + strings.Repeat(`{"sku":"a-1","qty":1},`, 26) + `{"sku":"z"}]}`)
	half := len(body) / 2
	vms := make([]*testenv.VM, len(variants))
	for i, v := range variants {
		vm, err := rt.LoadVM(ctx, testenvtest.DistModule(b, v.module), testenv.VMOptions{
			PluginConfig: []byte(v.config), LogLevel: testenv.LogInfo,
			HTTPCallHandlers: map[string]testenv.HTTPCallHandler{"collector": func(testenv.HTTPCallRequest) (testenv.HTTPCallResponse, error) {
				return testenv.HTTPCallResponse{Headers: testenv.Headers{{Key: ":status", Value: "202"}}}, nil
			}},
		})
		require.NoError(b, err)
		b.Cleanup(func() { _ = vm.Close(ctx) })
		vms[i] = vm
	}
	cycles := func(vm *testenv.VM, n int) {
		for i := 0; i < n; i++ {
			s := vm.NewHTTPStream()
			s.RequestHeaders(req, true)
			s.ResponseHeaders(resp, false)
			s.ResponseBody(body[:half], false)
			s.ResponseBody(body[half:], true)
			s.Complete()
			if i%32 == 31 {
				vm.AdvanceClock(100 * time.Millisecond) // the flush tick: sampled captures go out in batches
			}
		}
	}
	timed := func(vm *testenv.VM, n int) float64 {
		start := time.Now()
		cycles(vm, n)
		return float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	for _, vm := range vms {
		cycles(vm, 20000) // memory growth of the first streams is start-up cost
	}
	const rounds, per = 20, 1000
	best := make([]float64, len(vms))
	b.ResetTimer()
	for b.Loop() {
		for i := range best {
			best[i] = 0
		}
		for r := 0; r < rounds; r++ {
			for i, vm := range vms {
				if ns := timed(vm, per); best[i] == 0 || ns < best[i] {
					best[i] = ns
				}
			}
		}
	}
	for i, vm := range vms {
		require.NoError(b, vm.Err(), variants[i].name)
	}
	if m, ok := vms[3].Metric(MetricPrefix + CompareSent + "_total"); !ok || m.Value == 0 {
		b.Fatalf("the sampled variant sent no captures: %+v", m)
	}
	for i, v := range variants {
		b.ReportMetric(best[i], v.name+"-ns")
		if i > 0 {
			b.ReportMetric(best[i]/best[0], v.name+"-x-plain")
		}
	}
	b.ReportMetric(best[2]/best[1], "unsampled-x-compare-module")
}

// Unsampled requests through the compare module allocate nothing in the VM (stream contexts are reused, the
// sampling verdict is one hash), so Go's GC never starts for them: every GC cycle reads the clock and
// nothing else on this path does.
func TestWasmUnsampledCompareRequestsDoNotStartTheGC(t *testing.T) {
	ctx := context.Background()
	config := `{"mode":"inbound","compare":{"role":"candidate","collector":{"cluster":"collector","authority":"collector:8080"},"sampleRate":0.5,"service":"orders"}}`
	vm, err := testenvtest.Runtime(t).LoadVM(ctx, testenvtest.DistModule(t, "shadowtag-compare"), testenv.VMOptions{PluginConfig: []byte(config), LogLevel: testenv.LogInfo})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(ctx) })
	req := testenv.RequestHeaders("GET", "orders:8080", "/api/orders/42", RequestIDHeader, idUnsampled, "accept", "application/json")
	resp := testenv.Headers{{Key: ":status", Value: "200"}}
	body := []byte(`{"id":42}`)
	run := func(n int) {
		for i := 0; i < n; i++ {
			s := vm.NewHTTPStream()
			s.RequestHeaders(req, true)
			s.ResponseHeaders(resp, false)
			s.ResponseBody(body, true)
			s.Complete()
		}
	}
	run(2000)
	before := vm.HostCalls()["wasi_snapshot_preview1.clock_time_get"]
	run(100_000)
	require.NoError(t, vm.Err())
	require.Equal(t, before, vm.HostCalls()["wasi_snapshot_preview1.clock_time_get"], "the GC ran: an unsampled request allocates")
	m, _ := vm.Metric(MetricPrefix + CompareSampled + "_total")
	require.Zero(t, m.Value)
}
