//go:build laneway_glue

package respheader

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// Get returns the first value of the response header name, valid until the next Get (see the package comment).
func Get(name string) (string, error) { return proxywasm.LanewayResponseHeaderScratch(name) }
