//go:build laneway_glue

package proxyhost

import (
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// The Wasm binding: the functions the build adds to its SDK copy (filters/internal/abiglue/proxywasm), whose
// results alias reused memory (see the package comment and host_native.go's doc comments).

// reuse is true in the Wasm build, where the host copies every value it is handed.
const reuse = true

// RequestHeaders returns the request's header pairs, valid until the next call.
func RequestHeaders() ([][2]string, error) { return proxywasm.LanewayRequestHeadersScratch() }

// RequestHeadersScanned is RequestHeaders that also summarises the names into s, as headerscan.Scan does, on the
// glue's read of the pairs (one pass over them instead of two).
func RequestHeadersScanned(s *headerscan.Summary) ([][2]string, error) {
	pairs, ns, err := proxywasm.LanewayRequestHeadersScan()
	*s = headerscan.Of(ns.Lengths, ns.Bag, ns.Bags)
	return pairs, err
}

// ResponseHeader returns the first value of the response header name, valid until the next call.
func ResponseHeader(name string) (string, error) { return proxywasm.LanewayResponseHeaderScratch(name) }

// Read returns the attribute's value, valid until the next Read of any Property.
func (p Property) Read() ([]byte, error) { return proxywasm.LanewayGetPropertyScratch(p.serialized) }

// DebugEnabled asks the host whether it records debug logs (proxy_get_log_level, ABI 0.2.1; the level can
// change at run time).
func DebugEnabled() bool { return proxywasm.LanewayDebugLogEnabled() }

// OnHTTPContextDeleted registers f to receive every HTTP context of the VM once Envoy deleted its stream.
func OnHTTPContextDeleted(f func(types.HttpContext)) { proxywasm.LanewayOnHTTPContextDeleted(f) }

// SkipResponseHeaders, called from NewHttpContext, passes the new stream's response headers without a call to
// its context (see host_native.go).
func SkipResponseHeaders() { proxywasm.LanewaySkipResponseHeaders() }

// ResponseHeaders returns the response's header pairs, valid until the next RequestHeaders or ResponseHeaders.
func ResponseHeaders() ([][2]string, error) { return proxywasm.LanewayResponseHeadersScratch() }

// RequestBody returns up to maxSize bytes of the request body buffer from start, valid until the next
// RequestBody or ResponseBody.
func RequestBody(start, maxSize int) ([]byte, error) {
	return proxywasm.LanewayBodyScratch(false, start, maxSize)
}

// ResponseBody returns up to maxSize bytes of the response body buffer from start, valid until the next
// RequestBody or ResponseBody.
func ResponseBody(start, maxSize int) ([]byte, error) {
	return proxywasm.LanewayBodyScratch(true, start, maxSize)
}

// StreamContextReplaceable is true in the Wasm build: ReplaceStreamContext works there.
const StreamContextReplaceable = true

// ReplaceStreamContext makes ctx the running stream's context from now on (see host_native.go).
func ReplaceStreamContext(ctx types.HttpContext) bool {
	return proxywasm.LanewayReplaceStreamContext(ctx)
}

// hostResult is what an edit's or clear_route_cache's host call returns: in Wasm the host's status, 0 for
// success. An error is made of it only on failure (hostError), so each edit inlines to the import itself; an
// error result cost a Go call more, about 100 Wasm instructions per edit.
type hostResult = uint32

// failed reports whether a host call failed.
func failed(r hostResult) bool { return r != 0 }

// hostError is the error of a failed host call.
func hostError(r hostResult) error { return proxywasm.LanewayStatusError(r) }

// remove is proxy_remove_header_map_value on the request headers: one import call, no SDK layer (see the glue's
// edits.go), as are replace, add, clearRouteCache and incCounter.
func remove(name string) hostResult { return proxywasm.LanewayRemoveRequestHeader(name) }

// replace is proxy_replace_header_map_value on the request headers.
func replace(name, value string) hostResult {
	return proxywasm.LanewayReplaceRequestHeader(name, value)
}

// add is proxy_add_header_map_value on the request headers.
func add(name, value string) hostResult { return proxywasm.LanewayAddRequestHeader(name, value) }

// clearRouteCache calls ClearRouteCacheFunction.
func clearRouteCache() hostResult { return proxywasm.LanewayClearRouteCache() }

// Inc adds one to counter i (see host_native.go). It calls the glue's import itself, with no helper between,
// to fit the inlining budget: a role's count then costs no Go call.
func (c *Counters) Inc(i int) {
	if uint(i) < uint(len(c.m)) {
		proxywasm.LanewayIncrementCounter(uint32(c.m[i]))
	}
}
