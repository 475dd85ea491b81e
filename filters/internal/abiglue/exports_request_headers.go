//go:build laneway_glue && (laneway_cb_all || laneway_cb_request_headers)

package internal

//go:wasmexport proxy_on_request_headers
func exportOnRequestHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(httpStream(contextID, "request_headers").OnHttpRequestHeaders(int(numHeaders), endOfStream != 0))
}
