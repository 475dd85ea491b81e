//go:build laneway_glue && (laneway_cb_all || laneway_cb_response_trailers)

package internal

//go:wasmexport proxy_on_response_trailers
func exportOnResponseTrailers(contextID, numTrailers uint32) uint32 {
	return uint32(httpStream(contextID, "response_trailers").OnHttpResponseTrailers(int(numTrailers)))
}
