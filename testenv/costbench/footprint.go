package costbench

import (
	"context"
	"fmt"
	"time"

	"github.com/laneway/laneway/testenv"
)

// Memory is a VM's linear memory, in bytes, after its first streams and after all of them.
type Memory struct {
	// Streams is how many full streams ran; Early is how many had run at EarlyBytes.
	Streams, Early int
	// StartBytes is the memory once the VM started (configured, no stream yet).
	StartBytes uint32
	// EarlyBytes and FinalBytes are the memory after Early and after Streams streams.
	EarlyBytes, FinalBytes uint32
}

// MeasureMemory loads wasm with c's configuration under c.Profile in rt and runs c's exchange streams times,
// reading the linear memory size at the start, after early streams and at the end. A Go module's memory may grow
// during its first streams (heap growth) and must then stay flat; FinalBytes is what one VM per worker keeps.
func MeasureMemory(ctx context.Context, rt *testenv.Runtime, wasm []byte, c Case, early, streams int) (Memory, error) {
	vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{
		Profile: c.Profile, PluginConfig: []byte(c.PluginConfig), Properties: c.Properties, LogLevel: testenv.LogInfo,
	})
	if err != nil {
		return Memory{}, fmt.Errorf("loading %s: %w", c.Module, err)
	}
	defer vm.Close(ctx)
	m := Memory{Streams: streams, Early: min(early, streams), StartBytes: vm.MemorySize()}
	for i := 0; i < streams; i++ {
		if i == m.Early {
			m.EarlyBytes = vm.MemorySize()
		}
		cycle(vm, c)
	}
	if m.Early == streams {
		m.EarlyBytes = vm.MemorySize()
	}
	m.FinalBytes = vm.MemorySize()
	if err := vm.Err(); err != nil {
		return m, fmt.Errorf("%s failed after up to %d streams: %w", c.Module, streams, err)
	}
	return m, nil
}

// ColdStart is how long one module takes to become ready in a fresh host, by phase.
type ColdStart struct {
	// Compile is compiling the module (no cache); Start is instantiating it and running _initialize,
	// the root context, proxy_on_vm_start and proxy_on_configure in a host that already compiled it
	// (what each further Envoy worker pays).
	Compile, Start time.Duration
}

// MeasureColdStart compiles wasm in a runtime without a compilation cache (loading one VM, then subtracting
// the start of a second VM in the same runtime, which reuses the compiled code) and returns both phases.
func MeasureColdStart(ctx context.Context, wasm []byte, c Case) (ColdStart, error) {
	rt, err := testenv.NewRuntime(ctx, testenv.RuntimeOptions{DisableCompilationCache: true})
	if err != nil {
		return ColdStart{}, err
	}
	defer rt.Close(ctx)
	opts := testenv.VMOptions{Profile: testenv.Envoy139, PluginConfig: []byte(c.PluginConfig), Properties: c.Properties}
	t := time.Now()
	first, err := rt.LoadVM(ctx, wasm, opts)
	if err != nil {
		return ColdStart{}, fmt.Errorf("loading %s: %w", c.Module, err)
	}
	total := time.Since(t)
	_ = first.Close(ctx)
	t = time.Now()
	second, err := rt.LoadVM(ctx, wasm, opts)
	if err != nil {
		return ColdStart{}, fmt.Errorf("loading %s again: %w", c.Module, err)
	}
	start := time.Since(t)
	_ = second.Close(ctx)
	return ColdStart{Compile: max(total-start, 0), Start: start}, nil
}
