package combined

import (
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
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
	body shadowtag.BodyRedaction
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
	ack, body := s.ack, s.body
	ack.Reset()
	body.Clear()
	*s = stream{p: p, own: true, ack: ack, body: body}
	if len(p.free) < maxFreeStreams {
		p.free = append(p.free, s)
	}
}

// OnHttpRequestHeaders is in filter.go.

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
	return s.body.OnBody(&s.p.cfg.Shadowtag.Redact, &s.p.shadow.counters, &redactionRefused, "laneway: shadowtag", size, endOfStream)
}

// OnHttpRequestTrailers finishes a held body when the request ends with trailers.
func (s *stream) OnHttpRequestTrailers(int) types.Action {
	return s.body.OnBody(&s.p.cfg.Shadowtag.Redact, &s.p.shadow.counters, &redactionRefused, "laneway: shadowtag", -1, true)
}

// redactionRefused is shadowtag's answer to a shadow copy whose body is too large to redact
// (shadowtag.RefusedBodyReply), naming the role that answered.
var redactionRefused = proxyhost.Reply{
	Status:  413,
	Headers: [][2]string{{"content-type", "application/json"}, {shadowtag.MarkerHeader, "redaction-refused"}, {AnsweredByHeader, KeyShadowtag}},
	Body:    []byte(`{"laneway":"shadow-redaction-refused","detail":"the shadow copy's body exceeds the size shadowtag redacts"}`),
}
