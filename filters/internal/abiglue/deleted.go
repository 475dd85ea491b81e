//go:build laneway_glue

package internal

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// httpContextDeleted, when set, receives each HTTP context after proxy_on_delete removed it (the SDK copy's
// proxyOnDelete calls it; see packager/wasmbuild).
var httpContextDeleted func(types.HttpContext)

// SetHTTPContextDeletedHook sets the function that receives deleted HTTP contexts (nil for none).
func SetHTTPContextDeletedHook(f func(types.HttpContext)) { httpContextDeleted = f }
