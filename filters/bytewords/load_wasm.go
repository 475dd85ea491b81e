//go:build wasm

package bytewords

import "unsafe"

// Load64 returns the 8 bytes of s from i on as a little-endian word; the caller makes sure i+8 <= len(s). One
// unaligned load and no bounds check, so that the callers' word compares stay within the inlining budget (with
// the check proxyhost.SameName costs 101 against 80); the native build checks, so the packages' tests and fuzz
// targets catch a caller that reads past a string. binary.LittleEndian.Uint64 of unsafe.Slice costs a
// runtime.MulUintptr call in the Go compiler's Wasm code.
func Load64(s string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}

// Load32 returns the 4 bytes of s from i on as a little-endian word; the caller makes sure i+4 <= len(s) (see
// Load64).
func Load32(s string, i int) uint32 {
	return *(*uint32)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}
