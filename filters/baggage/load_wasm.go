//go:build wasm

package baggage

import "unsafe"

// load64 returns the 8 bytes of s at i as a little-endian word; i+8 <= len(s). Wasm is little-endian, so this
// is one unaligned load: binary.LittleEndian.Uint64 of unsafe.Slice costs a runtime.MulUintptr call in the Go
// compiler's Wasm code.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}
