// Package debuglog tells filter code whether a debug log line would be recorded, so that a per-request
// line's arguments are neither built nor formatted when Envoy would drop it. In the Wasm build it asks the
// host (proxy_get_log_level, ABI 0.2.1); natively (proxytest, the CLI) it always answers true, so tests see
// every line.
package debuglog
