package testenv

import (
	"errors"
	"strconv"
	"time"
)

// HTTP and gRPC calls: proxy_http_call to the handlers a test registers per cluster, and proxy_get_status,
// which reports a call's outcome during proxy_on_http_call_response. gRPC is not modelled.

func hostHTTPCall(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	cluster, hdrs, body, trl := a.str(), a.pairs(), a.bytes(), a.pairs()
	timeout, tokenOut := a.u32(), a.u32()
	if a.bad {
		return stInvalidMemory
	}
	h, known := vm.handlers[cluster]
	async, knownAsync := vm.opts.AsyncHTTPCallHandlers[cluster]
	if !known && !knownAsync {
		return stBadArgument
	}
	for _, p := range []string{":method", ":path", ":authority"} {
		if v, ok := hdrs.Get(p); !ok || v == "" {
			return stBadArgument
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
	req := HTTPCallRequest{Cluster: cluster, Headers: hdrs, Body: body, Trailers: trl, TimeoutMS: timeout, ContextID: id}
	vm.httpToken++
	tok := vm.httpToken
	if !vm.mem.WriteUint32Le(tokenOut, tok) {
		return stInvalidMemory
	}
	vm.httpCalls = append(vm.httpCalls, req)
	if !known {
		vm.post(func() {
			async(req, func(resp HTTPCallResponse, err error) {
				vm.postRemote(func() { vm.respondHTTPCall(tok, resp, err) })
			})
		})
		return stOK
	}
	vm.post(func() { vm.deliverHTTPCall(tok, h, req) })
	return stOK
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

func hostGetStatus(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	if !vm.mem.WriteUint32Le(a.u32(), vm.statusCode) {
		return stInvalidMemory
	}
	return vm.returnString(vm.statusMsg, a.u32(), a.u32())
}

// hostGRPCUnknownService answers proxy_grpc_call and proxy_grpc_stream as Envoy does for an unknown service.
func hostGRPCUnknownService(*VM, []uint64) uint32 { return stBadArgument }

// hostGRPCUnknownCall answers proxy_grpc_send, _cancel and _close as Envoy does for an unknown call.
func hostGRPCUnknownCall(*VM, []uint64) uint32 { return stNotFound }
