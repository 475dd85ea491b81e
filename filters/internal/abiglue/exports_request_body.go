//go:build laneway_glue && (laneway_cb_all || laneway_cb_request_body)

package internal

//go:wasmexport proxy_on_request_body
func exportOnRequestBody(contextID, bodySize, endOfStream uint32) uint32 {
	return uint32(httpStream(contextID, "request_body").OnHttpRequestBody(int(bodySize), endOfStream != 0))
}
