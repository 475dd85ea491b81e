//go:build laneway_glue

package internal

import "unsafe"

// The host calls a filter makes on most requests (a header edit, clear_route_cache, a counter), each one
// import call with no SDK layer in between: through the SDK (AddHttpRequestHeader → addMapValue → the
// host method → StatusToError) one edit cost about 400 Wasm instructions, four Go calls deep, where the
// import itself takes a few. The SDK-side wrappers (laneway_api.go) are small enough to be inlined, so a
// filter's call reaches these directly.

// StatusError is nil for OK and the SDK's error (StatusToError) for any other status: small enough to be inlined,
// so the conversion is a call only on failure (the SDK-side reads and these writes use it).
func StatusError(st Status) error {
	if st == StatusOK {
		return nil
	}
	return StatusToError(st)
}

// The request-header edits return the host's status, not an error: with the conversion (a second call, made
// only on failure) an edit was too large to inline, and the extra Go call cost about 100 Wasm instructions
// per edit. Callers convert a failure with StatusError. (Request headers only, the one map filters edit: a
// constant map type keeps them within the inlining budget.)

// AddRequestHeader is proxy_add_header_map_value on the request headers.
func AddRequestHeader(key, value string) uint32 {
	return abiAddHeaderMapValueString(uint32(MapTypeHttpRequestHeaders), key, value)
}

// ReplaceRequestHeader is proxy_replace_header_map_value on the request headers.
func ReplaceRequestHeader(key, value string) uint32 {
	return abiReplaceHeaderMapValueString(uint32(MapTypeHttpRequestHeaders), key, value)
}

// RemoveRequestHeader is proxy_remove_header_map_value on the request headers.
func RemoveRequestHeader(key string) uint32 {
	return abiRemoveHeaderMapValueString(uint32(MapTypeHttpRequestHeaders), key)
}

// The same imports as abiAddHeaderMapValue and its kin, declared with string parameters (Go passes a string
// as its data pointer and length, the ABI's two i32s): no conversions, so the edits above stay within the
// inlining budget all the way up to proxyhost.

//go:wasmimport env proxy_add_header_map_value
func abiAddHeaderMapValueString(mapType uint32, key, value string) uint32

//go:wasmimport env proxy_replace_header_map_value
func abiReplaceHeaderMapValueString(mapType uint32, key, value string) uint32

//go:wasmimport env proxy_remove_header_map_value
func abiRemoveHeaderMapValueString(mapType uint32, key string) uint32

// clearRouteCacheName is Envoy's foreign function that makes the router select the route again.
const clearRouteCacheName = "clear_route_cache"

// ClearRouteCache calls the foreign function clear_route_cache with no argument and returns the host's status
// (StatusError converts a failure, as for the edits); whatever the host returns is dropped (Envoy returns
// nothing). Small enough to inline: it leaves a reply buffer the host might allocate in allocKeep, where the
// next host read releases it (releaseAllocs here, a second call, cost about 80 Wasm instructions per reroute).
func ClearRouteCache() uint32 {
	outPtr, outLen = 0, 0 // bytesSlots, spelled out to stay within the budget
	return abiCallForeignFunctionString(clearRouteCacheName, nil, 0, &outPtr, &outLen)
}

//go:wasmimport env proxy_call_foreign_function
func abiCallForeignFunctionString(name string, args unsafe.Pointer, argsLen uint32, outPtr *uint32, outLen *uint32) uint32

// IncrementCounter adds one to a counter and returns the host's status: proxy_increment_metric with nothing
// between, so a counter's increment inlines down to the import.
func IncrementCounter(id uint32) uint32 { return abiIncrementMetric(id, 1) }
