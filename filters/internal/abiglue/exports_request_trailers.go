//go:build laneway_glue && (laneway_cb_all || laneway_cb_request_trailers)

package internal

//go:wasmexport proxy_on_request_trailers
func exportOnRequestTrailers(contextID, numTrailers uint32) uint32 {
	return uint32(httpStream(contextID, "request_trailers").OnHttpRequestTrailers(int(numTrailers)))
}
