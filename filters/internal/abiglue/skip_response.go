//go:build laneway_glue && (laneway_cb_all || laneway_cb_response_headers)

package internal

// skipResponseHeaders: the module exports proxy_on_response_headers, so SkipResponseHeaders has something to
// skip; a module without it spends nothing on the quiet flag when a stream is created.
const skipResponseHeaders = true
