//go:build !laneway_glue

package reqheaders

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// Read returns the request's header pairs (see the package comment; natively they are never reused).
func Read() ([][2]string, error) { return proxywasm.GetHttpRequestHeaders() }
