//go:build !wasm

package proxyhost

// SameName reports whether two header names are equal byte for byte (== natively; see name_wasm.go).
func SameName(a, b string) bool { return a == b }
