//go:build laneway_glue && (laneway_cb_all || laneway_cb_http_call_response)

package internal

//go:wasmexport proxy_on_http_call_response
func exportOnHTTPCallResponse(rootID, token, numHeaders, bodySize, numTrailers uint32) {
	proxyOnHttpCallResponse(rootID, token, int(numHeaders), int(bodySize), int(numTrailers))
}
