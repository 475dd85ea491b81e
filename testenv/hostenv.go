package testenv

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/laneway/laneway/testenv/envoyabi"
)

// The host functions Envoy gives a module, one file per area of the proxy-wasm ABI: host_logging.go,
// host_properties.go, host_headers.go, host_buffers.go, host_streams.go (local replies, stream control,
// contexts), host_httpcalls.go (HTTP and gRPC calls), host_shared.go (shared data and queues),
// host_timing.go, host_metrics.go, host_foreign.go (foreign functions and Envoy's non-ABI imports), and
// wasi.go (WASI). proxyFuncs below is the one table naming them.

// hostFunc is a host function body: it reads its params from stack and writes its
// result into stack[0].
type hostFunc func(vm *VM, stack []uint64)

// proxyFunc is an `env` host function: it reads its params from stack (through args) and returns its
// result, a proxy_status_t for every ABI function.
type proxyFunc func(vm *VM, stack []uint64) uint32

// proxyFuncs maps every `env` import to its implementation.
var proxyFuncs = map[string]proxyFunc{
	"proxy_log":                          hostLog,
	"proxy_get_log_level":                hostGetLogLevel,
	"proxy_get_status":                   hostGetStatus,
	"proxy_get_property":                 hostGetProperty,
	"proxy_set_property":                 hostSetProperty,
	"proxy_send_local_response":          hostSendLocalResponse,
	"proxy_continue_stream":              hostContinueStream,
	"proxy_close_stream":                 hostCloseStream,
	"proxy_set_effective_context":        hostSetEffectiveContext,
	"proxy_done":                         hostDone,
	"proxy_get_header_map_value":         hostGetHeaderMapValue,
	"proxy_add_header_map_value":         hostAddHeaderMapValue,
	"proxy_replace_header_map_value":     hostReplaceHeaderMapValue,
	"proxy_remove_header_map_value":      hostRemoveHeaderMapValue,
	"proxy_get_header_map_pairs":         hostGetHeaderMapPairs,
	"proxy_set_header_map_pairs":         hostSetHeaderMapPairs,
	"proxy_get_header_map_size":          hostGetHeaderMapSize,
	"proxy_get_buffer_status":            hostGetBufferStatus,
	"proxy_get_buffer_bytes":             hostGetBufferBytes,
	"proxy_set_buffer_bytes":             hostSetBufferBytes,
	"proxy_http_call":                    hostHTTPCall,
	"proxy_grpc_call":                    hostGRPCUnknownService,
	"proxy_grpc_stream":                  hostGRPCUnknownService,
	"proxy_grpc_send":                    hostGRPCUnknownCall,
	"proxy_grpc_cancel":                  hostGRPCUnknownCall,
	"proxy_grpc_close":                   hostGRPCUnknownCall,
	"proxy_get_shared_data":              hostGetSharedData,
	"proxy_set_shared_data":              hostSetSharedData,
	"proxy_register_shared_queue":        hostRegisterSharedQueue,
	"proxy_resolve_shared_queue":         hostResolveSharedQueue,
	"proxy_enqueue_shared_queue":         hostEnqueueSharedQueue,
	"proxy_dequeue_shared_queue":         hostDequeueSharedQueue,
	"proxy_set_tick_period_milliseconds": hostSetTickPeriod,
	"proxy_get_current_time_nanoseconds": hostGetCurrentTime,
	"proxy_define_metric":                hostDefineMetric,
	"proxy_increment_metric":             hostIncrementMetric,
	"proxy_record_metric":                hostRecordMetric,
	"proxy_get_metric":                   hostGetMetric,
	"proxy_call_foreign_function":        hostCallForeignFunction,
	"envoy_resolve_dns":                  hostResolveDNS,
	"pthread_equal":                      hostPthreadEqual,
	"emscripten_notify_memory_growth":    hostNotifyMemoryGrowth,
}

// linkHost instantiates the `env` and WASI host modules for the engine's profile.
func (e *engine) linkHost(ctx context.Context) error {
	env := e.r.NewHostModuleBuilder(envoyabi.ModuleEnv)
	for name, sig := range envoyabi.ProxyImports(envoyabi.ABI021) {
		f, ok := proxyFuncs[name]
		if !ok {
			return fmt.Errorf("testenv: no implementation for env.%s", name)
		}
		e.export(env, envoyabi.ModuleEnv, name, sig, f.hostFunc(len(sig.Results) > 0))
	}
	if _, err := env.Instantiate(ctx); err != nil {
		return err
	}
	wimpls := wasiImpls(e.profile)
	for _, mod := range []string{envoyabi.ModuleWASI, envoyabi.ModuleWASIUnstable} {
		b := e.r.NewHostModuleBuilder(mod)
		for name, sig := range envoyabi.WASIImports(e.profile) {
			f, ok := wimpls[name]
			if !ok {
				return fmt.Errorf("testenv: no implementation for %s.%s", mod, name)
			}
			e.export(b, mod, name, sig, f)
		}
		if _, err := b.Instantiate(ctx); err != nil {
			return err
		}
	}
	return nil
}

// hostFunc adapts f to the stack convention: its result goes to stack[0] when the import has one.
func (f proxyFunc) hostFunc(hasResult bool) hostFunc {
	if !hasResult {
		return func(vm *VM, stack []uint64) { f(vm, stack) }
	}
	return func(vm *VM, stack []uint64) { stack[0] = uint64(f(vm, stack)) }
}

func (e *engine) export(b wazero.HostModuleBuilder, module, name string, sig envoyabi.Signature, f hostFunc) {
	id := len(e.hostNames)
	e.hostNames = append(e.hostNames, module+"."+name)
	b.NewFunctionBuilder().
		WithGoModuleFunction(guard(e.profile, module, name, id, f), types(sig.Params), types(sig.Results)).
		WithName(name).
		Export(name)
}

func types(v []envoyabi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(v))
	for i, t := range v {
		out[i] = api.ValueType(t)
	}
	return out
}

// guard wraps f with V8's restricted-phase checks.
func guard(g Profile, module, name string, id int, f hostFunc) api.GoModuleFunc {
	initOK := envoyabi.InitAllowed(g, module, name)
	allocOK := envoyabi.AllocAllowed(g, module, name)
	full := module + "." + name
	return func(ctx context.Context, _ api.Module, stack []uint64) {
		vm := vmFrom(ctx)
		vm.hostCalls[id]++
		switch vm.phase {
		case phaseInit:
			if !initOK {
				panic(&restrictedError{phase: "_initialize", name: full})
			}
		case phaseAlloc:
			if !allocOK {
				panic(&restrictedError{phase: "proxy_on_memory_allocate", name: full})
			}
		}
		f(vm, stack)
	}
}

// args reads a host call's params in order: each method takes the next one (or, for guest memory, the next
// pointer and length). A guest range out of bounds sets bad; the call then answers stInvalidMemory.
type args struct {
	vm  *VM
	s   []uint64
	i   int
	bad bool
}

// args starts reading the params in stack.
func (vm *VM) args(stack []uint64) args { return args{vm: vm, s: stack} }

// u32 returns the next param as an i32 (a number, a type or a pointer the host writes to).
func (a *args) u32() uint32 {
	v := uint32(a.s[a.i])
	a.i++
	return v
}

// u64 returns the next param as an i64.
func (a *args) u64() uint64 {
	v := a.s[a.i]
	a.i++
	return v
}

// mem returns the guest bytes at the next pointer and length, aliasing guest memory (nil when out of bounds).
func (a *args) mem() []byte {
	b, ok := a.vm.mem.Read(a.u32(), a.u32())
	a.bad = a.bad || !ok
	return b
}

// str returns a copy of the guest string at the next pointer and length. It is small enough to inline, so a
// string the caller only compares (a property path, a header name to find) stays off the heap.
func (a *args) str() string { return string(a.mem()) }

// bytes returns a copy of the guest bytes at the next pointer and length.
func (a *args) bytes() []byte { return append([]byte(nil), a.mem()...) }

// pairs returns the header map serialized (proxy-wasm pairs encoding) at the next pointer and length.
func (a *args) pairs() Headers {
	v, ok := a.vm.readPairs(a.u32(), a.u32())
	a.bad = a.bad || !ok
	return v
}

// writeU32 writes v at ptr in guest memory: stOK, or stInvalidMemory when out of bounds.
func (vm *VM) writeU32(ptr, v uint32) uint32 {
	if !vm.mem.WriteUint32Le(ptr, v) {
		return stInvalidMemory
	}
	return stOK
}

func ret(stack []uint64, st uint32) { stack[0] = uint64(st) }

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func u32(v uint64) uint32 { return uint32(v) }
