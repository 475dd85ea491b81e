//go:build laneway_glue

package hostprop

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// Read returns the attribute's value, valid until the next Read (see the package comment).
func (p Path) Read() ([]byte, error) { return proxywasm.LanewayGetPropertyScratch(p.serialized) }
