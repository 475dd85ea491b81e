//go:build wasm

package proxyhost

// SameName reports whether two header names are equal byte for byte, comparing machine words where == would call
// runtime.memequal (sameNameWords): a scan compares every request header against several names.
func SameName(a, b string) bool { return sameNameWords(a, b) }
