//go:build !laneway_glue

package hostprop

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// Read returns the attribute's value (see the package comment; natively it is never reused).
func (p Path) Read() ([]byte, error) { return proxywasm.GetProperty(p.segments) }
