//go:build !laneway_glue

package proxyhost

import (
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// The native binding (proxytest, the CLI): the SDK's public API, fresh memory for every value (see the
// package comment). host_wasm.go declares the same functions for the Wasm build; the doc comments here hold
// for both.

// reuse is false natively: proxytest keeps the values it is handed.
const reuse = false

// RequestHeaders returns the request's header pairs with one host call (in Wasm valid until the next call).
func RequestHeaders() ([][2]string, error) { return proxywasm.GetHttpRequestHeaders() }

// RequestHeadersScanned is RequestHeaders that also summarises the names into s (headerscan.Scan).
func RequestHeadersScanned(s *headerscan.Summary) ([][2]string, error) {
	pairs, err := proxywasm.GetHttpRequestHeaders()
	headerscan.Scan(pairs, s)
	return pairs, err
}

// ResponseHeader returns the first value of the response header name (in Wasm valid until the next call).
func ResponseHeader(name string) (string, error) { return proxywasm.GetHttpResponseHeader(name) }

// Read returns the attribute's value (proxy_get_property; in Wasm valid until the next Read of any Property).
func (p Property) Read() ([]byte, error) { return proxywasm.GetProperty(p.segments) }

// DebugEnabled reports whether the host records debug logs right now, so that a per-request line's arguments
// are neither built nor formatted when Envoy would drop it. Natively it is always true: proxytest records
// every level.
func DebugEnabled() bool { return true }

// OnHTTPContextDeleted registers f to receive every HTTP context of the VM once Envoy deleted its stream
// (proxy_on_delete): the SDK has dropped it and never calls it again, so a filter may reuse it for the next
// stream; nil registers none. Natively it does nothing: proxytest's SDK never hands a context back.
func OnHTTPContextDeleted(func(types.HttpContext)) {}

// SkipResponseHeaders, called from NewHttpContext, makes the Wasm glue answer the response headers of the
// stream being created with ActionContinue itself, without calling the context's OnHttpResponseHeaders (a
// call per stream saved where a shared context waits for nothing on the response). Natively it does nothing:
// proxytest calls the context, whose OnHttpResponseHeaders must therefore return ActionContinue too.
func SkipResponseHeaders() {}

// ResponseHeaders returns the response's header pairs with one host call (in Wasm valid until the next
// RequestHeaders or ResponseHeaders: copy what must outlive the callback).
func ResponseHeaders() ([][2]string, error) { return proxywasm.GetHttpResponseHeaders() }

// RequestBody returns up to maxSize bytes of the request body buffer from start (in Wasm valid until the next
// RequestBody or ResponseBody: copy what must outlive the call).
func RequestBody(start, maxSize int) ([]byte, error) {
	return proxywasm.GetHttpRequestBody(start, maxSize)
}

// ResponseBody returns up to maxSize bytes of the response body buffer from start (in Wasm valid until the
// next RequestBody or ResponseBody).
func ResponseBody(start, maxSize int) ([]byte, error) {
	return proxywasm.GetHttpResponseBody(start, maxSize)
}

// StreamContextReplaceable reports whether ReplaceStreamContext works in this build: only in Wasm, where
// laneway's glue keeps the table of live streams. Natively (proxytest) a filter that needs per-stream state
// must hand each stream its own context from NewHttpContext.
const StreamContextReplaceable = false

// ReplaceStreamContext makes ctx the context of the stream whose callback is running (call it from a stream
// callback only): its later callbacks and its deletion (OnHTTPContextDeleted's hook included) go to ctx,
// and the context it had is dropped. A filter whose streams rarely need state of their own shares one
// context among them and gives a stream its own only once it turns out to need one, so the common stream
// costs no context. False when nothing changed: for a nil ctx, when no stream is running, and always
// natively (StreamContextReplaceable).
func ReplaceStreamContext(types.HttpContext) bool { return false }

// hostResult is what an edit's or clear_route_cache's host call returns: natively its error (host_wasm.go
// says why Wasm differs).
type hostResult = error

// failed reports whether a host call failed.
func failed(r hostResult) bool { return r != nil }

// hostError is the error of a failed host call.
func hostError(r hostResult) error { return r }

// The single-edit host calls, replaced in tests.
var (
	remove  = proxywasm.RemoveHttpRequestHeader
	replace = replaceRequestHeader
	add     = proxywasm.AddHttpRequestHeader
)

// callForeign is the one way laneway's filters call a host foreign function natively; tests swap it
// (SwapForeignCall).
var callForeign ForeignCall = proxywasm.CallForeignFunction

// SwapForeignCall makes every foreign call of every filter go to f (a test modelling a host without
// clear_route_cache, which proxytest cannot) and returns the function that restores the previous one. It
// exists only natively: in Wasm the call is the import itself.
func SwapForeignCall(f ForeignCall) (restore func()) {
	prev := callForeign
	callForeign = f
	return func() { callForeign = prev }
}

// clearRouteCache calls ClearRouteCacheFunction.
func clearRouteCache() hostResult {
	_, err := callForeign(ClearRouteCacheFunction, nil)
	return err
}

// Inc adds one to counter i (proxy_increment_metric); an index outside the defined names counts nothing. A
// counter the host refuses is ignored in Wasm, where the SDK's Increment would panic: a counter must not take
// the VM down.
func (c *Counters) Inc(i int) {
	if uint(i) < uint(len(c.m)) {
		c.m[i].Increment(1)
	}
}

// replaceRequestHeader is proxy_replace_header_map_value on the request headers as Envoy and testenv do it:
// the value takes the first copy's place and the other copies go. proxytest replaces the first copy only, so
// natively the whole map is written back (see AppendEdited).
func replaceRequestHeader(name, value string) error {
	h, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		return err
	}
	return proxywasm.ReplaceHttpRequestHeaders(AppendEdited(nil, h, []Edit{{Kind: Replace, Name: name, Value: value}}))
}
