//go:build laneway_glue

package debuglog

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// Enabled reports whether the host records debug logs right now (Envoy's level can change at run time).
func Enabled() bool { return proxywasm.LanewayDebugLogEnabled() }
