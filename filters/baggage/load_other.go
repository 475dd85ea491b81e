//go:build !wasm

package baggage

import (
	"encoding/binary"
	"unsafe"
)

// load64 returns the 8 bytes of s at i as a little-endian word; i+8 <= len(s). Natively the byte order is the
// machine's own, so it goes through encoding/binary (one load on a little-endian machine); skipValue's position
// arithmetic and index's comparisons rely on the little-endian order on every platform.
func load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
}
