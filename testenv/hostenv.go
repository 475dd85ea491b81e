package testenv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/laneway/laneway/testenv/envoyabi"
)

// hostFunc is a host function body: it reads its params from stack and writes its
// result into stack[0].
type hostFunc func(vm *VM, stack []uint64)

// linkHost instantiates the `env` and WASI host modules for the engine's profile.
func (e *engine) linkHost(ctx context.Context) error {
	env := e.r.NewHostModuleBuilder(envoyabi.ModuleEnv)
	impls := proxyImpls()
	for name, sig := range envoyabi.ProxyImports(envoyabi.ABI021) {
		f, ok := impls[name]
		if !ok {
			return fmt.Errorf("testenv: no implementation for env.%s", name)
		}
		e.export(env, envoyabi.ModuleEnv, name, sig, f)
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

func u32(v uint64) uint32 { return uint32(v) }

func ret(stack []uint64, st uint32) { stack[0] = uint64(st) }

// proxyImpls maps every `env` import to its implementation.
func proxyImpls() map[string]hostFunc {
	return map[string]hostFunc{
		"proxy_log": func(vm *VM, s []uint64) {
			msg, ok := vm.readString(u32(s[1]), u32(s[2]))
			if !ok {
				ret(s, stInvalidMemory)
				return
			}
			vm.logf(LogLevel(u32(s[0])), msg)
			ret(s, stOK)
		},
		"proxy_get_log_level": func(vm *VM, s []uint64) {
			if !vm.mem.WriteUint32Le(u32(s[0]), uint32(vm.opts.LogLevel)) {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, stOK)
		},
		"proxy_get_status": func(vm *VM, s []uint64) {
			if !vm.mem.WriteUint32Le(u32(s[0]), vm.statusCode) {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, vm.returnString(vm.statusMsg, u32(s[1]), u32(s[2])))
		},
		"proxy_get_property": func(vm *VM, s []uint64) {
			path, ok := vm.readString(u32(s[0]), u32(s[1]))
			if !ok {
				ret(s, stInvalidMemory)
				return
			}
			v, found := vm.property(strings.TrimSuffix(path, "\x00"))
			if !found {
				ret(s, stNotFound)
				return
			}
			ret(s, vm.returnBytes(v, u32(s[2]), u32(s[3])))
		},
		"proxy_set_property": func(vm *VM, s []uint64) {
			path, ok1 := vm.readString(u32(s[0]), u32(s[1]))
			val, ok2 := vm.read(u32(s[2]), u32(s[3]))
			if !ok1 || !ok2 {
				ret(s, stInvalidMemory)
				return
			}
			c := vm.effective
			if c == nil || (c.http == nil && c.tcp == nil) {
				ret(s, stNotFound)
				return
			}
			if c.filterState == nil {
				c.filterState = map[string][]byte{}
			}
			c.filterState[strings.TrimSuffix(path, "\x00")] = val
			ret(s, stOK)
		},
		"proxy_send_local_response":      hostSendLocalResponse,
		"proxy_continue_stream":          hostContinueStream,
		"proxy_close_stream":             hostCloseStream,
		"proxy_get_header_map_value":     hostGetHeaderMapValue,
		"proxy_add_header_map_value":     hostAddHeaderMapValue,
		"proxy_replace_header_map_value": hostReplaceHeaderMapValue,
		"proxy_remove_header_map_value":  hostRemoveHeaderMapValue,
		"proxy_get_header_map_pairs":     hostGetHeaderMapPairs,
		"proxy_set_header_map_pairs":     hostSetHeaderMapPairs,
		"proxy_get_header_map_size":      hostGetHeaderMapSize,
		"proxy_get_buffer_status":        hostGetBufferStatus,
		"proxy_get_buffer_bytes":         hostGetBufferBytes,
		"proxy_set_buffer_bytes":         hostSetBufferBytes,
		"proxy_http_call":                hostHTTPCall,
		// gRPC is not modelled: Envoy answers BAD_ARGUMENT for an unknown service.
		"proxy_grpc_call":   func(vm *VM, s []uint64) { ret(s, stBadArgument) },
		"proxy_grpc_stream": func(vm *VM, s []uint64) { ret(s, stBadArgument) },
		"proxy_grpc_send":   func(vm *VM, s []uint64) { ret(s, stNotFound) },
		"proxy_grpc_cancel": func(vm *VM, s []uint64) { ret(s, stNotFound) },
		"proxy_grpc_close":  func(vm *VM, s []uint64) { ret(s, stNotFound) },
		"proxy_get_shared_data": func(vm *VM, s []uint64) {
			key, ok := vm.readString(u32(s[0]), u32(s[1]))
			if !ok {
				ret(s, stInvalidMemory)
				return
			}
			v, cas, found := vm.rt.shared.getData(vm.opts.VMID, key)
			if !found {
				ret(s, stNotFound)
				return
			}
			if st := vm.returnBytes(v, u32(s[2]), u32(s[3])); st != stOK {
				ret(s, st)
				return
			}
			if !vm.mem.WriteUint32Le(u32(s[4]), cas) {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, stOK)
		},
		"proxy_set_shared_data": func(vm *VM, s []uint64) {
			key, ok1 := vm.readString(u32(s[0]), u32(s[1]))
			val, ok2 := vm.read(u32(s[2]), u32(s[3]))
			if !ok1 || !ok2 {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, vm.rt.shared.setData(vm.opts.VMID, key, val, u32(s[4])))
		},
		"proxy_register_shared_queue": func(vm *VM, s []uint64) {
			name, ok := vm.readString(u32(s[0]), u32(s[1]))
			if !ok {
				ret(s, stInvalidMemory)
				return
			}
			tok := vm.rt.shared.register(vm, name)
			if !vm.mem.WriteUint32Le(u32(s[2]), tok) {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, stOK)
		},
		"proxy_resolve_shared_queue": func(vm *VM, s []uint64) {
			vmID, ok1 := vm.readString(u32(s[0]), u32(s[1]))
			name, ok2 := vm.readString(u32(s[2]), u32(s[3]))
			if !ok1 || !ok2 {
				ret(s, stInvalidMemory)
				return
			}
			if vmID == "" {
				vmID = vm.opts.VMID
			}
			tok, found := vm.rt.shared.resolve(vmID, name)
			if !found {
				ret(s, stNotFound)
				return
			}
			if !vm.mem.WriteUint32Le(u32(s[4]), tok) {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, stOK)
		},
		"proxy_enqueue_shared_queue": func(vm *VM, s []uint64) {
			tok := u32(s[0])
			data, ok := vm.read(u32(s[1]), u32(s[2]))
			if !ok {
				ret(s, stInvalidMemory)
				return
			}
			owner, found := vm.rt.shared.enqueue(tok, data)
			if !found {
				ret(s, stNotFound)
				return
			}
			if owner != nil {
				ev := func() { owner.queueReady(tok) }
				if owner == vm {
					vm.post(ev)
				} else {
					owner.postRemote(ev)
				}
			}
			ret(s, stOK)
		},
		"proxy_dequeue_shared_queue": func(vm *VM, s []uint64) {
			data, st := vm.rt.shared.dequeue(u32(s[0]))
			if st != stOK {
				ret(s, st)
				return
			}
			ret(s, vm.returnBytes(data, u32(s[1]), u32(s[2])))
		},
		"proxy_set_tick_period_milliseconds": func(vm *VM, s []uint64) {
			vm.tickPeriod = time.Duration(u32(s[0])) * time.Millisecond
			vm.nextTick = vm.manual + vm.tickPeriod
			ret(s, stOK)
		},
		"proxy_get_current_time_nanoseconds": func(vm *VM, s []uint64) {
			if !vm.mem.WriteUint64Le(u32(s[0]), uint64(vm.wallNow())) {
				ret(s, stInvalidMemory)
				return
			}
			ret(s, stOK)
		},
		"proxy_define_metric":    hostDefineMetric,
		"proxy_increment_metric": hostIncrementMetric,
		"proxy_record_metric":    hostRecordMetric,
		"proxy_get_metric":       hostGetMetric,
		"proxy_set_effective_context": func(vm *VM, s []uint64) {
			c, ok := vm.contexts[u32(s[0])]
			if !ok {
				ret(s, stBadArgument)
				return
			}
			vm.effective = c
			ret(s, stOK)
		},
		"proxy_done": func(vm *VM, s []uint64) {
			vm.doneCalled++
			ret(s, stOK)
		},
		"proxy_call_foreign_function": func(vm *VM, s []uint64) {
			name, ok := vm.readString(u32(s[0]), u32(s[1]))
			if !ok {
				ret(s, stInvalidMemory)
				return
			}
			switch name {
			case "clear_route_cache":
				if c := vm.effective; c != nil && c.http != nil {
					c.http.routeClears++
				} else {
					vm.routeClears++
				}
				ret(s, stOK)
			default:
				ret(s, stNotFound)
			}
		},
		"envoy_resolve_dns":               func(vm *VM, s []uint64) { ret(s, stBadArgument) },
		"pthread_equal":                   func(vm *VM, s []uint64) { s[0] = boolU64(s[0] == s[1]) },
		"emscripten_notify_memory_growth": func(vm *VM, s []uint64) {},
	}
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (vm *VM) wallNow() int64 {
	return vm.startWall.UnixNano() + int64(time.Since(vm.startMono)) + int64(vm.manual)
}

func (vm *VM) monoNow() int64 {
	return int64(time.Since(vm.startMono)) + int64(vm.manual) + 1
}

// Map types.
const (
	mapRequestHeaders       = 0
	mapRequestTrailers      = 1
	mapResponseHeaders      = 2
	mapResponseTrailers     = 3
	mapHTTPCallRespHeaders  = 6
	mapHTTPCallRespTrailers = 7
)

// headerMap returns the map of the given type in the effective context.
func (vm *VM) headerMap(t uint32) (*Headers, uint32) {
	switch t {
	case mapRequestHeaders, mapRequestTrailers, mapResponseHeaders, mapResponseTrailers:
		c := vm.effective
		if c == nil || c.http == nil {
			return nil, stBadArgument
		}
		s := c.http
		var h *Headers
		var have bool
		switch t {
		case mapRequestHeaders:
			h, have = &s.req.headers, s.req.haveHeaders
		case mapRequestTrailers:
			h, have = &s.req.trailers, s.req.haveTrailers
		case mapResponseHeaders:
			h, have = &s.resp.headers, s.resp.haveHeaders
		case mapResponseTrailers:
			h, have = &s.resp.trailers, s.resp.haveTrailers
		}
		if !have {
			if c.inLog {
				return nil, stNotFound
			}
			return nil, stBadArgument
		}
		return h, stOK
	case mapHTTPCallRespHeaders:
		if vm.httpResp == nil {
			return nil, stBadArgument
		}
		return &vm.httpResp.Headers, stOK
	case mapHTTPCallRespTrailers:
		if vm.httpResp == nil {
			return nil, stBadArgument
		}
		return &vm.httpResp.Trailers, stOK
	}
	return nil, stBadArgument
}

// mutated records a request-header change: Envoy clears the route cache for ABI <= 0.2.1.
func (vm *VM) mutated(t uint32) {
	if t == mapRequestHeaders && vm.effective != nil && vm.effective.http != nil {
		vm.effective.http.autoRouteClears++
	}
}

// headerArgs reads the arguments every single-header host call starts with: the map type and its map,
// the key (lower-cased, as Envoy stores names) and, when withValue, the value in stack slots 3 and 4.
func (vm *VM) headerArgs(s []uint64, withValue bool) (t uint32, h *Headers, key, val string, st uint32) {
	t = u32(s[0])
	if h, st = vm.headerMap(t); st != stOK {
		return t, nil, "", "", st
	}
	key, ok := vm.readString(u32(s[1]), u32(s[2]))
	if ok && withValue {
		val, ok = vm.readString(u32(s[3]), u32(s[4]))
	}
	if !ok {
		return t, nil, "", "", stInvalidMemory
	}
	return t, h, lower(key), val, stOK
}

func hostGetHeaderMapValue(vm *VM, s []uint64) {
	_, h, key, _, st := vm.headerArgs(s, false)
	if st != stOK {
		ret(s, st)
		return
	}
	for _, kv := range *h {
		if kv.Key == key {
			ret(s, vm.returnString(kv.Value, u32(s[3]), u32(s[4])))
			return
		}
	}
	ret(s, stNotFound)
}

func hostAddHeaderMapValue(vm *VM, s []uint64) {
	t, h, key, val, st := vm.headerArgs(s, true)
	if st != stOK {
		ret(s, st)
		return
	}
	*h = append(*h, Header{key, val})
	vm.mutated(t)
	ret(s, stOK)
}

// hostReplaceHeaderMapValue puts the value in place of the key's first entry and drops the others, or
// appends it when the key is absent.
func hostReplaceHeaderMapValue(vm *VM, s []uint64) {
	t, h, key, val, st := vm.headerArgs(s, true)
	if st != stOK {
		ret(s, st)
		return
	}
	out := (*h)[:0]
	replaced := false
	for _, kv := range *h {
		if kv.Key == key {
			if !replaced {
				out = append(out, Header{key, val})
				replaced = true
			}
			continue
		}
		out = append(out, kv)
	}
	if !replaced {
		out = append(out, Header{key, val})
	}
	*h = out
	vm.mutated(t)
	ret(s, stOK)
}

func hostRemoveHeaderMapValue(vm *VM, s []uint64) {
	t, h, key, _, st := vm.headerArgs(s, false)
	if st != stOK {
		ret(s, st)
		return
	}
	*h = slices.DeleteFunc(*h, func(kv Header) bool { return kv.Key == key })
	vm.mutated(t)
	ret(s, stOK)
}

func hostGetHeaderMapPairs(vm *VM, s []uint64) {
	h, st := vm.headerMap(u32(s[0]))
	if st != stOK {
		ret(s, st)
		return
	}
	ret(s, vm.returnPairs(*h, u32(s[1]), u32(s[2])))
}

func hostSetHeaderMapPairs(vm *VM, s []uint64) {
	t := u32(s[0])
	h, st := vm.headerMap(t)
	if st != stOK {
		ret(s, st)
		return
	}
	pairs, ok := vm.readPairs(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, stInvalidMemory)
		return
	}
	out := make(Headers, 0, len(pairs))
	for _, kv := range pairs {
		out = append(out, Header{lower(kv.Key), kv.Value})
	}
	*h = out
	vm.mutated(t)
	ret(s, stOK)
}

func hostGetHeaderMapSize(vm *VM, s []uint64) {
	h, st := vm.headerMap(u32(s[0]))
	if st != stOK {
		ret(s, st)
		return
	}
	n := 0
	for _, kv := range *h {
		n += len(kv.Key) + len(kv.Value)
	}
	if !vm.mem.WriteUint32Le(u32(s[1]), uint32(n)) {
		ret(s, stInvalidMemory)
		return
	}
	ret(s, stOK)
}

// Buffer types.
const (
	bufRequestBody  = 0
	bufResponseBody = 1
	bufDownstream   = 2
	bufUpstream     = 3
	bufHTTPCallBody = 4
	bufVMConfig     = 6
	bufPluginConfig = 7
)

// buffer returns the buffer of the given type; writable is false for read-only ones.
func (vm *VM) buffer(t uint32) (buf *[]byte, writable bool, st uint32) {
	c := vm.effective
	switch t {
	case bufRequestBody, bufResponseBody:
		if c == nil || c.http == nil {
			return nil, false, stBadArgument
		}
		d := &c.http.req
		if t == bufResponseBody {
			d = &c.http.resp
		}
		if !d.bodySeen {
			return nil, false, stBadArgument
		}
		return &d.buffered, true, stOK
	case bufDownstream, bufUpstream:
		if c == nil || c.tcp == nil {
			return nil, false, stBadArgument
		}
		if t == bufDownstream {
			return &c.tcp.down.buffered, true, stOK
		}
		return &c.tcp.up.buffered, true, stOK
	case bufHTTPCallBody:
		if vm.httpResp == nil {
			return nil, false, stBadArgument
		}
		return &vm.httpResp.Body, false, stOK
	case bufVMConfig:
		if !vm.vmConfigVisible {
			return nil, false, stBadArgument
		}
		return &vm.opts.VMConfig, false, stOK
	case bufPluginConfig:
		if !vm.pluginConfigVisible {
			return nil, false, stBadArgument
		}
		return &vm.opts.PluginConfig, false, stOK
	}
	return nil, false, stBadArgument
}

func hostGetBufferStatus(vm *VM, s []uint64) {
	b, _, st := vm.buffer(u32(s[0]))
	if st != stOK {
		ret(s, st)
		return
	}
	if !vm.mem.WriteUint32Le(u32(s[1]), uint32(len(*b))) || !vm.mem.WriteUint32Le(u32(s[2]), 0) {
		ret(s, stInvalidMemory)
		return
	}
	ret(s, stOK)
}

func hostGetBufferBytes(vm *VM, s []uint64) {
	b, _, st := vm.buffer(u32(s[0]))
	if st != stOK {
		ret(s, st)
		return
	}
	start, max := uint64(u32(s[1])), uint64(u32(s[2]))
	n := uint64(len(*b))
	if start >= n || max == 0 {
		ret(s, vm.returnBytes(nil, u32(s[3]), u32(s[4])))
		return
	}
	end := start + max
	if end > n {
		end = n
	}
	ret(s, vm.returnBytes((*b)[start:end], u32(s[3]), u32(s[4])))
}

func hostSetBufferBytes(vm *VM, s []uint64) {
	b, writable, st := vm.buffer(u32(s[0]))
	if st != stOK {
		ret(s, st)
		return
	}
	if !writable {
		ret(s, stBadArgument)
		return
	}
	start, length := uint64(u32(s[1])), uint64(u32(s[2]))
	data, ok := vm.read(u32(s[3]), u32(s[4]))
	if !ok {
		ret(s, stInvalidMemory)
		return
	}
	size := uint64(len(*b))
	switch {
	case start == 0:
		if length > size {
			length = size
		}
		*b = append(data, (*b)[length:]...)
	case start >= size:
		*b = append(*b, data...)
	default:
		ret(s, stBadArgument)
		return
	}
	ret(s, stOK)
}

func hostSendLocalResponse(vm *VM, s []uint64) {
	details, ok1 := vm.readString(u32(s[1]), u32(s[2]))
	body, ok2 := vm.read(u32(s[3]), u32(s[4]))
	hdrs, ok3 := vm.readPairs(u32(s[5]), u32(s[6]))
	if !ok1 || !ok2 || !ok3 {
		ret(s, stInvalidMemory)
		return
	}
	c := vm.effective
	if c == nil || c.http == nil {
		ret(s, stOK) // without a stream Envoy does nothing
		return
	}
	grpc := int32(u32(s[7]))
	if grpc < 0 || grpc > 16 {
		grpc = -1
	}
	lr := &LocalResponse{
		StatusCode: u32(s[0]), Details: strings.ReplaceAll(details, " ", "_"),
		Headers: hdrs, Body: body, GRPCStatus: grpc,
	}
	st := c.http
	st.localInCallback = true
	vm.post(func() { st.applyLocalResponse(lr) })
	ret(s, stOK)
}

// Stream types.
const (
	streamRequest    = 0
	streamResponse   = 1
	streamDownstream = 2
	streamUpstream   = 3
)

func hostContinueStream(vm *VM, s []uint64) {
	c := vm.effective
	t := u32(s[0])
	switch {
	case t == streamUpstream:
		ret(s, stUnimplemented)
	case t > streamUpstream:
		ret(s, stBadArgument)
	case c != nil && c.http != nil && (t == streamRequest || t == streamResponse):
		st := c.http
		vm.post(func() { st.resume(t == streamResponse) })
		ret(s, stOK)
	case c != nil && c.tcp != nil && t == streamDownstream:
		tc := c.tcp
		vm.post(func() { tc.resumeDownstream() })
		ret(s, stOK)
	default:
		ret(s, stBadArgument)
	}
}

func hostCloseStream(vm *VM, s []uint64) {
	c := vm.effective
	t := u32(s[0])
	switch {
	case t > streamUpstream:
		ret(s, stBadArgument)
	case c != nil && c.http != nil:
		c.http.reset = true
		ret(s, stOK)
	case c != nil && c.tcp != nil:
		c.tcp.closedByFilter = true
		ret(s, stOK)
	default:
		ret(s, stBadArgument)
	}
}

func hostHTTPCall(vm *VM, s []uint64) {
	cluster, ok1 := vm.readString(u32(s[0]), u32(s[1]))
	hdrs, ok2 := vm.readPairs(u32(s[2]), u32(s[3]))
	body, ok3 := vm.read(u32(s[4]), u32(s[5]))
	trl, ok4 := vm.readPairs(u32(s[6]), u32(s[7]))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		ret(s, stInvalidMemory)
		return
	}
	h, known := vm.handlers[cluster]
	async, knownAsync := vm.opts.AsyncHTTPCallHandlers[cluster]
	if !known && !knownAsync {
		ret(s, stBadArgument)
		return
	}
	for _, p := range []string{":method", ":path", ":authority"} {
		if v, ok := hdrs.Get(p); !ok || v == "" {
			ret(s, stBadArgument)
			return
		}
	}
	if len(body) > 0 {
		hdrs = append(hdrs, Header{"content-length", strconv.Itoa(len(body))})
	}
	hdrs = append(hdrs, Header{"x-envoy-internal", "true"})
	var id uint32
	if vm.effective != nil {
		id = vm.effective.id
	}
	req := HTTPCallRequest{Cluster: cluster, Headers: hdrs, Body: body, Trailers: trl, TimeoutMS: u32(s[8]), ContextID: id}
	vm.httpToken++
	tok := vm.httpToken
	if !vm.mem.WriteUint32Le(u32(s[9]), tok) {
		ret(s, stInvalidMemory)
		return
	}
	vm.httpCalls = append(vm.httpCalls, req)
	if !known {
		vm.post(func() {
			async(req, func(resp HTTPCallResponse, err error) {
				vm.postRemote(func() { vm.respondHTTPCall(tok, resp, err) })
			})
		})
		ret(s, stOK)
		return
	}
	vm.post(func() { vm.deliverHTTPCall(tok, h, req) })
	ret(s, stOK)
}

func (vm *VM) deliverHTTPCall(tok uint32, h HTTPCallHandler, req HTTPCallRequest) {
	resp, err := h(req)
	if errors.Is(err, ErrNoAnswer) {
		vm.unanswered = append(vm.unanswered, unansweredCall{token: tok, deadline: vm.manual + time.Duration(req.TimeoutMS)*time.Millisecond})
		return
	}
	vm.respondHTTPCall(tok, resp, err)
}

// respondHTTPCall delivers an HTTP call's outcome to the root context (proxy_on_http_call_response).
func (vm *VM) respondHTTPCall(tok uint32, resp HTTPCallResponse, err error) {
	if vm.fn.httpCallResponse == nil {
		return
	}
	if err != nil {
		vm.statusCode, vm.statusMsg = stBrokenConnection, "reset"
		_, _ = vm.call(vm.root, vm.fn.httpCallResponse, uint64(vm.root.id), uint64(tok), 0, 0, 0)
	} else {
		vm.statusCode, vm.statusMsg = stOK, ""
		vm.httpResp = &resp
		_, _ = vm.call(vm.root, vm.fn.httpCallResponse, uint64(vm.root.id), uint64(tok),
			uint64(len(resp.Headers)), uint64(len(resp.Body)), uint64(len(resp.Trailers)))
	}
	vm.httpResp = nil
	vm.statusCode, vm.statusMsg = stOK, ""
}

func (vm *VM) queueReady(tok uint32) {
	if vm.fn.queueReady == nil {
		return
	}
	_, _ = vm.call(vm.root, vm.fn.queueReady, uint64(vm.root.id), uint64(tok))
}

func hostDefineMetric(vm *VM, s []uint64) {
	t := u32(s[0])
	if t > uint32(MetricHistogram) {
		ret(s, stBadArgument)
		return
	}
	name, ok := vm.readString(u32(s[1]), u32(s[2]))
	if !ok {
		ret(s, stInvalidMemory)
		return
	}
	m := vm.rt.shared.defineMetric(name, MetricType(t))
	id := vm.nextMetric[t]
	vm.nextMetric[t] += 4
	vm.metricIDs[id] = m
	if !vm.mem.WriteUint32Le(u32(s[3]), id) {
		ret(s, stInvalidMemory)
		return
	}
	ret(s, stOK)
}

func hostIncrementMetric(vm *VM, s []uint64) {
	m, ok := vm.metricIDs[u32(s[0])]
	if !ok {
		ret(s, stNotFound)
		return
	}
	delta := int64(s[1])
	switch m.typ {
	case MetricCounter:
		if delta <= 0 {
			ret(s, stBadArgument)
			return
		}
		vm.rt.shared.updateMetric(func() { m.value += delta })
	case MetricGauge:
		vm.rt.shared.updateMetric(func() { m.value += delta })
	default:
		ret(s, stBadArgument)
		return
	}
	ret(s, stOK)
}

func hostRecordMetric(vm *VM, s []uint64) {
	m, ok := vm.metricIDs[u32(s[0])]
	if !ok {
		ret(s, stNotFound)
		return
	}
	v := s[1]
	vm.rt.shared.updateMetric(func() {
		switch m.typ {
		case MetricCounter:
			m.value += int64(v)
		case MetricGauge:
			m.value = int64(v)
		case MetricHistogram:
			m.samples = append(m.samples, v)
		}
	})
	ret(s, stOK)
}

func hostGetMetric(vm *VM, s []uint64) {
	m, ok := vm.metricIDs[u32(s[0])]
	if !ok {
		ret(s, stNotFound)
		return
	}
	if m.typ == MetricHistogram {
		ret(s, stBadArgument)
		return
	}
	var v int64
	vm.rt.shared.updateMetric(func() { v = m.value })
	if !vm.mem.WriteUint64Le(u32(s[1]), uint64(v)) {
		ret(s, stInvalidMemory)
		return
	}
	ret(s, stOK)
}
