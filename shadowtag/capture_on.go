//go:build !laneway_glue || laneway_cb_response_body || laneway_cb_request_body || laneway_cb_all

package shadowtag

// captureBuilt reports whether this build can see request bodies or responses, so that JSON body redaction
// and compare are parsed: natively (tests, the CLI's config validation), in the shadowtag-compare module,
// which exports the response callbacks, and in the combined laneway module, which exports the request body
// callbacks for body redaction (it refuses a compare section itself: see filters/combined).
const captureBuilt = true
