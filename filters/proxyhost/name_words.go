package proxyhost

import "github.com/laneway/laneway/filters/bytewords"

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
	return bytewords.Load64(a, 0) == bytewords.Load64(b, 0) && bytewords.Load64(a, n-8) == bytewords.Load64(b, n-8)
}
