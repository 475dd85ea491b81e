package combined

import (
	"errors"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// stream is an HTTP context: the plugin's shared one (own false), or a stream's own when a role keeps
// per-stream state: synthetic's pending acknowledgement and shadowtag's held body. Own contexts come back
// through proxyhost.OnHTTPContextDeleted once Envoy deleted their stream and are reused, so the steady state
// allocates none.
type stream struct {
	types.DefaultHttpContext
	p   *plugin
	own bool
	// synthetic: the acknowledgement the response must carry.
	ack synthetic.Ack
	// shadowtag: a shadow copy whose JSON body fields are masked at its last chunk.
	redactBody bool
	headersHid bool   // this shadow copy's headers were redacted (counted once with the body)
	scratch    []byte // the rewritten request body
}

// maxFreeStreams bounds the contexts kept for reuse: about the streams one worker has open at once.
const maxFreeStreams = 1024

// releaseStream receives every HTTP context of the VM once Envoy deleted its stream (Wasm build only).
func releaseStream(c types.HttpContext) {
	if s, ok := c.(*stream); ok && s.own {
		s.p.releaseStream(s)
	}
}

// release clears a deleted stream's context and keeps it for the next stream.
func (p *plugin) releaseStream(s *stream) {
	ack, scratch := s.ack, s.scratch[:0]
	ack.Reset()
	if cap(scratch) > shadowtag.MaxRedactBody {
		scratch = nil
	}
	*s = stream{p: p, own: true, ack: ack, scratch: scratch}
	if len(p.free) < maxFreeStreams {
		p.free = append(p.free, s)
	}
}

// OnHttpRequestHeaders implements types.HttpContext.
func (s *stream) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	s.redactBody, s.headersHid = false, false
	return s.p.requestHeaders(s, endOfStream)
}

// OnHttpResponseHeaders checks synthetic's acknowledgement of a mutating synthetic call; other streams pass
// at once.
func (s *stream) OnHttpResponseHeaders(int, bool) types.Action {
	if !s.ack.Waiting() {
		return types.ActionContinue
	}
	s.p.synth.checkAck(&s.ack)
	return types.ActionContinue
}

// OnHttpRequestBody masks a shadow copy's JSON fields once its body is complete; other streams pass at once.
func (s *stream) OnHttpRequestBody(size int, endOfStream bool) types.Action {
	if !s.redactBody {
		return types.ActionContinue
	}
	if size > shadowtag.MaxRedactBody {
		return s.refuseBody()
	}
	if !endOfStream {
		return types.ActionPause // hold the shadow copy's body until it is complete
	}
	return s.redactNow(size)
}

// OnHttpRequestTrailers finishes a held body when the request ends with trailers.
func (s *stream) OnHttpRequestTrailers(int) types.Action {
	if !s.redactBody {
		return types.ActionContinue
	}
	return s.redactNow(shadowtag.MaxRedactBody + 1)
}

// redactionRefusedBody is shadowtag's answer to a shadow copy whose body is too large to redact.
var redactionRefusedBody = []byte(`{"laneway":"shadow-redaction-refused","detail":"the shadow copy's body exceeds the size shadowtag redacts"}`)

// refuseBody answers a shadow copy whose body is too large to redact: forwarding it would leak the fields.
func (s *stream) refuseBody() types.Action {
	s.redactBody = false
	hs := [][2]string{{"content-type", "application/json"}, {shadowtag.MarkerHeader, "redaction-refused"}, {AnsweredByHeader, KeyShadowtag}}
	if err := proxywasm.SendHttpResponse(413, hs, redactionRefusedBody, -1); err != nil && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("laneway: shadowtag: local response failed: " + err.Error())
	}
	return types.ActionPause
}

func (s *stream) redactNow(size int) types.Action {
	s.redactBody = false
	body, err := proxywasm.GetHttpRequestBody(0, size)
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
		return s.refuseBody()
	}
	if len(body) > shadowtag.MaxRedactBody {
		return s.refuseBody()
	}
	out, n := s.p.cfg.Shadowtag.Redact.MaskJSON(s.scratch[:0], body)
	if n > 0 {
		if err := proxywasm.ReplaceHttpRequestBody(out); err != nil {
			return s.refuseBody()
		}
	}
	if n > 0 || s.headersHid {
		s.p.shadow.counters.Inc(shadowtag.CounterRedacted)
	}
	s.scratch = out[:0]
	return types.ActionContinue
}
