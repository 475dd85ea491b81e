//go:build laneway_glue

// Package internal (copied into proxy-wasm-go-sdk v0.24.0's proxywasm/internal at Wasm build time)
// binds the SDK's host interface and callbacks to the proxy-wasm ABI 0.2.1 with the standard Go
// toolchain's //go:wasmimport and //go:wasmexport directives.
//
// These files only compile inside that package: they name the SDK's unexported callbacks. The build
// (packager/wasmbuild) copies the SDK module to .build/, adds these files, and builds the filters
// against the copy with the build tag laneway_glue plus one laneway_cb_* tag per callback group the
// filter exports (see exports_*.go). Envoy skips callbacks a module does not export, so a filter that
// does not export a callback does not pay the ~2 µs cost of entering Go for it.
package internal
