//go:build laneway_glue && (laneway_cb_all || laneway_cb_response_headers)

package internal

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

//go:wasmexport proxy_on_response_headers
func exportOnResponseHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	// httpStream's work, on the entry itself: a quiet stream (SkipResponseHeaders) passes with one lookup.
	e := stream(contextID)
	if e.quiet {
		return uint32(types.ActionContinue)
	}
	if e.ctx == nil {
		panic("invalid context on proxy_on_response_headers")
	}
	currentState.setActiveContextID(contextID)
	return uint32(e.ctx.OnHttpResponseHeaders(int(numHeaders), endOfStream != 0))
}
