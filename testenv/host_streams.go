package testenv

import "strings"

// Streams and contexts: local replies, resuming and closing streams, the effective context, proxy_done.

// Stream types.
const (
	streamRequest    = 0
	streamResponse   = 1
	streamDownstream = 2
	streamUpstream   = 3
)

func hostSendLocalResponse(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	status, details, body, hdrs, grpc := a.u32(), a.str(), a.bytes(), a.pairs(), int32(a.u32())
	if a.bad {
		return stInvalidMemory
	}
	c := vm.effective
	if c == nil || c.http == nil {
		return stOK // without a stream Envoy does nothing
	}
	if grpc < 0 || grpc > 16 {
		grpc = -1
	}
	lr := &LocalResponse{
		StatusCode: status, Details: strings.ReplaceAll(details, " ", "_"),
		Headers: hdrs, Body: body, GRPCStatus: grpc,
	}
	st := c.http
	st.localInCallback = true
	vm.post(func() { st.applyLocalResponse(lr) })
	return stOK
}

func hostContinueStream(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	c, t := vm.effective, a.u32()
	switch {
	case t == streamUpstream:
		return stUnimplemented
	case t > streamUpstream:
		return stBadArgument
	case c != nil && c.http != nil && (t == streamRequest || t == streamResponse):
		st := c.http
		vm.post(func() { st.resume(t == streamResponse) })
		return stOK
	case c != nil && c.tcp != nil && t == streamDownstream:
		tc := c.tcp
		vm.post(func() { tc.resumeDownstream() })
		return stOK
	default:
		return stBadArgument
	}
}

func hostCloseStream(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	c, t := vm.effective, a.u32()
	switch {
	case t > streamUpstream:
		return stBadArgument
	case c != nil && c.http != nil:
		c.http.reset = true
		return stOK
	case c != nil && c.tcp != nil:
		c.tcp.closedByFilter = true
		return stOK
	default:
		return stBadArgument
	}
}

func hostSetEffectiveContext(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	c, ok := vm.contexts[a.u32()]
	if !ok {
		return stBadArgument
	}
	vm.effective = c
	return stOK
}

func hostDone(vm *VM, _ []uint64) uint32 {
	vm.doneCalled++
	return stOK
}
