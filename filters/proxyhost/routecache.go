package proxyhost

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// ClearRouteCacheFunction is Envoy's (>= 1.33) foreign function that makes the router select the route again.
// Envoy's ABI 0.2.1 header edits clear the route cache too, so a host without it still re-routes.
const ClearRouteCacheFunction = "clear_route_cache"

// ForeignCall is the signature of proxywasm.CallForeignFunction.
type ForeignCall func(name string, param []byte) ([]byte, error)

// callForeign is the one way laneway's filters call a host foreign function; tests swap it (SwapForeignCall).
var callForeign ForeignCall = proxywasm.CallForeignFunction

// SwapForeignCall makes every foreign call of every filter go to f (a test modelling a host without
// clear_route_cache, which proxytest cannot) and returns the function that restores the previous one.
func SwapForeignCall(f ForeignCall) (restore func()) {
	prev := callForeign
	callForeign = f
	return func() { callForeign = prev }
}

// ClearRouteCache calls ClearRouteCacheFunction; a host without it answers types.ErrorStatusNotFound.
func ClearRouteCache() error {
	_, err := callForeign(ClearRouteCacheFunction, nil)
	return err
}
