package testenv

// Buffers: bodies, TCP data, an HTTP call's response body, and the VM and plugin configurations.

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

func hostGetBufferStatus(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	b, _, st := vm.buffer(a.u32())
	if st != stOK {
		return st
	}
	if !vm.mem.WriteUint32Le(a.u32(), uint32(len(*b))) || !vm.mem.WriteUint32Le(a.u32(), 0) {
		return stInvalidMemory
	}
	return stOK
}

func hostGetBufferBytes(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	b, _, st := vm.buffer(a.u32())
	if st != stOK {
		return st
	}
	start, max := uint64(a.u32()), uint64(a.u32())
	ptrOut, lenOut := a.u32(), a.u32()
	n := uint64(len(*b))
	if start >= n || max == 0 {
		return vm.returnBytes(nil, ptrOut, lenOut)
	}
	end := start + max
	if end > n {
		end = n
	}
	return vm.returnBytes((*b)[start:end], ptrOut, lenOut)
}

func hostSetBufferBytes(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	b, writable, st := vm.buffer(a.u32())
	if st != stOK {
		return st
	}
	if !writable {
		return stBadArgument
	}
	start, length := uint64(a.u32()), uint64(a.u32())
	data := a.bytes()
	if a.bad {
		return stInvalidMemory
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
		return stBadArgument
	}
	return stOK
}
