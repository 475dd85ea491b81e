// Package httpctx lets a filter that keeps per-stream state reuse its HTTP contexts instead of allocating one
// per stream. In the Wasm build, the function given to OnDeleted receives each HTTP context once Envoy has
// deleted its stream (proxy_on_delete): the SDK has dropped it and never calls it again. Natively (proxytest)
// the SDK never hands contexts back, so a filter simply allocates as before.
package httpctx
