//go:build laneway_glue

package httpctx

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// OnDeleted registers f to receive every HTTP context of the VM after its stream was deleted (nil: none).
func OnDeleted(f func(types.HttpContext)) { proxywasm.LanewayOnHTTPContextDeleted(f) }
