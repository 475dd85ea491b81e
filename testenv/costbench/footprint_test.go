package costbench_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// footprintModules are the modules whose memory and cold start are measured, each with a plugin
// configuration and an exchange of the kind its role sees in a mesh. One line adds a module.
var footprintModules = []costbench.Case{
	{Module: "noop", PluginConfig: `{}`, Request: otelRequest("userid=42,laneway-tenant=sbx-1"), Response: okResponse},
	{Module: "tenantroute", PluginConfig: `{}`, Request: otelRequest("userid=42,laneway-tenant=sbx-1"), Response: okResponse},
	{Module: "shadowtag", PluginConfig: `{"mode":"outbound"}`, Request: otelRequest("userid=42"), Response: okResponse},
	{Module: "synthetic", PluginConfig: `{"mode":"outbound"}`, Request: otelRequest("userid=42"), Response: okResponse},
}

var okResponse = testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}

func otelRequest(baggage string) testenv.Headers {
	return testenv.RequestHeaders("GET", "svc-b.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"x-request-id", "7f1c2a9e-3b4d-4e5f-8a6b-9c0d1e2f3a4b", "baggage", baggage)
}

// memoryStreams is how many streams BenchmarkLinearMemory runs per module: LANEWAY_MEMORY_STREAMS, default 1M.
func memoryStreams(tb testing.TB) int {
	if s := os.Getenv("LANEWAY_MEMORY_STREAMS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			tb.Fatalf("LANEWAY_MEMORY_STREAMS=%q: expected a positive number of streams", s)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkLinearMemory reports each module's linear memory after 10k and after LANEWAY_MEMORY_STREAMS
// (default 1M) full streams in one VM, and what an Envoy with 2 workers keeps (one VM per worker). Memory
// does not depend on b.N (go test stops at b.N=1 for a run this long); ns/op includes loading the module.
func BenchmarkLinearMemory(b *testing.B) {
	rt := testenvtest.Runtime(b)
	n := memoryStreams(b)
	for _, c := range footprintModules {
		b.Run(c.Module, func(b *testing.B) {
			var m costbench.Memory
			var err error
			for i := 0; i < b.N; i++ { // one measurement: go test stops at b.N=1 for a run this long
				m, err = costbench.MeasureMemory(context.Background(), rt, testenvtest.DistModule(b, c.Module), c, 10_000, n)
				require.NoError(b, err)
			}
			b.ReportMetric(float64(m.StartBytes)/1024, "KiB-start")
			b.ReportMetric(float64(m.EarlyBytes)/1024, "KiB-10k")
			b.ReportMetric(float64(m.FinalBytes)/1024, "KiB-"+strconv.Itoa(n/1000)+"k")
			b.ReportMetric(float64(2*m.FinalBytes)/1024, "KiB-2-workers")
		})
	}
}

// BenchmarkColdStartPhases reports, per module, compiling it without a cache (compile-ms) and starting a VM
// of it in a host that compiled it: instantiate, _initialize, root context, vm_start, configure (start-ms).
func BenchmarkColdStartPhases(b *testing.B) {
	for _, c := range footprintModules {
		b.Run(c.Module, func(b *testing.B) {
			var compile, start float64
			for i := 0; i < b.N; i++ {
				cs, err := costbench.MeasureColdStart(context.Background(), testenvtest.DistModule(b, c.Module), c)
				require.NoError(b, err)
				compile += float64(cs.Compile.Microseconds()) / 1000
				start += float64(cs.Start.Microseconds()) / 1000
			}
			b.ReportMetric(compile/float64(b.N), "compile-ms")
			b.ReportMetric(start/float64(b.N), "start-ms")
		})
	}
}

// TestFootprintHelpersMeasureTheModule holds the helpers to figures that can be wrong: memory is a whole
// number of 64 KiB pages that never shrinks, and does not grow between 10k and 30k streams (a module that
// leaked per stream would); the cold start phases are both positive and compiling costs more than starting.
func TestFootprintHelpersMeasureTheModule(t *testing.T) {
	c := footprintModules[1] // tenantroute
	m, err := costbench.MeasureMemory(context.Background(), testenvtest.Runtime(t), testenvtest.DistModule(t, c.Module), c, 10_000, 30_000)
	require.NoError(t, err)
	for _, v := range []uint32{m.StartBytes, m.EarlyBytes, m.FinalBytes} {
		assert.Zero(t, v%65536, "memory %d is not whole pages", v)
	}
	assert.Positive(t, m.StartBytes)
	assert.LessOrEqual(t, m.StartBytes, m.EarlyBytes)
	assert.Equal(t, m.EarlyBytes, m.FinalBytes, "linear memory grew between 10k and 30k streams")

	cs, err := costbench.MeasureColdStart(context.Background(), testenvtest.DistModule(t, c.Module), c)
	require.NoError(t, err)
	assert.Positive(t, cs.Start)
	assert.Greater(t, cs.Compile, cs.Start, "compiling a 3 MB module should cost more than starting a VM of it")
	t.Logf("%s: memory %d KiB at start, %d KiB after 10k and 30k streams; compile %v, start %v",
		c.Module, m.StartBytes/1024, m.EarlyBytes/1024, cs.Compile, cs.Start)
}

// TestMeasureMemoryRefusesAModuleThatDoesNotLoad checks the error names the module.
func TestMeasureMemoryRefusesAModuleThatDoesNotLoad(t *testing.T) {
	_, err := costbench.MeasureMemory(context.Background(), testenvtest.Runtime(t), []byte("not wasm"), costbench.Case{Module: "broken"}, 1, 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "loading broken")
}
