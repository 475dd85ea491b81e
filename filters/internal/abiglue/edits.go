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

// AddHeaderValue is proxy_add_header_map_value.
func AddHeaderValue(mapType MapType, key, value string) error {
	return StatusError(Status(abiAddHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)),
		unsafe.Pointer(unsafe.StringData(value)), uint32(len(value)))))
}

// ReplaceHeaderValue is proxy_replace_header_map_value.
func ReplaceHeaderValue(mapType MapType, key, value string) error {
	return StatusError(Status(abiReplaceHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)),
		unsafe.Pointer(unsafe.StringData(value)), uint32(len(value)))))
}

// RemoveHeaderValue is proxy_remove_header_map_value.
func RemoveHeaderValue(mapType MapType, key string) error {
	return StatusError(Status(abiRemoveHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)))))
}

// clearRouteCacheName is Envoy's foreign function that makes the router select the route again.
const clearRouteCacheName = "clear_route_cache"

// ClearRouteCache calls the foreign function clear_route_cache with no argument; whatever the host returns is
// dropped (Envoy returns nothing).
func ClearRouteCache() error {
	op, ol := bytesSlots()
	st := abiCallForeignFunction(unsafe.Pointer(unsafe.StringData(clearRouteCacheName)), uint32(len(clearRouteCacheName)), nil, 0, op, ol)
	releaseAllocs()
	return StatusError(Status(st))
}

// IncrementMetric is proxy_increment_metric.
func IncrementMetric(id uint32, offset int64) Status {
	return Status(abiIncrementMetric(id, offset))
}
