//go:build !laneway_glue || laneway_cb_response_body || laneway_cb_all

package shadowtag

// captureBuilt reports whether this build has compare captures and body redaction: natively (tests, the
// CLI's config validation) and in the shadowtag-compare module, which exports the response callbacks.
const captureBuilt = true
