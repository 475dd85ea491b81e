package testenv

import "github.com/tetratelabs/wazero/api"

type tcpDir struct {
	buffered  []byte
	forwarded []byte
	stopped   bool
}

// TCPStream is one TCP connection through the filter (network filter callbacks).
type TCPStream struct {
	vm             *VM
	ctx            *hctx
	down, up       tcpDir
	closedByFilter bool
	completed      bool
}

// NewTCPStream creates the connection's context and calls proxy_on_new_connection.
func (vm *VM) NewTCPStream() (*TCPStream, Action) {
	s := &TCPStream{vm: vm}
	if vm.failed != nil {
		return s, ActionFailed
	}
	s.ctx = vm.newContext()
	s.ctx.tcp = s
	if vm.fn.contextCreate != nil {
		if _, err := vm.call(s.ctx, vm.fn.contextCreate, uint64(s.ctx.id), uint64(vm.root.id)); err != nil {
			return s, ActionFailed
		}
	}
	a := s.invoke(vm.fn.newConnection, uint64(s.ctx.id))
	vm.drain()
	return s, a
}

func (s *TCPStream) invoke(fn api.Function, params ...uint64) Action {
	if s.vm.failed != nil {
		return ActionFailed
	}
	if fn == nil {
		return ActionContinue
	}
	r, err := s.vm.call(s.ctx, fn, params...)
	if err != nil {
		return ActionFailed
	}
	return Action(uint32(r))
}

func (s *TCPStream) data(d *tcpDir, fn api.Function, b []byte, eos bool) Action {
	d.buffered = append(d.buffered, b...)
	a := s.invoke(fn, uint64(s.ctx.id), uint64(len(d.buffered)), boolParam(eos))
	if a == ActionContinue {
		d.forwarded = append(d.forwarded, d.buffered...)
		d.buffered = d.buffered[:0]
		d.stopped = false
	} else if a != ActionFailed {
		d.stopped = true
	}
	s.vm.drain()
	return a
}

// DownstreamData delivers bytes from the client (proxy_on_downstream_data).
func (s *TCPStream) DownstreamData(b []byte, endOfStream bool) Action {
	return s.data(&s.down, s.vm.fn.downstreamData, b, endOfStream)
}

// UpstreamData delivers bytes from the server (proxy_on_upstream_data).
func (s *TCPStream) UpstreamData(b []byte, endOfStream bool) Action {
	return s.data(&s.up, s.vm.fn.upstreamData, b, endOfStream)
}

// DownstreamClose reports the client side closing.
func (s *TCPStream) DownstreamClose(peer PeerType) {
	s.invoke(s.vm.fn.downstreamClose, uint64(s.ctx.id), uint64(peer))
	s.vm.drain()
}

// UpstreamClose reports the server side closing.
func (s *TCPStream) UpstreamClose(peer PeerType) {
	s.invoke(s.vm.fn.upstreamClose, uint64(s.ctx.id), uint64(peer))
	s.vm.drain()
}

func (s *TCPStream) resumeDownstream() {
	if s.down.stopped {
		s.down.stopped = false
		s.down.forwarded = append(s.down.forwarded, s.down.buffered...)
		s.down.buffered = s.down.buffered[:0]
	}
}

// Complete ends the connection as Envoy does for TCP: proxy_on_done, proxy_on_log,
// then proxy_on_delete.
func (s *TCPStream) Complete() {
	if s.completed {
		return
	}
	s.completed = true
	vm := s.vm
	if vm.failed == nil {
		s.ctx.inLog = true
		for _, fn := range []api.Function{vm.fn.done, vm.fn.log, vm.fn.delete} {
			if fn != nil && s.invoke(fn, uint64(s.ctx.id)) == ActionFailed {
				break
			}
		}
	}
	delete(vm.contexts, s.ctx.id)
	vm.drain()
}

// Downstream is what the filter passed on from the client.
func (s *TCPStream) Downstream() []byte { return s.down.forwarded }

// Upstream is what the filter passed on from the server.
func (s *TCPStream) Upstream() []byte { return s.up.forwarded }

// ClosedByFilter reports whether the filter closed the connection (proxy_close_stream).
func (s *TCPStream) ClosedByFilter() bool { return s.closedByFilter }

// ContextID is the connection's context id.
func (s *TCPStream) ContextID() uint32 { return s.ctx.id }

// Err is the VM's failure, if any.
func (s *TCPStream) Err() error { return s.vm.failed }
