//go:build laneway_glue && !(laneway_cb_all || laneway_cb_response_headers)

package internal

// skipResponseHeaders is false: the module does not export proxy_on_response_headers (see skip_response.go).
const skipResponseHeaders = false
