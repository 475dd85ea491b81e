package proxyhost

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

const (
	// MaxEditCalls is the most edits Writer.Apply writes with one host call each; a verdict with more (a flood
	// of spoofed copies to strip) gets the whole header map written back with one set_header_map_pairs call
	// instead, when Envoy accepts a map that large (see WriteRequestHeaders).
	MaxEditCalls = 8
	// maxKeptPairs bounds the capacity of the whole-map scratch a Writer keeps between requests.
	maxKeptPairs = 512
)

// Writer carries out Verdicts on the current request. One Writer serves every request of a plugin (callbacks of
// a VM never run concurrently); the zero Writer is ready to use.
type Writer struct {
	// edited is reused by every whole-map write: the host copies the map during the call.
	edited [][2]string
	// noClearRouteCache remembers that the host lacks ClearRouteCacheFunction, so it is not asked again.
	noClearRouteCache bool
	// err is the first failure of the last Apply's header edits.
	err error
}

// Apply carries out v on the request whose current headers are headers (as read with RequestHeaders):
//
//   - with v.Reply set, it sends that local response (debug-logging its Detail) and returns types.ActionPause;
//     the edits are not written;
//   - otherwise it writes v.Edits (one host call each up to MaxEditCalls, else one whole-map write when Envoy
//     accepts it), then, when v.Reroute and the edits changed something (or there were none), calls
//     clear_route_cache once, remembering a host that fails it; and returns types.ActionContinue.
//
// Failures are logged at debug level under filter's name and never stop the request; Err reports the edits' one.
func (w *Writer) Apply(filter string, headers [][2]string, v *Verdict) types.Action {
	w.err = nil
	if v.Reply != nil {
		w.reply(filter, v.Reply)
		return types.ActionPause
	}
	// One function on purpose: each function costs the Wasm module its own code and metadata.
	changed := false
	if n := len(v.Edits); n > MaxEditCalls {
		w.edited = AppendEdited(w.edited[:0], headers, v.Edits)
		changed, w.err = WriteRequestHeaders(w.edited, v.Edits)
		clear(w.edited) // keep no request's strings alive until the next write
		if cap(w.edited) > maxKeptPairs {
			w.edited = nil // a flood of headers does not pin its size for the life of the VM
		}
	} else if n > 0 {
		changed, w.err = EditRequestHeaders(v.Edits)
	}
	if w.err != nil && DebugEnabled() {
		proxywasm.LogDebug(filter + ": editing request headers: " + w.err.Error())
	}
	// A host that fails clear_route_cache (without the function it answers types.ErrorStatusNotFound) is
	// remembered and not asked again: ABI <= 0.2.1 header edits clear the route cache anyway.
	if v.Reroute && (changed || len(v.Edits) == 0) && !w.noClearRouteCache {
		if r := clearRouteCache(); failed(r) {
			w.noClearRouteCache = true
			if DebugEnabled() {
				proxywasm.LogDebug(filter + ": no " + ClearRouteCacheFunction + " foreign function (" + hostError(r).Error() + "); relying on header edits to re-route")
			}
		}
	}
	return types.ActionContinue
}

// Err returns the first failed header edit of the last Apply, or nil.
func (w *Writer) Err() error { return w.err }

// reply sends r as the local response.
func (w *Writer) reply(filter string, r *Reply) {
	if err := proxywasm.SendHttpResponse(r.Status, r.Headers, r.Body, -1); err != nil && DebugEnabled() {
		proxywasm.LogDebug(filter + ": local reply failed: " + err.Error())
	}
	if r.Detail != "" && DebugEnabled() {
		proxywasm.LogDebug(r.Detail)
	}
}
