//go:build laneway_glue && !laneway_cb_response_body && !laneway_cb_request_body && !laneway_cb_all

package shadowtag

// captureBuilt is false in the plain shadowtag module: it exports request_headers only, so it cannot see
// responses or bodies. Code behind captureBuilt is then unreachable and the linker leaves it out.
const captureBuilt = false
