package proxyhost

import "unsafe"

// sameNameWords is SameName in the Wasm build (name_wasm.go), here so that native tests run it too. Small enough
// to be inlined, it compares a name of 8 to 16 bytes (most header names) as two machine words, where == calls
// runtime.memequal, whose Wasm body compares one byte per loop turn.
func sameNameWords(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n < 8 || n > 16 {
		return a == b
	}
	return word(a, 0) == word(b, 0) && word(a, n-8) == word(b, n-8)
}

// word is the 8 bytes of s from i on, as one unaligned load (Wasm allows it, and checkptr does for pointer-free
// types); the caller makes sure len(s) >= i+8.
func word(s string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}
