package testenv

import (
	"strconv"

	"github.com/tetratelabs/wazero/api"
)

// direction is one side (request or response) of an HTTP stream.
type direction struct {
	headers, trailers         Headers
	haveHeaders, haveTrailers bool
	bodySeen                  bool
	buffered                  []byte // body held at the filter (get/set_buffer_bytes)
	forwarded                 []byte // body the filter passed on
	eos                       bool
	stopAll                   bool // headers stopped: the host holds body/trailers
	stopped                   bool // body/trailers stopped: awaiting continue
	trailersHeld              bool
}

// HTTPStream is one HTTP stream through the filter. Create it with VM.NewHTTPStream.
type HTTPStream struct {
	vm              *VM
	ctx             *hctx
	req, resp       direction
	local           *LocalResponse
	localInCallback bool
	reset           bool
	completed       bool
	routeClears     int
	autoRouteClears int
	props           map[string][]byte // this stream's own attributes (SetProperty)
}

// NewHTTPStream opens a stream; its context is created lazily at RequestHeaders (or at
// Complete when no headers were sent), as Envoy does.
func (vm *VM) NewHTTPStream() *HTTPStream { return &HTTPStream{vm: vm} }

// ContextID is the stream's context id (0 before the context exists).
func (s *HTTPStream) ContextID() uint32 {
	if s.ctx == nil {
		return 0
	}
	return s.ctx.id
}

func (s *HTTPStream) ensureContext() bool {
	if s.ctx != nil {
		return true
	}
	vm := s.vm
	if vm.failed != nil {
		return false
	}
	s.ctx = vm.newContext()
	s.ctx.http = s
	if vm.fn.contextCreate != nil {
		if _, err := vm.call(s.ctx, vm.fn.contextCreate, uint64(s.ctx.id), uint64(vm.root.id)); err != nil {
			return false
		}
	}
	return true
}

// callback runs one stream callback; ok is false when the VM failed.
func (s *HTTPStream) callback(fn api.Function, params ...uint64) (uint32, bool) {
	if !s.ensureContext() {
		s.failStream()
		return 0, false
	}
	if fn == nil {
		return 0, true // Envoy skips callbacks a module does not export
	}
	s.localInCallback = false
	r, err := s.vm.call(s.ctx, fn, params...)
	if err != nil {
		s.failStream()
		return 0, false
	}
	return uint32(r), true
}

// failStream answers 503 as Envoy does for a failed VM (wasm_fail_stream).
func (s *HTTPStream) failStream() {
	if s.local == nil {
		s.local = &LocalResponse{StatusCode: 503, Details: "wasm_fail_stream", GRPCStatus: -1}
	}
}

func (s *HTTPStream) done() bool { return s.local != nil || s.reset || s.completed }

// endedAction is what a stream that has ended answers to more data: failed if its VM died, else paused.
func (s *HTTPStream) endedAction() Action {
	if s.vm.failed != nil {
		return ActionFailed
	}
	return ActionPause
}

func boolParam(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func lowerKeys(h Headers) Headers {
	out := make(Headers, len(h))
	for i, kv := range h {
		out[i] = Header{lower(kv.Key), kv.Value}
	}
	return out
}

func (s *HTTPStream) dir(resp bool) *direction {
	if resp {
		return &s.resp
	}
	return &s.req
}

func (s *HTTPStream) fns(resp bool) (headers, body, trailers api.Function) {
	f := &s.vm.fn
	if resp {
		return f.respHeaders, f.respBody, f.respTrailers
	}
	return f.reqHeaders, f.reqBody, f.reqTrailers
}

// result turns a raw callback result into the Action reported, applying the forced
// stop of send_local_response.
func (s *HTTPStream) result(r uint32) Action {
	if s.localInCallback && r == 0 {
		return ActionPause
	}
	return Action(r)
}

func (s *HTTPStream) onHeaders(resp bool, h Headers, eos bool) Action {
	if s.done() {
		return s.endedAction()
	}
	d := s.dir(resp)
	d.headers, d.haveHeaders, d.eos = lowerKeys(h), true, eos
	fh, _, _ := s.fns(resp)
	r, ok := s.callback(fh, uint64(s.ensureID()), uint64(len(d.headers)), boolParam(eos))
	if !ok {
		return ActionFailed
	}
	a := s.result(r)
	// 0 and 2 continue; 1, 3 and above stop all iteration (body held by the host)
	if (r != 0 && r != 2) || s.localInCallback {
		d.stopAll = true
	}
	s.vm.drain()
	return a
}

func (s *HTTPStream) ensureID() uint32 {
	if !s.ensureContext() {
		return 0
	}
	return s.ctx.id
}

func (s *HTTPStream) onBody(resp bool, chunk []byte, eos bool) Action {
	if s.done() {
		return s.endedAction()
	}
	d := s.dir(resp)
	d.bodySeen = true
	d.buffered = append(d.buffered, chunk...)
	if eos {
		d.eos = true
	}
	if d.stopAll {
		return ActionPause
	}
	a, ok := s.deliverBody(resp, eos)
	if !ok {
		return ActionFailed
	}
	s.vm.drain()
	return a
}

// deliverBody calls the body callback with the buffered size.
func (s *HTTPStream) deliverBody(resp bool, eos bool) (Action, bool) {
	d := s.dir(resp)
	_, fb, _ := s.fns(resp)
	r, ok := s.callback(fb, uint64(s.ensureID()), uint64(len(d.buffered)), boolParam(eos))
	if !ok {
		return ActionFailed, false
	}
	if r == 0 && !s.localInCallback {
		d.forwarded = append(d.forwarded, d.buffered...)
		d.buffered = d.buffered[:0]
		d.stopped = false
	} else {
		d.stopped = true
	}
	return s.result(r), true
}

func (s *HTTPStream) onTrailers(resp bool, t Headers) Action {
	if s.done() {
		return s.endedAction()
	}
	d := s.dir(resp)
	d.trailers, d.haveTrailers, d.eos = lowerKeys(t), true, true
	if d.stopAll {
		d.trailersHeld = true
		return ActionPause
	}
	a, ok := s.deliverTrailers(resp)
	if !ok {
		return ActionFailed
	}
	s.vm.drain()
	return a
}

func (s *HTTPStream) deliverTrailers(resp bool) (Action, bool) {
	d := s.dir(resp)
	_, _, ft := s.fns(resp)
	r, ok := s.callback(ft, uint64(s.ensureID()), uint64(len(d.trailers)))
	if !ok {
		return ActionFailed, false
	}
	if r == 0 && !s.localInCallback && !d.stopped {
		d.forwarded = append(d.forwarded, d.buffered...)
		d.buffered = d.buffered[:0]
	} else {
		d.stopped = true
	}
	return s.result(r), true
}

// resume handles proxy_continue_stream(REQUEST/RESPONSE) after the callback returned.
func (s *HTTPStream) resume(resp bool) {
	if s.done() {
		return
	}
	d := s.dir(resp)
	switch {
	case d.stopAll:
		d.stopAll = false
		if d.bodySeen {
			if _, ok := s.deliverBody(resp, d.eos && !d.haveTrailers); !ok {
				return
			}
		}
		if d.trailersHeld && !d.stopAll {
			d.trailersHeld = false
			_, _ = s.deliverTrailers(resp)
		}
	case d.stopped:
		d.stopped = false
		d.forwarded = append(d.forwarded, d.buffered...)
		d.buffered = d.buffered[:0]
	}
}

// applyLocalResponse sends the local reply after the callback returned; like Envoy's
// local replies it runs through the filter's response callbacks when the response has
// not started.
func (s *HTTPStream) applyLocalResponse(lr *LocalResponse) {
	if s.local != nil || s.completed {
		return
	}
	s.local = lr
	if s.resp.haveHeaders {
		return
	}
	h := Headers{{":status", strconv.Itoa(int(lr.StatusCode))}}
	h = append(h, lowerKeys(lr.Headers)...)
	if len(lr.Body) > 0 {
		h = append(h, Header{"content-length", strconv.Itoa(len(lr.Body))}, Header{"content-type", "text/plain"})
	}
	if lr.GRPCStatus >= 0 {
		h = append(h, Header{"grpc-status", strconv.Itoa(int(lr.GRPCStatus))})
	}
	s.resp.headers, s.resp.haveHeaders, s.resp.eos = h, true, len(lr.Body) == 0
	fh, fb, _ := s.fns(true)
	if _, ok := s.callback(fh, uint64(s.ctx.id), uint64(len(h)), boolParam(len(lr.Body) == 0)); !ok {
		return
	}
	if len(lr.Body) > 0 {
		s.resp.bodySeen = true
		s.resp.buffered = append(s.resp.buffered[:0], lr.Body...)
		if _, ok := s.callback(fb, uint64(s.ctx.id), uint64(len(lr.Body)), 1); !ok {
			return
		}
	}
	s.resp.forwarded = append(s.resp.forwarded, s.resp.buffered...)
	s.resp.buffered = s.resp.buffered[:0]
}

// RequestHeaders delivers the request headers (proxy_on_request_headers).
func (s *HTTPStream) RequestHeaders(h Headers, endOfStream bool) Action {
	return s.onHeaders(false, h, endOfStream)
}

// RequestBody delivers one request body chunk (proxy_on_request_body with the total
// buffered size). While the headers callback's stop is in force the host holds the
// chunk, as Envoy does, and delivers it when the filter continues the stream.
func (s *HTTPStream) RequestBody(chunk []byte, endOfStream bool) Action {
	return s.onBody(false, chunk, endOfStream)
}

// RequestTrailers delivers the request trailers (end of the request).
func (s *HTTPStream) RequestTrailers(t Headers) Action { return s.onTrailers(false, t) }

// ResponseHeaders delivers the response headers (include ":status").
func (s *HTTPStream) ResponseHeaders(h Headers, endOfStream bool) Action {
	return s.onHeaders(true, h, endOfStream)
}

// ResponseBody delivers one response body chunk.
func (s *HTTPStream) ResponseBody(chunk []byte, endOfStream bool) Action {
	return s.onBody(true, chunk, endOfStream)
}

// ResponseTrailers delivers the response trailers.
func (s *HTTPStream) ResponseTrailers(t Headers) Action { return s.onTrailers(true, t) }

// Complete ends the stream as Envoy does: proxy_on_log, proxy_on_done, then
// proxy_on_delete, which lets the module free the stream's state.
func (s *HTTPStream) Complete() {
	if s.completed {
		return
	}
	vm := s.vm
	if vm.failed != nil {
		s.completed = true
		if s.ctx != nil {
			delete(vm.contexts, s.ctx.id)
		}
		return
	}
	if !s.ensureContext() {
		s.completed = true
		return
	}
	s.ctx.inLog = true
	id := uint64(s.ctx.id)
	for _, fn := range []api.Function{vm.fn.log, vm.fn.done, vm.fn.delete} {
		if fn == nil {
			continue
		}
		if _, err := vm.call(s.ctx, fn, id); err != nil {
			break
		}
	}
	s.completed = true
	delete(vm.contexts, s.ctx.id)
	vm.drain()
}

// Request is what the filter passes upstream: current request headers, the body it
// let through, and trailers.
func (s *HTTPStream) Request() Message {
	return Message{Headers: s.req.headers, Body: s.req.forwarded, Trailers: s.req.trailers}
}

// Response is what the filter passes downstream (a local response included).
func (s *HTTPStream) Response() Message {
	return Message{Headers: s.resp.headers, Body: s.resp.forwarded, Trailers: s.resp.trailers}
}

// BufferedRequestBody is the request body held at the filter (not yet passed on).
func (s *HTTPStream) BufferedRequestBody() []byte { return s.req.buffered }

// BufferedResponseBody is the response body held at the filter.
func (s *HTTPStream) BufferedResponseBody() []byte { return s.resp.buffered }

// LocalResponse is the local reply the filter sent (or Envoy's 503 after a VM
// failure), nil when none.
func (s *HTTPStream) LocalResponse() *LocalResponse { return s.local }

// RequestPaused reports whether the request is stopped at the filter.
func (s *HTTPStream) RequestPaused() bool { return s.req.stopAll || s.req.stopped }

// ResponsePaused reports whether the response is stopped at the filter.
func (s *HTTPStream) ResponsePaused() bool { return s.resp.stopAll || s.resp.stopped }

// Reset reports whether the filter reset the stream (proxy_close_stream).
func (s *HTTPStream) Reset() bool { return s.reset }

// RouteCacheClears counts clear_route_cache foreign-function calls on this stream.
func (s *HTTPStream) RouteCacheClears() int { return s.routeClears }

// HeaderRouteCacheClears counts request-header changes, each of which makes Envoy
// clear the route cache for ABI <= 0.2.1 modules.
func (s *HTTPStream) HeaderRouteCacheClears() int { return s.autoRouteClears }

// FilterState returns a value the filter stored with proxy_set_property.
func (s *HTTPStream) FilterState(path string) ([]byte, bool) {
	if s.ctx == nil || s.ctx.filterState == nil {
		return nil, false
	}
	v, ok := s.ctx.filterState[path]
	return v, ok
}

// Err is the VM's failure, if any (the stream then has a 503 local response).
func (s *HTTPStream) Err() error { return s.vm.failed }
