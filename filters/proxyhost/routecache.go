package proxyhost

// ClearRouteCacheFunction is Envoy's (>= 1.33) foreign function that makes the router select the route again.
// Envoy's ABI 0.2.1 header edits clear the route cache too, so a host without it still re-routes.
const ClearRouteCacheFunction = "clear_route_cache"

// ForeignCall is the signature of proxywasm.CallForeignFunction (SwapForeignCall, native build). Writer.Apply is
// what calls ClearRouteCacheFunction, at most once per request.
type ForeignCall func(name string, param []byte) ([]byte, error)
