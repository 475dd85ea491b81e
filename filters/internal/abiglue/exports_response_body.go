//go:build laneway_glue && (laneway_cb_all || laneway_cb_response_body)

package internal

//go:wasmexport proxy_on_response_body
func exportOnResponseBody(contextID, bodySize, endOfStream uint32) uint32 {
	return uint32(httpStream(contextID, "response_body").OnHttpResponseBody(int(bodySize), endOfStream != 0))
}
