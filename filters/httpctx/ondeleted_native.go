//go:build !laneway_glue

package httpctx

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// OnDeleted does nothing natively: proxytest's SDK never hands a context back.
func OnDeleted(func(types.HttpContext)) {}
