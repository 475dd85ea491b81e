//go:build laneway_glue && (laneway_cb_all || laneway_cb_response_headers)

package internal

//go:wasmexport proxy_on_response_headers
func exportOnResponseHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(httpStream(contextID, "response_headers").OnHttpResponseHeaders(int(numHeaders), endOfStream != 0))
}
