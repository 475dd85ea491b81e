//go:build laneway_glue

package internal

import "unsafe"

// A scratch read returns a header map without allocating: the host copies the serialized map into a buffer
// the glue reuses, and the pairs land in a reused slice whose strings alias that buffer. Both are overwritten
// by the next scratch read, so a caller must copy whatever it keeps past its callback. This is what lets a
// stateless filter read every request header with zero allocations (the SDK's read makes two per request:
// the buffer and the [][2]string), which also keeps Go's GC from ever running in the steady state.
const (
	// scratchMaxBytes bounds the buffer kept between reads; a larger map gets a buffer of its own that the
	// GC frees, so one huge request does not pin its size for the life of the VM.
	scratchMaxBytes = 64 << 10
	// scratchMaxPairs bounds the pair slice kept between reads, likewise.
	scratchMaxPairs = 512
)

var (
	serialBuf    []byte
	scratchBuf   []byte // request header maps
	propBuf      []byte // property values, apart so that reading one does not overwrite the headers
	valueBuf     []byte // single header values, apart from both
	bodyBuf      []byte // body bytes, apart from all of them
	scratchPairs [][2]string
	// scratchInto is set during a scratch read's host call: the allocation the host asks for then comes from
	// that buffer (see exportOnMemoryAllocate).
	scratchInto *[]byte
)

// scratchAlloc returns room for size bytes in *buf, growing it, or nil when size exceeds scratchMaxBytes.
func scratchAlloc(buf *[]byte, size uint32) *byte {
	if size > scratchMaxBytes {
		return nil
	}
	if uint32(cap(*buf)) < size {
		n := max(size, 256, uint32(cap(*buf))*2)
		*buf = make([]byte, min(n, scratchMaxBytes))
	}
	return &(*buf)[:size][0]
}

// scratchRead makes a host call that returns bytes through the (ptr, len) out-slots, with the memory the host
// asks for taken from *buf (see exportOnMemoryAllocate); it returns those bytes, nil when there are none.
func scratchRead(buf *[]byte, call func(outPtr, outLen *uint32) uint32) ([]byte, Status) {
	op, ol := bytesSlots()
	scratchInto = buf
	st := Status(call(op, ol))
	scratchInto = nil
	var data []byte
	if st == StatusOK && outPtr != 0 && outLen != 0 {
		data = unsafe.Slice((*byte)(unsafe.Pointer(uintptr(outPtr))), outLen)
	}
	// Data over scratchMaxBytes came in a buffer of its own, held by allocKeep until now: data keeps it alive
	// from here on (as in received).
	releaseAllocs()
	return data, st
}

// ReadHeaderMapScratch returns the pairs of a header map with no allocation in the steady state. The strings
// are valid until the next ReadHeaderMapScratch: copy what must outlive the current callback. A status other
// than OK comes with nil pairs; malformed data from the host is an error, never a panic.
func ReadHeaderMapScratch(mapType MapType) ([][2]string, Status, error) {
	data, st := scratchRead(&scratchBuf, func(op, ol *uint32) uint32 { return abiGetHeaderMapPairs(uint32(mapType), op, ol) })
	if st != StatusOK {
		return nil, st, nil
	}
	if data == nil {
		return scratchPairs[:0], st, nil
	}
	pairs, err := deserializeInto(scratchPairs[:0], data)
	if err != nil {
		return nil, st, err
	}
	if cap(pairs) <= scratchMaxPairs {
		scratchPairs = pairs
	}
	return pairs, st, nil
}

// SerializeMapReused serializes pairs into a buffer the next call reuses, for host calls that copy their
// arguments before returning and never call back into Go meanwhile (set_header_map_pairs and
// send_local_response: Envoy sends a local reply after the callback returns). Buffers larger than
// scratchMaxBytes are not kept.
func SerializeMapReused(pairs [][2]string) []byte {
	b := serializeInto(serialBuf, pairs)
	if cap(b) <= scratchMaxBytes {
		serialBuf = b
	}
	return b
}

// ReadPropertyScratch returns a property's value (path serialized as NUL-terminated segments) with no
// allocation in the steady state; the bytes are valid until the next ReadPropertyScratch. A status other than
// OK comes with nil.
func ReadPropertyScratch(path []byte) ([]byte, Status) {
	if len(path) == 0 {
		return nil, StatusBadArgument
	}
	return scratchRead(&propBuf, func(op, ol *uint32) uint32 { return abiGetProperty(ptr(&path[0]), uint32(len(path)), op, ol) })
}

// ReadHeaderValueScratch returns the first value of key in a header map with no allocation in the steady
// state; the bytes are valid until the next ReadHeaderValueScratch. A status other than OK comes with nil.
func ReadHeaderValueScratch(mapType MapType, key string) ([]byte, Status) {
	if key == "" {
		return nil, StatusBadArgument
	}
	return scratchRead(&valueBuf, func(op, ol *uint32) uint32 {
		return abiGetHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)), op, ol)
	})
}

// ReadBufferScratch returns up to maxSize bytes of a buffer (an HTTP body) from start with no allocation in the
// steady state; the bytes are valid until the next ReadBufferScratch. A status other than OK comes with nil;
// OK with no bytes is NotFound, as the SDK's read says.
func ReadBufferScratch(bufferType BufferType, start, maxSize uint32) ([]byte, Status) {
	data, st := scratchRead(&bodyBuf, func(op, ol *uint32) uint32 { return abiGetBufferBytes(uint32(bufferType), start, maxSize, op, ol) })
	if st == StatusOK && data == nil {
		return nil, StatusNotFound
	}
	return data, st
}
