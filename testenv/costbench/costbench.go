// Package costbench measures what one filter costs per request, as ratios against baselines measured in
// the same process: the no-op module built the same way (x-noop), one empty exported call into Go
// (entry-units), and the same filter run natively under proxytest (x-native).
//
// Absolute times on a shared 2-core machine swing by several times between runs; ratios taken within one
// run do not, so those are what targets are checked against.
package costbench

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// Case is one filter configuration and one request/response exchange.
type Case struct {
	// Module is the dist/<Module>.wasm to measure.
	Module string
	// PluginConfig is the plugin configuration JSON.
	PluginConfig string
	// Properties are host attributes (see testenv.VMOptions.Properties).
	Properties map[string][]byte
	// Request and Response are the headers of the exchange; Response may be nil (request only).
	Request, Response testenv.Headers
	// Native returns the filter's VM context for the proxytest leg; nil skips x-native.
	Native func() types.VMContext
	// Profile is the Envoy generation MeasureMemory emulates (zero: testenv's default, Envoy139).
	Profile testenv.Profile
}

// Result holds the per-request figures of one measurement, in nanoseconds.
type Result struct {
	Filter, Noop, Entry, Native float64
}

// XNoop is the filter's cycle over the no-op module's.
func (r Result) XNoop() float64 { return r.Filter / r.Noop }

// EntryUnits is the filter's cycle in empty exported calls.
func (r Result) EntryUnits() float64 { return r.Filter / r.Entry }

// XNative is the filter's cycle in testenv over the same filter under proxytest.
func (r Result) XNative() float64 {
	if r.Native == 0 {
		return 0
	}
	return r.Filter / r.Native
}

// warmup is how many cycles a VM runs before it is measured: a module's linear memory grows during its
// first ~16,000 streams, and each growth copies the whole memory, which is start-up cost, not per-request.
const warmup = 20000

// bench holds one case's warmed-up VMs while that case is measured: testing calls a benchmark function
// several times with growing b.N, and each call re-measures the baselines in its own time window.
type bench struct {
	noop, filter *testenv.VM
}

// current holds the VMs of the case being benchmarked. go test calls a benchmark function again for each
// b.N it tries, so the VMs are kept while the case stays the same; when another case starts they are closed.
// All cases share one runtime, which compiles each module once. Keeping every case's VMs and a runtime
// each, as an earlier version did, grew the host heap by ~17 MB per VM and made later rows of one
// package's run read up to 1.9x slower for the very same VM (host GC work per stream grows with the heap).
var current struct {
	sync.Mutex
	rt  *testenv.Runtime
	key string
	st  *bench
}

// benchFor returns the warmed-up VMs for the case identified by key.
func benchFor(b *testing.B, key string, c Case) *bench {
	current.Lock()
	defer current.Unlock()
	if current.st != nil && current.key == key {
		return current.st
	}
	if current.st != nil {
		_ = current.st.noop.Close(context.Background())
		_ = current.st.filter.Close(context.Background())
		current.st = nil
	}
	if current.rt == nil {
		rt, err := testenv.NewRuntime(context.Background(), testenv.RuntimeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		current.rt = rt
	}
	st := &bench{noop: load(b, current.rt, "noop", c), filter: load(b, current.rt, c.Module, c)}
	for i := 0; i < warmup; i++ {
		cycle(st.noop, c)
		cycle(st.filter, c)
	}
	current.key, current.st = key, st
	return st
}

// Run benchmarks c.Module's full stream cycle (b.N of them) and reports x-noop, entry-units and
// x-native, with the baselines measured just before, in the same process and time window.
func Run(b *testing.B, c Case) Result {
	b.Helper()
	key := c.Module + "\x00" + c.PluginConfig + "\x00" + headerKey(c.Request) + "\x00" + headerKey(c.Response)
	st := benchFor(b, key, c)
	var res Result
	entry := func() float64 {
		return timed(func(n int) {
			for i := 0; i < n; i++ {
				if _, err := st.noop.CallExport("laneway_bench_entry"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	noop := func() float64 {
		return timed(func(n int) {
			for i := 0; i < n; i++ {
				cycle(st.noop, c)
			}
		})
	}
	res.Entry, res.Noop = entry(), noop()
	if c.Native != nil {
		res.Native = timed(func(n int) { nativeCycles(b, c, n) })
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cycle(st.filter, c)
	}
	b.StopTimer()
	if err := st.filter.Err(); err != nil {
		b.Fatalf("%s failed during the benchmark: %v", c.Module, err)
	}
	res.Filter = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	// The baselines are measured again after the filter and the faster reading kept: a burst of load on a
	// shared machine during one baseline window would otherwise shrink the ratios (a slow no-op makes any
	// filter look cheap). Keeping the faster baseline errs toward larger, never smaller, ratios.
	res.Entry, res.Noop = min(res.Entry, entry()), min(res.Noop, noop())
	b.ReportMetric(res.XNoop(), "x-noop")
	b.ReportMetric(res.EntryUnits(), "entry-units")
	if res.Native > 0 {
		b.ReportMetric(res.XNative(), "x-native")
	}
	b.ReportMetric(res.Noop, "noop-ns")
	return res
}

// timed runs f with growing iteration counts until one run lasts at least baselineTime and returns the
// nanoseconds per iteration of that run. (testing.Benchmark cannot be used here: it takes the lock the
// running benchmark holds.)
func timed(f func(n int)) float64 {
	f(1) // warm up
	for n := 16; ; n *= 4 {
		start := time.Now()
		f(n)
		if d := time.Since(start); d >= baselineTime || n >= 1<<24 {
			return float64(d.Nanoseconds()) / float64(n)
		}
	}
}

// baselineTime is how long one baseline measurement lasts at least.
const baselineTime = 200 * time.Millisecond

func nativeCycles(b *testing.B, c Case, n int) {
	run, release, err := NativeRun(c)
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	run(n)
}

// NativeRun starts c's filter natively under proxytest (c.Native's VM context, c's configuration and
// properties) and returns a function that runs n streams of c's exchange through it, and the function that
// stops the emulator (proxytest runs one at a time) and gives the process its log output back. Host log lines
// are discarded meanwhile: the runs are about the filter, not the terminal.
func NativeRun(c Case) (run func(n int), release func(), err error) {
	opt := proxytest.NewEmulatorOption().WithVMContext(c.Native()).WithPluginConfiguration([]byte(c.PluginConfig))
	for path, v := range c.Properties {
		opt = opt.WithProperty(splitPath(path), v)
	}
	log.SetOutput(io.Discard)
	host, stop := proxytest.NewHostEmulator(opt)
	release = func() {
		stop()
		log.SetOutput(os.Stderr)
	}
	// Envoy >= 1.33 provides clear_route_cache; proxytest aborts on unregistered foreign functions.
	host.RegisterForeignFunction("clear_route_cache", func([]byte) []byte { return []byte{0} })
	if host.StartPlugin() != types.OnPluginStartStatusOK {
		release()
		return nil, nil, fmt.Errorf("%s: plugin start failed under proxytest", c.Module)
	}
	req := c.Request.Pairs()
	resp := c.Response.Pairs()
	run = func(n int) {
		for i := 0; i < n; i++ {
			id := host.InitializeHttpContext()
			host.CallOnRequestHeaders(id, req, true)
			if resp != nil {
				host.CallOnResponseHeaders(id, resp, true)
			}
			host.CompleteHttpContext(id)
		}
	}
	return run, release, nil
}

func cycle(vm *testenv.VM, c Case) {
	s := vm.NewHTTPStream()
	s.RequestHeaders(c.Request, true)
	if c.Response != nil {
		s.ResponseHeaders(c.Response, true)
	}
	s.Complete()
}

func load(b *testing.B, rt *testenv.Runtime, module string, c Case) *testenv.VM {
	vm, err := rt.LoadVM(context.Background(), testenvtest.DistModule(b, module), testenv.VMOptions{
		Profile: testenv.Envoy139, PluginConfig: []byte(c.PluginConfig), Properties: c.Properties, LogLevel: testenv.LogInfo,
	})
	if err != nil {
		b.Fatalf("loading %s: %v", module, err)
	}
	return vm
}

func headerKey(h testenv.Headers) string {
	s := ""
	for _, p := range h {
		s += p.Key + ":" + p.Value + "\n"
	}
	return s
}

func splitPath(p string) []string {
	var out []string
	start := 0
	sep := byte('.')
	for i := 0; i < len(p); i++ {
		if p[i] == 0 {
			sep = 0
			break
		}
	}
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == sep {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}
