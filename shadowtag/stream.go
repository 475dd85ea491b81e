package shadowtag

import (
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// streamContext is a stream's own context, used only when compare or body redaction is configured: those
// keep state from the request to the response (or to the request's last body chunk). Without them every
// stream shares the plugin's stateless httpContext. In the Wasm build a deleted stream's context comes back
// through proxyhost.OnHTTPContextDeleted and is reused, so the steady state allocates no contexts.
type streamContext struct {
	httpContext
	cap  capture
	body BodyRedaction
}

// maxFreeStreams bounds the contexts kept for reuse: about the streams one worker has open at once.
const maxFreeStreams = 1024

func (p *pluginContext) newStream() *streamContext {
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return s
	}
	s := &streamContext{}
	s.p = p
	return s
}

// releaseStream receives every HTTP context of the VM once Envoy deleted its stream (Wasm build only).
func releaseStream(c types.HttpContext) {
	if s, ok := c.(*streamContext); ok {
		s.p.release(s)
	}
}

// release clears a deleted stream's context and keeps it for the next stream.
func (p *pluginContext) release(s *streamContext) {
	if s.cap.on {
		p.cmp.incomplete.Increment(1) // reset before the response ended: nothing to report
	}
	s.cap.on = false
	s.cap.body = s.cap.body[:0]
	s.body.Clear()
	if len(p.free) < maxFreeStreams {
		p.free = append(p.free, s)
	}
}

// OnHttpRequestHeaders implements types.HttpContext.
func (s *streamContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	s.cap.on = false
	s.body.Clear()
	return s.p.requestHeaders(s, endOfStream)
}

// samples reports whether this request is captured for compare. It is all an unsampled request runs of
// compare (one hash of the request id Decide's one pass over the headers found), so it stays apart from
// sample: in Go's Wasm code merely entering sample, whose inlined capture code needs a large frame, cost an
// unsampled request more than the hash does.
func (m *comparer) samples(d *Decision) bool {
	if m.cfg.Role == RolePrimary && d.Shadow {
		return false // the primary's capture is the live answer; a shadow copy reaching it is not one
	}
	return m.cfg.Sampled(d.RequestID)
}

// sample starts a sampled stream's capture in the stream's own context: s, or, when the stream shares the
// plugin's context (s nil, Wasm build), one it switches to now.
func (p *pluginContext) sample(s *streamContext, d *Decision, pairs [][2]string) {
	p.cmp.sampled.Increment(1)
	if s == nil {
		if s = p.adopt(); s == nil {
			p.cmp.incomplete.Increment(1) // sampled, but the stream could not get a context of its own
			return
		}
	}
	path := ""
	for _, kv := range pairs {
		if kv[0] == ":path" {
			path = kv[1] // the last one, as before
		}
	}
	s.cap.begin(p.cmp, d.RequestID, d.Method, path)
}

// adopt gives the running stream a context of its own in place of the shared one (Wasm build, see
// NewHttpContext); nil when the host could not switch it.
func (p *pluginContext) adopt() *streamContext {
	s := p.newStream()
	if !proxyhost.ReplaceStreamContext(s) {
		p.release(s)
		return nil
	}
	return s
}

// OnHttpRequestBody masks a shadow copy's JSON fields once its body is complete; other streams pass at once.
func (s *streamContext) OnHttpRequestBody(size int, endOfStream bool) types.Action {
	return s.body.OnBody(&s.p.cfg.Redact, &s.p.counters, &RefusedBodyReply, filter, size, endOfStream)
}

// OnHttpRequestTrailers finishes a held body when the request ends with trailers.
func (s *streamContext) OnHttpRequestTrailers(int) types.Action {
	return s.body.OnBody(&s.p.cfg.Redact, &s.p.counters, &RefusedBodyReply, filter, -1, true)
}

// OnHttpResponseHeaders records a sampled response's status and headers; other streams pass at once.
func (s *streamContext) OnHttpResponseHeaders(_ int, endOfStream bool) types.Action {
	if !s.cap.on {
		return types.ActionContinue
	}
	m := s.p.cmp
	pairs, err := proxyhost.ResponseHeaders() // in Wasm aliased until the next read: responseHeaders copies
	if err != nil {
		s.cap.on = false
		m.incomplete.Increment(1)
		return types.ActionContinue
	}
	s.cap.responseHeaders(m, pairs)
	if endOfStream {
		s.cap.finish(m)
	}
	return types.ActionContinue
}

// OnHttpResponseBody reads a sampled response's chunk (up to the body limit) and lets it go on at once: the
// live response is never held.
func (s *streamContext) OnHttpResponseBody(size int, endOfStream bool) types.Action {
	if !s.cap.on {
		return types.ActionContinue
	}
	s.cap.bodyChunk(s.p.cmp, size)
	if endOfStream {
		s.cap.finish(s.p.cmp)
	}
	return types.ActionContinue
}

// OnHttpResponseTrailers ends a sampled response that carries trailers.
func (s *streamContext) OnHttpResponseTrailers(int) types.Action {
	if s.cap.on {
		s.cap.finish(s.p.cmp)
	}
	return types.ActionContinue
}

// startCompare sets up the root side of compare: service name and counters. The flush tick starts with the
// first capture queued (comparer.enqueue).
func (p *pluginContext) startCompare() types.OnPluginStartStatus {
	cc := p.cfg.Compare
	service := cc.Service
	if service == "" {
		if b, err := proxywasm.GetProperty([]string{"plugin_root_id"}); err == nil {
			service = string(b)
		}
		if service == "" {
			proxywasm.LogCritical(`shadowtag: plugin not started: shadowtag config: field "compare.service": got nothing, and the plugin has no root id to use instead; allowed: the service name captures are reported under, e.g. "orders"`)
			return types.OnPluginStartStatusFailed
		}
	}
	p.cmp = newComparer(cc, service)
	return types.OnPluginStartStatusOK
}

// OnTick sends the queued captures (compare's flush period).
func (p *pluginContext) OnTick() {
	if p.cmp != nil {
		p.cmp.tick()
	}
}
