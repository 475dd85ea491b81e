// No build tag: this file is pure Go, so it is also unit-tested and fuzzed natively (pairs_test.go).

package internal

import (
	"encoding/binary"
	"errors"
	"slices"
	"unsafe"
)

// errMalformedMap reports serialized pairs that do not fit the ABI's layout.
var errMalformedMap = errors.New("host returned malformed header map pairs")

// deserializeInto appends the pairs serialized in b (count, then a key and value length per pair, then each
// key and value followed by a NUL) to dst, with strings aliasing b. It checks every length against b.
//
// It runs on every request over every header: dst is grown once for all pairs (only when its capacity is short:
// the caller reuses it) and filled by index, and the lengths are read through one pointer into b, so each pair
// costs two loads, one bounds check and one store of both strings (a per-pair append and sub-slices of b cost
// about twice that in the Go compiler's Wasm code). Both strings are made before the store, so that the store's
// two pointers share one write-barrier check.
func deserializeInto(dst [][2]string, b []byte) ([][2]string, error) {
	if len(b) < 4 {
		return nil, errMalformedMap
	}
	count := uint64(binary.LittleEndian.Uint32(b))
	data := 4 + 8*count
	size := uint64(len(b))
	if data > size {
		return nil, errMalformedMap
	}
	// count <= len(b)/8 from here, so growing dst by count is bounded by the buffer the host filled.
	n := len(dst)
	if uint64(cap(dst)-n) < count {
		dst = slices.Grow(dst, int(count))
	}
	dst = dst[:n+int(count)]
	out := dst[n:]
	base := unsafe.Pointer(unsafe.SliceData(b))
	for i := range out {
		// An array pointer, not unsafe.Slice: that checks its length with a call per use.
		sizes := (*[8]byte)(unsafe.Add(base, 4+8*i))
		kn := uint64(binary.LittleEndian.Uint32(sizes[:4]))
		vn := uint64(binary.LittleEndian.Uint32(sizes[4:]))
		end := data + kn + vn + 2
		if end > size {
			return nil, errMalformedMap
		}
		k := unsafe.String((*byte)(unsafe.Add(base, data)), int(kn))
		v := unsafe.String((*byte)(unsafe.Add(base, data+kn+1)), int(vn))
		out[i] = [2]string{k, v}
		data = end
	}
	return dst, nil
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
