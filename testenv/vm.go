package testenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/laneway/laneway/testenv/envoyabi"
)

// phase is the restricted-capability phase the VM is in (V8's restricted callbacks).
type phase uint8

const (
	phaseNormal phase = iota
	phaseInit         // inside _initialize
	phaseAlloc        // inside proxy_on_memory_allocate
)

// callCtx is the context.Context passed to every guest call; host functions find
// their VM through it.
type callCtx struct {
	context.Context
	vm *VM
}

type vmKey struct{}

func (c *callCtx) Value(k any) any {
	if _, ok := k.(vmKey); ok {
		return c.vm
	}
	return c.Context.Value(k)
}

func vmFrom(ctx context.Context) *VM {
	if c, ok := ctx.(*callCtx); ok {
		return c.vm
	}
	return ctx.Value(vmKey{}).(*VM)
}

// exports caches the module's callback exports (nil when absent).
type exports struct {
	alloc, contextCreate, vmStart, configure          api.Function
	reqHeaders, reqBody, reqTrailers                  api.Function
	respHeaders, respBody, respTrailers               api.Function
	httpCallResponse, queueReady, tick                api.Function
	newConnection, downstreamData, upstreamData       api.Function
	downstreamClose, upstreamClose, done, log, delete api.Function
}

// hctx is one proxy-wasm context (root, HTTP stream or TCP stream).
type hctx struct {
	id          uint32
	http        *HTTPStream
	tcp         *TCPStream
	filterState map[string][]byte
	// buffers visible in the current callback
	inLog bool
}

// VM is one module instance: one plugin on one Envoy worker. Not safe for concurrent
// use; see the package documentation.
type VM struct {
	rt      *Runtime
	eng     *engine
	opts    VMOptions
	abi     envoyabi.ABIVersion
	mod     api.Module
	mem     api.Memory
	cctx    *callCtx
	fn      exports
	stack   []uint64
	phase   phase
	failed  error
	started bool

	props map[string][]byte

	root      *hctx
	nextID    uint32
	contexts  map[uint32]*hctx
	effective *hctx

	// buffers only valid during specific callbacks
	vmConfigVisible, pluginConfigVisible bool
	httpResp                             *HTTPCallResponse
	tcpData                              *[]byte

	statusCode uint32
	statusMsg  string

	hostCalls    []uint64
	exported     map[string]api.Function
	logs         []LogEntry
	callLogStart int
	fdBuf        [3]string

	pending   []func()
	inboxMu   sync.Mutex
	inbox     []func()
	draining  bool
	httpToken uint32
	// unanswered are calls whose handler returned ErrNoAnswer, answered with a timeout at their deadline.
	unanswered []unansweredCall
	httpCalls  []HTTPCallRequest
	handlers   map[string]HTTPCallHandler
	metricIDs  map[uint32]*metric
	nextMetric [3]uint32

	tickPeriod  time.Duration
	nextTick    time.Duration
	manual      time.Duration
	startWall   time.Time
	startMono   time.Time
	routeClears int
	doneCalled  int
	closed      bool
}

func newVM(ctx context.Context, rt *Runtime, e *engine, cm *compiledModule, opts VMOptions) (*VM, error) {
	vm := &VM{
		rt: rt, eng: e, opts: opts, abi: cm.abi,
		stack:      make([]uint64, 16),
		contexts:   map[uint32]*hctx{},
		handlers:   map[string]HTTPCallHandler{},
		metricIDs:  map[uint32]*metric{},
		nextMetric: [3]uint32{uint32(MetricCounter), uint32(MetricGauge), uint32(MetricHistogram)},
		startWall:  time.Now(), startMono: time.Now(),
		props:     map[string][]byte{},
		hostCalls: make([]uint64, len(e.hostNames)),
		exported:  map[string]api.Function{},
	}
	for k, v := range opts.Properties {
		if !strings.Contains(k, "\x00") {
			k = strings.ReplaceAll(k, ".", "\x00")
		}
		vm.props[k] = v
	}
	for k, h := range opts.HTTPCallHandlers {
		vm.handlers[k] = h
	}
	vm.cctx = &callCtx{Context: context.WithoutCancel(ctx), vm: vm}
	mod, err := e.r.InstantiateModule(vm.cctx, cm.cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("testenv: instantiate: %w", err)
	}
	vm.mod = mod
	vm.mem = mod.Memory()
	f := func(n string) api.Function { return mod.ExportedFunction(n) }
	vm.fn = exports{
		alloc: f("proxy_on_memory_allocate"), contextCreate: f("proxy_on_context_create"),
		vmStart: f("proxy_on_vm_start"), configure: f("proxy_on_configure"),
		reqHeaders: f("proxy_on_request_headers"), reqBody: f("proxy_on_request_body"), reqTrailers: f("proxy_on_request_trailers"),
		respHeaders: f("proxy_on_response_headers"), respBody: f("proxy_on_response_body"), respTrailers: f("proxy_on_response_trailers"),
		httpCallResponse: f("proxy_on_http_call_response"), queueReady: f("proxy_on_queue_ready"), tick: f("proxy_on_tick"),
		newConnection: f("proxy_on_new_connection"), downstreamData: f("proxy_on_downstream_data"), upstreamData: f("proxy_on_upstream_data"),
		downstreamClose: f("proxy_on_downstream_connection_close"), upstreamClose: f("proxy_on_upstream_connection_close"),
		done: f("proxy_on_done"), log: f("proxy_on_log"), delete: f("proxy_on_delete"),
	}
	if vm.fn.alloc == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("testenv: load refused: the module exports malloc but not proxy_on_memory_allocate; testenv only models proxy_on_memory_allocate")
	}
	if err := vm.start(); err != nil {
		_ = mod.Close(ctx)
		return nil, err
	}
	return vm, nil
}

func (vm *VM) start() error {
	startFn := vm.mod.ExportedFunction("_initialize")
	name := "_initialize"
	if startFn == nil {
		startFn, name = vm.mod.ExportedFunction("_start"), "_start"
	}
	if startFn != nil {
		vm.phase = phaseInit
		err := startFn.CallWithStack(vm.cctx, vm.stack)
		vm.phase = phaseNormal
		vm.flushFD()
		if err != nil {
			vm.failed = err
			return vm.startErr(name+" failed", err)
		}
	}
	vm.nextID = 1
	vm.root = &hctx{id: vm.nextID}
	vm.nextID++
	vm.contexts[vm.root.id] = vm.root
	vm.effective = vm.root
	if vm.fn.contextCreate != nil {
		if _, err := vm.call(vm.root, vm.fn.contextCreate, uint64(vm.root.id), 0); err != nil {
			return vm.startErr("proxy_on_context_create failed", err)
		}
	}
	if vm.fn.vmStart != nil {
		vm.vmConfigVisible = true
		r, err := vm.call(vm.root, vm.fn.vmStart, uint64(vm.root.id), uint64(len(vm.opts.VMConfig)))
		vm.vmConfigVisible = false
		if err != nil {
			return vm.startErr("proxy_on_vm_start failed", err)
		}
		if uint32(r) == 0 {
			return vm.startErr("proxy_on_vm_start returned false", nil)
		}
	}
	if vm.fn.configure != nil {
		vm.pluginConfigVisible = true
		r, err := vm.call(vm.root, vm.fn.configure, uint64(vm.root.id), uint64(len(vm.opts.PluginConfig)))
		vm.pluginConfigVisible = false
		if err != nil {
			return vm.startErr("proxy_on_configure failed", err)
		}
		if uint32(r) == 0 {
			return vm.startErr("proxy_on_configure returned false", nil)
		}
	}
	vm.started = true
	vm.drain()
	if vm.failed != nil {
		return vm.startErr("startup event failed", vm.failed)
	}
	return nil
}

// StartError is returned by LoadVM when the module refuses to start; Logs are the
// module's log lines up to then.
type StartError struct {
	Reason string
	Cause  error
	Logs   []LogEntry
}

func (e *StartError) Error() string {
	var b strings.Builder
	b.WriteString("testenv: VM start failed: ")
	b.WriteString(e.Reason)
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	if len(e.Logs) > 0 {
		b.WriteString("\nmodule logs:")
		for _, l := range e.Logs {
			b.WriteString("\n  [" + l.Level.String() + "] " + l.Message)
		}
	}
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Cause }

func (vm *VM) startErr(reason string, cause error) error {
	return &StartError{Reason: reason, Cause: cause, Logs: append([]LogEntry(nil), vm.logs...)}
}

// call invokes a guest export for context c with the VM's context; a trap fails the VM.
func (vm *VM) call(c *hctx, fn api.Function, params ...uint64) (uint64, error) {
	if vm.failed != nil {
		return 0, vm.failed
	}
	if vm.closed {
		return 0, errors.New("testenv: VM is closed")
	}
	prev := vm.effective
	vm.effective = c
	vm.callLogStart = len(vm.logs)
	copy(vm.stack, params)
	err := fn.CallWithStack(vm.cctx, vm.stack)
	vm.effective = prev
	vm.flushFD()
	if err != nil {
		vm.fail(fmt.Errorf("%s: %w", fn.Definition().ExportNames()[0], err))
		return 0, vm.failed
	}
	return vm.stack[0], nil
}

func (vm *VM) fail(err error) {
	if vm.failed == nil {
		vm.failed = &TrapError{Err: err, Logs: vm.failureLogs()}
	}
}

// TrapError is the VM's failure: a trap or panic in a callback. Logs are the module's
// last log lines (a Go panic prints its message to fd 2, logged at error).
type TrapError struct {
	Err  error
	Logs []LogEntry
}

func (e *TrapError) Error() string {
	var b strings.Builder
	b.WriteString("testenv: VM failed (Envoy answers 503 from now on): ")
	b.WriteString(e.Err.Error())
	if len(e.Logs) > 0 {
		b.WriteString("\nlast module logs:")
		for _, l := range e.Logs {
			b.WriteString("\n  [" + l.Level.String() + "] " + l.Message)
		}
	}
	return b.String()
}

func (e *TrapError) Unwrap() error { return e.Err }

// failureLogs returns the first lines the module logged in the failing callback (where
// a Go runtime writes "panic: ..." or "fatal error: ..."), at most 30.
func (vm *VM) failureLogs() []LogEntry {
	start := vm.callLogStart
	if start > len(vm.logs) {
		start = len(vm.logs)
	}
	l := vm.logs[start:]
	if len(l) > 30 {
		l = l[:30]
	}
	return append([]LogEntry(nil), l...)
}

// Err returns the VM's failure (a *TrapError), or nil while it is healthy.
func (vm *VM) Err() error { return vm.failed }

// ExportedGlobal reads a global the module exports (for instruments such as instrcount's counters).
func (vm *VM) ExportedGlobal(name string) (uint64, bool) {
	g := vm.mod.ExportedGlobal(name)
	if g == nil {
		return 0, false
	}
	return g.Get(), true
}

// ABIVersion is the ABI version the module announced.
func (vm *VM) ABIVersion() envoyabi.ABIVersion { return vm.abi }

// Profile is the emulated Envoy generation.
func (vm *VM) Profile() Profile { return vm.opts.Profile }

// RootContextID is the root context's id (1).
func (vm *VM) RootContextID() uint32 { return vm.root.id }

// MemorySize is the guest's linear memory size in bytes.
func (vm *VM) MemorySize() uint32 { return vm.mem.Size() }

// CallExport calls an exported function directly (benchmarks: `laneway_bench_entry`).
// Host calls it makes run on the root context. A trap fails the VM.
func (vm *VM) CallExport(name string, params ...uint64) ([]uint64, error) {
	fn, ok := vm.exported[name]
	if !ok {
		fn = vm.mod.ExportedFunction(name)
		if fn == nil {
			return nil, fmt.Errorf("testenv: the module has no export %q", name)
		}
		vm.exported[name] = fn
	}
	if vm.failed != nil {
		return nil, vm.failed
	}
	if len(vm.stack) < len(params) {
		vm.stack = make([]uint64, len(params))
	}
	r, err := vm.call(vm.root, fn, params...)
	if err != nil {
		return nil, err
	}
	n := len(fn.Definition().ResultTypes())
	if n == 0 {
		return nil, nil
	}
	_ = r
	return append([]uint64(nil), vm.stack[:n]...), nil
}

// HostCalls returns how many times the module called each host function
// ("env.proxy_get_header_map_pairs", "wasi_snapshot_preview1.poll_oneoff", ...), counting
// from the VM's start; functions never called are left out.
func (vm *VM) HostCalls() map[string]uint64 {
	out := map[string]uint64{}
	for i, n := range vm.hostCalls {
		if n > 0 {
			out[vm.eng.hostNames[i]] = n
		}
	}
	return out
}

// Logs returns every recorded log line.
func (vm *VM) Logs() []LogEntry { return vm.logs }

// LogsAt returns the messages logged at exactly the given level.
func (vm *VM) LogsAt(level LogLevel) []string {
	var out []string
	for _, l := range vm.logs {
		if l.Level == level {
			out = append(out, l.Message)
		}
	}
	return out
}

// ClearLogs forgets the recorded log lines.
func (vm *VM) ClearLogs() { vm.logs = vm.logs[:0] }

// Metric returns a metric by the name the module defined it with (Envoy prefixes
// "wasmcustom."). Metrics are shared by all VMs of the Runtime, like Envoy's stats.
func (vm *VM) Metric(name string) (Metric, bool) { return vm.rt.shared.metric(name) }

// HTTPCalls returns every proxy_http_call the module made, in order.
func (vm *VM) HTTPCalls() []HTTPCallRequest { return vm.httpCalls }

// HandleHTTPCalls answers proxy_http_call to cluster with h.
func (vm *VM) HandleHTTPCalls(cluster string, h HTTPCallHandler) { vm.handlers[cluster] = h }

// RouteCacheClears counts clear_route_cache foreign-function calls made outside any
// stream (streams count their own).
func (vm *VM) RouteCacheClears() int { return vm.routeClears }

// DoneCalls counts proxy_done calls.
func (vm *VM) DoneCalls() int { return vm.doneCalled }

// TickPeriod is the period set with proxy_set_tick_period_milliseconds.
func (vm *VM) TickPeriod() time.Duration { return vm.tickPeriod }

// AdvanceClock moves the VM's manual clock forward by d: the time the module reads
// (proxy_get_current_time_nanoseconds, WASI clocks) jumps by d on top of real time,
// and proxy_on_tick fires once per elapsed tick period.
func (vm *VM) AdvanceClock(d time.Duration) {
	target := vm.manual + d
	for vm.tickPeriod > 0 && vm.nextTick <= target && vm.failed == nil {
		vm.manual = vm.nextTick
		vm.nextTick += vm.tickPeriod
		if vm.fn.tick != nil {
			if _, err := vm.call(vm.root, vm.fn.tick, uint64(vm.root.id)); err != nil {
				break
			}
			vm.drain()
		}
	}
	vm.manual = target
	vm.timeOutCalls()
}

// unansweredCall is an HTTP call the upstream never answers; it times out at deadline (manual clock).
type unansweredCall struct {
	token    uint32
	deadline time.Duration
}

// timeOutCalls answers every unanswered call whose deadline has passed as Envoy's router does: 504.
func (vm *VM) timeOutCalls() {
	kept := vm.unanswered[:0]
	var due []uint32
	for _, c := range vm.unanswered {
		if c.deadline <= vm.manual {
			due = append(due, c.token)
		} else {
			kept = append(kept, c)
		}
	}
	vm.unanswered = kept
	for _, tok := range due {
		vm.post(func() {
			vm.respondHTTPCall(tok, HTTPCallResponse{
				Headers: Headers{{":status", "504"}, {"content-length", "24"}, {"content-type", "text/plain"}},
				Body:    []byte("upstream request timeout"),
			}, nil)
		})
	}
	vm.drain()
}

// Tick fires proxy_on_tick once now if the module set a tick period, without moving the
// clock: for drivers that follow real time (the local proxy), where AdvanceClock would
// move the module's clock ahead of it.
func (vm *VM) Tick() {
	if vm.tickPeriod <= 0 || vm.fn.tick == nil || vm.failed != nil || vm.closed {
		return
	}
	if _, err := vm.call(vm.root, vm.fn.tick, uint64(vm.root.id)); err == nil {
		vm.drain()
	}
}

// Poll runs events posted to this VM by other VMs (shared-queue deliveries) and
// goroutines (asynchronous HTTP call replies).
func (vm *VM) Poll() { vm.drain() }

// post schedules an event on this VM (from this VM's goroutine).
func (vm *VM) post(f func()) { vm.pending = append(vm.pending, f) }

// postRemote schedules an event from another VM's goroutine.
func (vm *VM) postRemote(f func()) {
	vm.inboxMu.Lock()
	vm.inbox = append(vm.inbox, f)
	vm.inboxMu.Unlock()
}

// drain runs pending events until none is left (Envoy's dispatcher loop).
func (vm *VM) drain() {
	if vm.draining {
		return
	}
	vm.draining = true
	defer func() { vm.draining = false }()
	for {
		vm.inboxMu.Lock()
		if len(vm.inbox) > 0 {
			vm.pending = append(vm.pending, vm.inbox...)
			vm.inbox = vm.inbox[:0]
		}
		vm.inboxMu.Unlock()
		if len(vm.pending) == 0 {
			return
		}
		ev := vm.pending[0]
		vm.pending[0] = nil
		vm.pending = vm.pending[1:]
		if len(vm.pending) == 0 {
			vm.pending = vm.pending[:0:0]
		}
		if vm.failed == nil && !vm.closed {
			ev()
		}
	}
}

// Close ends the VM: the root context gets proxy_on_done, then proxy_on_delete (when
// on_done returned true), and the module instance is released.
func (vm *VM) Close(ctx context.Context) error {
	if vm.closed {
		return nil
	}
	if vm.failed == nil && vm.fn.done != nil {
		r, err := vm.call(vm.root, vm.fn.done, uint64(vm.root.id))
		if err == nil && (uint32(r) != 0 || vm.doneCalled > 0) && vm.fn.delete != nil {
			_, _ = vm.call(vm.root, vm.fn.delete, uint64(vm.root.id))
		}
	}
	vm.closed = true
	vm.rt.shared.forgetVM(vm)
	return vm.mod.Close(ctx)
}

func (vm *VM) newContext() *hctx {
	c := &hctx{id: vm.nextID}
	vm.nextID++
	vm.contexts[c.id] = c
	return c
}

func (vm *VM) logf(level LogLevel, msg string) {
	if level < vm.opts.LogLevel {
		return
	}
	if vm.opts.OnLog != nil {
		vm.opts.OnLog(LogEntry{Level: level, Message: msg})
		return
	}
	vm.logs = append(vm.logs, LogEntry{Level: level, Message: msg})
}
