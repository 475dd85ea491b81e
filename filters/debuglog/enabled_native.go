//go:build !laneway_glue

package debuglog

// Enabled reports whether debug logs are recorded: natively the SDK host (proxytest) records every level.
func Enabled() bool { return true }
