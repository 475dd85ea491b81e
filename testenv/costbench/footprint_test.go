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
// configuration and an exchange of the kind its role sees in a mesh. One line adds a module. The three
// separate filters and the combined laneway module run the request of testenv/costbench/combined.json with
// its configs, so that the combined module's footprint can be set against the three it replaces.
var footprintModules = append([]costbench.Case{
	{Module: "noop", PluginConfig: `{}`, Request: otelRequest("userid=42,laneway-tenant=sbx-1"), Response: okResponse},
}, combinedFootprint()...)

// combinedFootprint is the combined module followed by the separate modules it replaces, on the scenario.
func combinedFootprint() []costbench.Case {
	s, err := costbench.Combined()
	if err != nil {
		panic(err) // an embedded file: TestCombinedContendersDoTheSameWork names the problem too
	}
	out := []costbench.Case{s.Case(s.Combined)}
	for _, m := range s.Separate {
		out = append(out, s.Case(m))
	}
	return out
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
// The last row, combined-vs-separate, sets the combined module's VM against the three separate modules'
// VMs together (their sum: three VMs per worker), from the rows above in the same run (x-separate is
// combined over the sum; target at most 0.4).
func BenchmarkLinearMemory(b *testing.B) {
	rt := testenvtest.Runtime(b)
	n := memoryStreams(b)
	final := map[string]uint32{}
	measure := func(b *testing.B, c costbench.Case) costbench.Memory {
		m, err := costbench.MeasureMemory(context.Background(), rt, testenvtest.DistModule(b, c.Module), c, 10_000, n)
		require.NoError(b, err)
		final[c.Module] = m.FinalBytes
		return m
	}
	for _, c := range footprintModules {
		b.Run(c.Module, func(b *testing.B) {
			var m costbench.Memory
			for i := 0; i < b.N; i++ { // one measurement: go test stops at b.N=1 for a run this long
				m = measure(b, c)
			}
			b.ReportMetric(float64(m.StartBytes)/1024, "KiB-start")
			b.ReportMetric(float64(m.EarlyBytes)/1024, "KiB-10k")
			b.ReportMetric(float64(m.FinalBytes)/1024, "KiB-"+strconv.Itoa(n/1000)+"k")
			b.ReportMetric(float64(2*m.FinalBytes)/1024, "KiB-2-workers")
		})
	}
	b.Run("combined-vs-separate", func(b *testing.B) {
		cases := combinedFootprint()
		for _, c := range cases { // measured above unless -bench picked this row alone
			if _, ok := final[c.Module]; !ok {
				measure(b, c)
			}
		}
		combined, sum := final[cases[0].Module], uint32(0)
		for _, c := range cases[1:] {
			sum += final[c.Module]
		}
		b.ReportMetric(float64(combined)/1024, "KiB-combined")
		b.ReportMetric(float64(sum)/1024, "KiB-separate")
		b.ReportMetric(float64(2*combined)/1024, "KiB-2-workers-combined")
		b.ReportMetric(float64(2*sum)/1024, "KiB-2-workers-separate")
		b.ReportMetric(float64(combined)/float64(sum), "x-separate")
	})
}

// BenchmarkColdStartPhases reports, per module, compiling it without a cache (compile-ms) and starting a VM
// of it in a host that compiled it: instantiate, _initialize, root context, vm_start, configure (start-ms).
// The last row, combined-vs-separate, sets the combined module against the three separate modules together
// (their sums: a proxy compiles each module once and starts a VM of each per worker), from the rows above.
func BenchmarkColdStartPhases(b *testing.B) {
	type phases struct{ compile, start float64 }
	got := map[string]phases{}
	measure := func(b *testing.B, c costbench.Case, times int) phases {
		var p phases
		for i := 0; i < times; i++ {
			cs, err := costbench.MeasureColdStart(context.Background(), testenvtest.DistModule(b, c.Module), c)
			require.NoError(b, err)
			p.compile += float64(cs.Compile.Microseconds()) / 1000
			p.start += float64(cs.Start.Microseconds()) / 1000
		}
		p.compile, p.start = p.compile/float64(times), p.start/float64(times)
		got[c.Module] = p
		return p
	}
	for _, c := range footprintModules {
		b.Run(c.Module, func(b *testing.B) {
			p := measure(b, c, b.N)
			b.ReportMetric(p.compile, "compile-ms")
			b.ReportMetric(p.start, "start-ms")
		})
	}
	b.Run("combined-vs-separate", func(b *testing.B) {
		cases := combinedFootprint()
		var sum phases
		for _, c := range cases[1:] {
			p, ok := got[c.Module]
			if !ok { // measured above unless -bench picked this row alone
				p = measure(b, c, 1)
			}
			sum.compile += p.compile
			sum.start += p.start
		}
		comb, ok := got[cases[0].Module]
		if !ok {
			comb = measure(b, cases[0], 1)
		}
		b.ReportMetric(comb.compile, "compile-ms-combined")
		b.ReportMetric(sum.compile, "compile-ms-separate")
		b.ReportMetric(comb.start, "start-ms-combined")
		b.ReportMetric(sum.start, "start-ms-separate")
		b.ReportMetric(comb.compile/sum.compile, "x-separate-compile")
		b.ReportMetric(comb.start/sum.start, "x-separate-start")
	})
}

// TestFootprintHelpersMeasureTheModule holds the helpers to figures that can be wrong: memory is a whole
// number of 64 KiB pages that never shrinks, and does not grow between 10k and 30k streams (a module that
// leaked per stream would); the cold start phases are both positive and compiling costs more than starting.
func TestFootprintHelpersMeasureTheModule(t *testing.T) {
	c := footprintModules[len(footprintModules)-1] // tenantroute
	require.Equal(t, "tenantroute", c.Module)
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
