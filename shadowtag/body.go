package shadowtag

import (
	"errors"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// BodyRedaction is one stream's state of body redaction; the zero value holds nothing.
type BodyRedaction struct {
	pending    bool   // a shadow copy whose JSON body fields are masked at its last chunk
	headersHid bool   // this shadow copy's headers were redacted (counted once with the body)
	scratch    []byte // the rewritten request body
}

// Start holds the request's body for masking as its decision says (Decision.RedactBody, Decision.Redacted).
func (b *BodyRedaction) Start(body, headersRedacted bool) {
	b.pending, b.headersHid = body, headersRedacted
}

// Clear clears b for the stream's next request, keeping a scratch buffer of at most MaxRedactBody.
func (b *BodyRedaction) Clear() {
	b.pending, b.headersHid = false, false
	if cap(b.scratch) > MaxRedactBody {
		b.scratch = nil
	}
}

// OnBody is a stream's OnHttpRequestBody (OnHttpRequestTrailers: size -1), masking r's fields, counting in cs.
//
// A shadow copy's body is held until complete, then masked and replaced, counted (CounterRedacted) with its
// redacted headers once; one too large or that cannot be masked is answered with refusal (RefusedBodyReply, or
// one like it), filter naming the filter in the debug log line of a failed refusal. Other streams pass at once.
func (b *BodyRedaction) OnBody(r *Redact, cs *proxyhost.Counters, refusal *proxyhost.Reply, filter string, size int, endOfStream bool) types.Action {
	if !b.pending {
		return types.ActionContinue
	}
	if !endOfStream && size <= MaxRedactBody {
		return types.ActionPause // hold the shadow copy's body until it is complete
	}
	// One function on purpose: each function costs the Wasm module its own code and metadata.
	b.pending = false
	ok := size <= MaxRedactBody // a larger body is refused unread
	if ok {
		if size < 0 {
			size = MaxRedactBody + 1 // trailers: read what the host holds, up to one byte too many
		}
		// Read into reused memory: MaskJSON copies it into b.scratch before anything reads a body again.
		body, err := proxyhost.RequestBody(0, size)
		ok = (err == nil || errors.Is(err, types.ErrorStatusNotFound)) && len(body) <= MaxRedactBody
		if ok {
			out, n := r.MaskJSON(b.scratch[:0], body)
			ok = n <= 0 || proxywasm.ReplaceHttpRequestBody(out) == nil // n < 0: not JSON, passed unchanged
			if ok && (n > 0 || b.headersHid) {
				cs.Inc(CounterRedacted)
			}
			if ok {
				b.scratch = out[:0]
			}
		}
	}
	if ok {
		return types.ActionContinue
	}
	// Forwarding a copy whose fields could not be masked would leak them: it is answered instead.
	if err := proxywasm.SendHttpResponse(refusal.Status, refusal.Headers, refusal.Body, -1); err != nil && proxyhost.DebugEnabled() {
		proxywasm.LogDebug(filter + ": local response failed: " + err.Error())
	}
	return types.ActionPause
}
