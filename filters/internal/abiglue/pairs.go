// No build tag: this file is pure Go, so it is also unit-tested and fuzzed natively (pairs_test.go).

package internal

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// errMalformedMap reports serialized pairs that do not fit the ABI's layout.
var errMalformedMap = errors.New("host returned malformed header map pairs")

// pairHeader is the memory layout of a [2]string. A pair stored through it gets its strings without
// unsafe.String's checks (two compares and branches per string); its pointers are unsafe.Pointer, so the
// store keeps its write barriers.
type pairHeader struct {
	key    unsafe.Pointer
	keyLen int
	val    unsafe.Pointer
	valLen int
}

// deserializeInto sets *dst to the pairs serialized in b (count, then a key and value length per pair, then
// each key and value followed by a NUL), with strings aliasing b, reusing *dst's storage when its capacity
// suffices. It checks every length against b; on malformed data it returns errMalformedMap and *dst's contents
// are unspecified.
//
// It runs on every request over every header, so it is shaped for the Go compiler's Wasm code: *dst is grown
// (a write barrier) only when its capacity is short, and otherwise only its length is set; the caller passes a
// pointer and gets an error back (fewer words through the stack than slices both ways); the pairs are filled
// by index and their lengths read through a pointer into b that moves 8 bytes a pair; each pair is stored
// whole through a pairHeader, so its two pointers share one write-barrier check. Every string lies inside b:
// a key ends before its NUL and a value before the NUL that end <= len(b) accounts for.
func deserializeInto(dst *[][2]string, b []byte) error {
	if len(b) < 4 {
		return errMalformedMap
	}
	count := uint64(binary.LittleEndian.Uint32(b))
	data := 4 + 8*count
	size := uint64(len(b))
	if data > size {
		return errMalformedMap
	}
	// count <= len(b)/8 from here, so growing *dst to count is bounded by the buffer the host filled. It grows
	// as append would (at least double), so that maps of varying sizes reach a reused capacity in a few reads.
	if c := uint64(cap(*dst)); c < count {
		*dst = make([][2]string, count, max(count, 2*c, 8))
	}
	*dst = (*dst)[:count] // sets the length only
	out := *dst
	base := unsafe.Pointer(unsafe.SliceData(b))
	sizes := unsafe.Add(base, 4)
	for i := range out {
		kn := le32(sizes)
		vn := le32(unsafe.Add(sizes, 4))
		end := data + kn + vn + 2
		if end > size {
			return errMalformedMap
		}
		*(*pairHeader)(unsafe.Pointer(&out[i])) = pairHeader{unsafe.Add(base, data), int(kn), unsafe.Add(base, data+kn+1), int(vn)}
		data = end
		sizes = unsafe.Add(sizes, 8)
	}
	return nil
}

// NameScan is what a scanning read (deserializeScanInto) learns of the header names on the way, for a module
// that summarises the request's headers (laneway's combined module, see filters/headerscan): it spares that
// module a second pass over the pairs, which costs more than the few instructions a pair added here.
type NameScan struct {
	// Lengths has bit n&63 set for every name of n bytes.
	Lengths uint64
	// Bag is the index of the first name that is "baggage" in any ASCII case (the W3C baggage header every
	// laneway role reads), Bags how many such names there are.
	Bag, Bags int
}

// Little-endian words of "bagg" and "gage" ("baggage"[3:]), with the bits foldBits sets to fold ASCII case.
const (
	wordBagg = 'b' | 'a'<<8 | 'g'<<16 | 'g'<<24
	wordGage = 'g' | 'a'<<8 | 'g'<<16 | 'e'<<24
	foldBits = 0x20202020
)

// deserializeScanInto is deserializeInto that also fills ns with what the names hold (NameScan). On malformed
// data it returns errMalformedMap and *ns is unspecified. It repeats deserializeInto's loop instead of sharing it:
// one body would make every module's read pay for the names' summary (about 26 instructions a pair), or cost a
// call a pair.
func deserializeScanInto(dst *[][2]string, b []byte, ns *NameScan) error {
	if len(b) < 4 {
		return errMalformedMap
	}
	count := uint64(binary.LittleEndian.Uint32(b))
	data := 4 + 8*count
	size := uint64(len(b))
	if data > size {
		return errMalformedMap
	}
	if c := uint64(cap(*dst)); c < count {
		*dst = make([][2]string, count, max(count, 2*c, 8))
	}
	*dst = (*dst)[:count]
	out := *dst
	base := unsafe.Pointer(unsafe.SliceData(b))
	sizes := unsafe.Add(base, 4)
	var lengths uint64
	bag, bags := 0, 0
	for i := range out {
		kn := le32(sizes)
		vn := le32(unsafe.Add(sizes, 4))
		end := data + kn + vn + 2
		if end > size {
			return errMalformedMap
		}
		key := unsafe.Add(base, data)
		lengths |= 1 << (kn & 63)
		// A name of seven bytes lies inside b (end <= size): its two overlapping words are read in place.
		if kn == 7 && le32(key)|foldBits == wordBagg && le32(unsafe.Add(key, 3))|foldBits == wordGage {
			if bags == 0 {
				bag = i
			}
			bags++
		}
		*(*pairHeader)(unsafe.Pointer(&out[i])) = pairHeader{key, int(kn), unsafe.Add(base, data+kn+1), int(vn)}
		data = end
		sizes = unsafe.Add(sizes, 8)
	}
	*ns = NameScan{Lengths: lengths, Bag: bag, Bags: bags}
	return nil
}

// le32 reads the little-endian uint32 at p. Built from bytes into a uint64, it compiles to one zero-extending
// load on a little-endian machine (binary.LittleEndian.Uint32 converted to uint64 adds a mask to that load).
func le32(p unsafe.Pointer) uint64 {
	b := (*[4]byte)(p)
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
}

// serializeInto lays pairs out in dst's storage as the ABI expects (the layout deserializeInto reads) and
// returns the bytes, at least the 4-byte count even for no pairs.
func serializeInto(dst []byte, pairs [][2]string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst[:0], uint32(len(pairs)))
	for _, p := range pairs {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p[0])))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p[1])))
	}
	for _, p := range pairs {
		dst = append(dst, p[0]...)
		dst = append(dst, 0)
		dst = append(dst, p[1]...)
		dst = append(dst, 0)
	}
	return dst
}
