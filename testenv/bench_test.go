package testenv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

func benchVM(b *testing.B, name string, p Profile) *VM {
	b.Helper()
	rt, err := NewRuntime(context.Background(), RuntimeOptions{CompilationCache: testCache})
	require.NoError(b, err)
	b.Cleanup(func() { _ = rt.Close(context.Background()) })
	vm, err := rt.LoadVM(context.Background(), DistModule(b, name), VMOptions{Profile: p, PluginConfig: []byte("{}")})
	require.NoError(b, err)
	return vm
}

// BenchmarkNoopHTTPStream is one full stream of the no-op filter: request headers,
// response headers, complete.
func BenchmarkNoopHTTPStream(b *testing.B) {
	for _, p := range []Profile{Envoy133, Envoy139} {
		b.Run(p.String(), func(b *testing.B) {
			vm := benchVM(b, "noop", p)
			req := RequestHeaders("GET", "svc.ns.svc.cluster.local", "/api", "baggage", "laneway-tenant=t1")
			resp := Headers{{":status", "200"}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := vm.NewHTTPStream()
				s.RequestHeaders(req, true)
				s.ResponseHeaders(resp, true)
				s.Complete()
			}
			b.StopTimer()
			require.NoError(b, vm.Err())
		})
	}
}

// BenchmarkEntryUnit is one call of the noop module's empty laneway_bench_entry export.
func BenchmarkEntryUnit(b *testing.B) {
	vm := benchVM(b, "noop", Envoy139)
	fn := vm.mod.ExportedFunction("laneway_bench_entry")
	require.NotNil(b, fn)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := vm.call(vm.root, fn); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallExport is the same call through the public CallExport.
func BenchmarkCallExport(b *testing.B) {
	vm := benchVM(b, "noop", Envoy139)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := vm.CallExport("laneway_bench_entry"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostCallRoundTrip is one wasm→host→wasm round trip: a hand-made module
// whose export calls proxy_get_current_time_nanoseconds once per iteration of a loop
// run inside one entry, so the entry cost is amortised away.
func BenchmarkHostCallRoundTrip(b *testing.B) {
	// func loop(n i32): for n>0 { call time(64); drop; n-- }
	body := []byte{
		0x02, 0x40, // block
		0x03, 0x40, // loop
		0x20, 0x00, 0x45, 0x0d, 0x01, // local.get 0; i32.eqz; br_if 1
	}
	body = append(body, cat(i32c(64), call(0), []byte{opDrop})...)
	body = append(body, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b) // n--; br 0; end; end
	mod := wmodule{imports: []wimport{{"env", "proxy_get_current_time_nanoseconds", i32, i32}}, funcs: append(baseFuncs(),
		wfunc{export: "loop", params: i32, body: body})}
	rt := newTestRuntime(b)
	vm, err := rt.LoadVM(context.Background(), mod.bytes(), VMOptions{})
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := vm.CallExport("loop", uint64(b.N)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkColdStart is compile + instantiate + _initialize + root context + on_vm_start + on_configure of
// each module in a fresh Runtime (without and with a warm compilation cache), and of a new VM in a Runtime
// that already compiled the module (what a new Envoy worker costs). It also reports each module's size.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	for _, m := range []struct{ name, config string }{
		{"noop", `{}`},
		{"tenantroute", `{}`},
		{"shadowtag", `{"mode":"inbound"}`},
		{"synthetic", `{"mode":"outbound"}`},
	} {
		wasm := DistModule(b, m.name)
		opts := VMOptions{PluginConfig: []byte(m.config)}
		run := func(b *testing.B, rtOpts func() RuntimeOptions) {
			b.ReportMetric(float64(len(wasm)), "module-bytes")
			for i := 0; i < b.N; i++ {
				rt, err := NewRuntime(ctx, rtOpts())
				require.NoError(b, err)
				_, err = rt.LoadVM(ctx, wasm, opts)
				require.NoError(b, err)
				_ = rt.Close(ctx)
			}
		}
		b.Run(m.name+"/without-cache", func(b *testing.B) {
			run(b, func() RuntimeOptions { return RuntimeOptions{DisableCompilationCache: true} })
		})
		b.Run(m.name+"/with-cache", func(b *testing.B) {
			cache := wazero.NewCompilationCache()
			warm, _ := NewRuntime(ctx, RuntimeOptions{CompilationCache: cache})
			_, err := warm.LoadVM(ctx, wasm, opts)
			require.NoError(b, err)
			b.ResetTimer()
			run(b, func() RuntimeOptions { return RuntimeOptions{CompilationCache: cache} })
		})
		b.Run(m.name+"/new-worker-vm", func(b *testing.B) {
			rt, _ := NewRuntime(ctx, RuntimeOptions{})
			defer rt.Close(ctx)
			_, err := rt.LoadVM(ctx, wasm, opts)
			require.NoError(b, err)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vm, err := rt.LoadVM(ctx, wasm, opts)
				require.NoError(b, err)
				_ = vm.Close(ctx)
			}
		})
	}
}
