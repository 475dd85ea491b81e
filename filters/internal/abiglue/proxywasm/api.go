//go:build laneway_glue

// This file is added to the SDK copy's proxywasm package (as proxywasm/laneway_api.go) by the Wasm build
// (packager/wasmbuild); it compiles only there, next to the glue in that copy's proxywasm/internal. It is
// the SDK-side half of filters/proxyhost's Wasm binding: functions filter code reaches through proxyhost,
// whose results alias memory the glue reuses (see the proxyhost package comment).

package proxywasm

import (
	"math"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/internal"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// LanewayDebugLogEnabled reports whether the host records debug logs (added by laneway's Wasm build).
func LanewayDebugLogEnabled() bool { return internal.LogLevelEnabled(internal.LogLevelDebug) }

// LanewayRequestHeadersScratch returns the request's header pairs with strings valid until its next call
// (added by laneway's Wasm build; see the glue's ReadHeaderMapScratch).
func LanewayRequestHeadersScratch() (pairs [][2]string, err error) {
	pairs, err = internal.ReadHeaderMapScratch(internal.MapTypeHttpRequestHeaders)
	return
}

// LanewayNameScan is what LanewayRequestHeadersScan tells of the names: which name lengths occur (bit n&63 of
// Lengths for a name of n bytes) and where the baggage headers are (the index of the first, Bag, and their
// number, Bags; names in any ASCII case) (added by laneway's Wasm build; see the glue's NameScan).
type LanewayNameScan = internal.NameScan

// LanewayRequestHeadersScan is LanewayRequestHeadersScratch that also tells what the names hold, in the
// LanewayNameScan it returns, valid with the pairs (added by laneway's Wasm build; see the glue's
// ReadHeaderMapScanScratch).
func LanewayRequestHeadersScan() ([][2]string, *LanewayNameScan, error) {
	pairs, err := internal.ReadHeaderMapScanScratch(internal.MapTypeHttpRequestHeaders)
	return pairs, &internal.ScannedNames, err
}

// LanewaySkipResponseHeaders, called from a NewHttpContext, makes the glue answer the new stream's response
// headers with ActionContinue without calling its context (added by laneway's Wasm build; see the glue's
// SkipResponseHeaders).
func LanewaySkipResponseHeaders() { internal.SkipResponseHeaders() }

// LanewayOnHTTPContextDeleted registers f to receive each HTTP context once Envoy deleted its stream (added by
// laneway's Wasm build; see filters/proxyhost).
func LanewayOnHTTPContextDeleted(f func(types.HttpContext)) { internal.SetHTTPContextDeletedHook(f) }

// LanewayGetPropertyScratch reads the property at an already serialized path (each segment followed by a NUL)
// into memory its next call reuses (added by laneway's Wasm build; see the glue's ReadPropertyScratch).
func LanewayGetPropertyScratch(serializedPath []byte) ([]byte, error) {
	v, st := internal.ReadPropertyScratch(serializedPath)
	return v, internal.StatusError(st)
}

// LanewayResponseHeaderScratch returns the first value of a response header, valid until its next call
// (added by laneway's Wasm build; see the glue's ReadHeaderValueScratch).
func LanewayResponseHeaderScratch(key string) (string, error) {
	v, st := internal.ReadHeaderValueScratch(internal.MapTypeHttpResponseHeaders, key)
	if err := internal.StatusError(st); err != nil {
		return "", err
	}
	return unsafe.String(unsafe.SliceData(v), len(v)), nil
}

// LanewayResponseHeadersScratch returns the response's header pairs with strings valid until the next scratch
// read of a header map (added by laneway's Wasm build; see the glue's ReadHeaderMapScratch).
func LanewayResponseHeadersScratch() (pairs [][2]string, err error) {
	pairs, err = internal.ReadHeaderMapScratch(internal.MapTypeHttpResponseHeaders)
	return
}

// LanewayBodyScratch returns up to maxSize bytes of the request (response false) or response body buffer from
// start, valid until its next call (added by laneway's Wasm build; see the glue's ReadBufferScratch).
func LanewayBodyScratch(response bool, start, maxSize int) ([]byte, error) {
	if start < 0 || maxSize < 0 || start > math.MaxUint32 || maxSize > math.MaxUint32 {
		return nil, internal.StatusToError(internal.StatusBadArgument)
	}
	bt := internal.BufferTypeHttpRequestBody
	if response {
		bt = internal.BufferTypeHttpResponseBody
	}
	b, st := internal.ReadBufferScratch(bt, uint32(start), uint32(maxSize))
	return b, internal.StatusError(st)
}

// LanewayReplaceStreamContext makes ctx the running stream's context from now on (added by laneway's Wasm
// build; see the glue's ReplaceStreamContext).
func LanewayReplaceStreamContext(ctx types.HttpContext) bool {
	return internal.ReplaceStreamContext(ctx)
}

// LanewayAddRequestHeader appends a request header value with one host call and returns the host's status,
// 0 for success (LanewayStatusError converts a failure): small enough to inline, so the caller reaches the
// import itself (added by laneway's Wasm build).
func LanewayAddRequestHeader(key, value string) uint32 {
	return internal.AddRequestHeader(key, value)
}

// LanewayReplaceRequestHeader replaces a request header's values with one host call and returns the host's
// status, as LanewayAddRequestHeader (added by laneway's Wasm build).
func LanewayReplaceRequestHeader(key, value string) uint32 {
	return internal.ReplaceRequestHeader(key, value)
}

// LanewayRemoveRequestHeader removes every value of a request header with one host call and returns the host's
// status, as LanewayAddRequestHeader (added by laneway's Wasm build).
func LanewayRemoveRequestHeader(key string) uint32 {
	return internal.RemoveRequestHeader(key)
}

// LanewayStatusError returns the error the SDK's calls return for a host status: nil for 0 (OK), else one of
// the types.ErrorStatus values (added by laneway's Wasm build).
func LanewayStatusError(status uint32) error { return internal.StatusError(internal.Status(status)) }

// LanewayClearRouteCache calls Envoy's clear_route_cache foreign function and returns the host's status, 0 for
// success; a host without it answers 1, types.ErrorStatusNotFound through LanewayStatusError (added by
// laneway's Wasm build).
func LanewayClearRouteCache() uint32 { return internal.ClearRouteCache() }

// LanewayIncrementCounter adds one to a counter and returns the host's status, 0 for success (added by
// laneway's Wasm build). Unlike MetricCounter.Increment it never panics: a counter the host refuses must not take
// the VM down. Returning the status uncompared keeps a caller's counting within the inlining budget.
func LanewayIncrementCounter(id uint32) uint32 { return internal.IncrementCounter(id) }
