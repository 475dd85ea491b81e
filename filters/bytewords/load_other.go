//go:build !wasm

package bytewords

import (
	"encoding/binary"
	"unsafe"
)

// Load64 returns the 8 bytes of s from i on as a little-endian word; it panics unless i+8 <= len(s).
func Load64(s string, i int) uint64 {
	_ = s[i+7]
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
}

// Load32 returns the 4 bytes of s from i on as a little-endian word; it panics unless i+4 <= len(s).
func Load32(s string, i int) uint32 {
	_ = s[i+3]
	return binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(s[i:]), 4))
}
