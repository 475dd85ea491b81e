// No build tag: this file is pure Go, so it is also unit-tested and fuzzed natively (pairs_test.go).

package internal

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// errMalformedMap reports serialized pairs that do not fit the ABI's layout.
var errMalformedMap = errors.New("host returned malformed header map pairs")

// deserializeInto appends the pairs serialized in b (count, then a key and value length per pair, then each
// key and value followed by a NUL) to dst, with strings aliasing b. It checks every length against b.
func deserializeInto(dst [][2]string, b []byte) ([][2]string, error) {
	if len(b) < 4 {
		return nil, errMalformedMap
	}
	count := uint64(binary.LittleEndian.Uint32(b))
	sizes := uint64(4)
	data := sizes + 8*count
	if data > uint64(len(b)) {
		return nil, errMalformedMap
	}
	for ; count > 0; count-- {
		kn := uint64(binary.LittleEndian.Uint32(b[sizes:]))
		vn := uint64(binary.LittleEndian.Uint32(b[sizes+4:]))
		sizes += 8
		if data+kn+vn+2 > uint64(len(b)) {
			return nil, errMalformedMap
		}
		k := unsafe.String(unsafe.SliceData(b[data:]), int(kn))
		data += kn + 1
		v := unsafe.String(unsafe.SliceData(b[data:]), int(vn))
		data += vn + 1
		dst = append(dst, [2]string{k, v})
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
