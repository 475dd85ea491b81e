//go:build laneway_glue

package reqheaders

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// Read returns the request's header pairs, valid until the next Read (see the package comment).
func Read() ([][2]string, error) { return proxywasm.LanewayRequestHeadersScratch() }
