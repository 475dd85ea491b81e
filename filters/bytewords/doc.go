// Package bytewords reads eight (or four) bytes of a string as one little-endian word and tests all of its
// bytes at once: the filters' byte scans (baggage values, header names, tenant labels) in the Go compiler's
// Wasm code, where a byte loop or a string comparison costs several instructions a byte. In Wasm a load is one
// unaligned machine load (Wasm is little-endian); natively it goes through encoding/binary, so the byte order,
// which some callers' position arithmetic depends on, is the same on every machine.
package bytewords

// Ones has 0x01 in every byte; Highs has the high bit of every byte.
const (
	Ones  = 0x0101010101010101
	Highs = 0x8080808080808080
)

// ZeroBytes has the high bit of some byte set if and only if w has a zero byte; the lowest byte it flags is the
// lowest zero byte (borrows only run upward).
func ZeroBytes(w uint64) uint64 { return (w - Ones) &^ w }
