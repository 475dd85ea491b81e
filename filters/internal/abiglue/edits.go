//go:build laneway_glue

package internal

import "unsafe"

// The host calls a filter makes on most requests (a header edit, clear_route_cache, a counter), each one
// import call with no SDK layer in between: through the SDK (AddHttpRequestHeader → addMapValue → the
// host method → StatusToError) one edit cost about 400 Wasm instructions, four Go calls deep, where the
// import itself takes a few. Each returns the host's status; callers turn a failure into an error.

// AddHeaderValue is proxy_add_header_map_value.
func AddHeaderValue(mapType MapType, key, value string) Status {
	return Status(abiAddHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)),
		unsafe.Pointer(unsafe.StringData(value)), uint32(len(value))))
}

// ReplaceHeaderValue is proxy_replace_header_map_value.
func ReplaceHeaderValue(mapType MapType, key, value string) Status {
	return Status(abiReplaceHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)),
		unsafe.Pointer(unsafe.StringData(value)), uint32(len(value))))
}

// RemoveHeaderValue is proxy_remove_header_map_value.
func RemoveHeaderValue(mapType MapType, key string) Status {
	return Status(abiRemoveHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key))))
}

// clearRouteCacheName is Envoy's foreign function that makes the router select the route again.
const clearRouteCacheName = "clear_route_cache"

// ClearRouteCache calls the foreign function clear_route_cache with no argument; whatever the host returns is
// dropped (Envoy returns nothing).
func ClearRouteCache() Status {
	op, ol := bytesSlots()
	st := abiCallForeignFunction(unsafe.Pointer(unsafe.StringData(clearRouteCacheName)), uint32(len(clearRouteCacheName)), nil, 0, op, ol)
	releaseAllocs()
	return Status(st)
}

// IncrementMetric is proxy_increment_metric.
func IncrementMetric(id uint32, offset int64) Status {
	return Status(abiIncrementMetric(id, offset))
}
