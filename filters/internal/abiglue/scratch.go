//go:build laneway_glue

package internal

import (
	"math"
	"unsafe"
)

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

// The scratch buffers, by id: one per kind of read, so that reading one kind does not overwrite another's bytes.
const (
	scratchNone    = iota
	scratchHeaders // request and response header maps
	scratchProps   // property values
	scratchValues  // single header values
	scratchBody    // body bytes
	// scratchIDs sizes scratchBufs as a power of two, so that indexing it with id&(scratchIDs-1) needs no check.
	scratchIDs = 8
)

var (
	serialBuf    []byte
	scratchBufs  [scratchIDs][]byte
	scratchPairs [][2]string
	// scratchInto names, during a scratch read's host call, the buffer the allocation the host asks for then
	// comes from (see exportOnMemoryAllocate); scratchNone otherwise. An id, not a pointer: setting and clearing
	// it costs no write barrier.
	scratchInto uint32
)

// scratchGrow replaces *buf, too small for size bytes, with a larger buffer and returns it, or returns nil
// when size exceeds scratchMaxBytes (exportOnMemoryAllocate serves buffers large enough itself).
func scratchGrow(buf *[]byte, size uint32) *byte {
	if size > scratchMaxBytes {
		return nil
	}
	n := max(size, 256, uint32(cap(*buf))*2)
	*buf = make([]byte, min(n, scratchMaxBytes))
	return unsafe.SliceData(*buf)
}

// scratchSlots starts a scratch read into buffer id: it clears and returns the (ptr, len) out-slots, as
// bytesSlots, for a host call whose memory allocation then comes from that buffer (see exportOnMemoryAllocate).
// scratchData ends the read. The two are inlined around the host call, which costs less than handing the call
// to a shared function as a closure.
func scratchSlots(id uint32) (*uint32, *uint32) {
	scratchInto = id
	outPtr, outLen = 0, 0
	return &outPtr, &outLen
}

// scratchData ends a scratch read whose host call returned st: it returns the bytes the host wrote through
// the out-slots, nil when there are none or st is not OK.
func scratchData(st Status) []byte {
	scratchInto = scratchNone
	var data []byte
	if st == StatusOK && outPtr != 0 && outLen != 0 {
		// An array pointer, not unsafe.Slice: that multiplies the length by the element size with a call.
		data = (*[math.MaxUint32]byte)(unsafe.Pointer(uintptr(outPtr)))[:outLen:outLen]
	}
	// Data over scratchMaxBytes came in a buffer of its own, held by allocKeep until now: data keeps it alive
	// from here on (as in received).
	if len(allocKeep) != 0 {
		releaseAllocs()
	}
	return data
}

// ReadHeaderMapScratch returns the pairs of a header map with no allocation in the steady state. The strings
// are valid until the next ReadHeaderMapScratch: copy what must outlive the current callback. A status other
// than OK is its error (StatusToError) with nil pairs; malformed data from the host is an error, never a
// panic.
func ReadHeaderMapScratch(mapType MapType) ([][2]string, error) {
	op, ol := scratchSlots(scratchHeaders)
	st := Status(abiGetHeaderMapPairs(uint32(mapType), op, ol))
	data := scratchData(st)
	if st != StatusOK {
		return nil, StatusToError(st)
	}
	if data == nil {
		return scratchPairs[:0], nil
	}
	err := deserializeInto(&scratchPairs, data)
	pairs := scratchPairs
	if cap(pairs) > scratchMaxPairs {
		scratchPairs = nil
	}
	if err != nil {
		return nil, err
	}
	return pairs, nil
}

// ScannedNames is what the last ReadHeaderMapScanScratch learnt of the names (NameScan), valid with its pairs. A
// variable the read fills, not a result: results travel through the Go stack in Wasm, and copying them out cost
// more than the pass over the names saves.
var ScannedNames NameScan

// ReadHeaderMapScanScratch is ReadHeaderMapScratch that also fills ScannedNames from the names on the way
// (deserializeScanInto); on an error ScannedNames is unspecified. A function of its own, not a flag of
// ReadHeaderMapScratch: the modules that do not summarise the names pay nothing for it.
func ReadHeaderMapScanScratch(mapType MapType) ([][2]string, error) {
	op, ol := scratchSlots(scratchHeaders)
	st := Status(abiGetHeaderMapPairs(uint32(mapType), op, ol))
	data := scratchData(st)
	if st != StatusOK {
		return nil, StatusToError(st)
	}
	if data == nil {
		ScannedNames = NameScan{}
		return scratchPairs[:0], nil
	}
	err := deserializeScanInto(&scratchPairs, data, &ScannedNames)
	pairs := scratchPairs
	if cap(pairs) > scratchMaxPairs {
		scratchPairs = nil
	}
	if err != nil {
		return nil, err
	}
	return pairs, nil
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
	op, ol := scratchSlots(scratchProps)
	st := Status(abiGetProperty(ptr(&path[0]), uint32(len(path)), op, ol))
	return scratchData(st), st
}

// ReadHeaderValueScratch returns the first value of key in a header map with no allocation in the steady
// state; the bytes are valid until the next ReadHeaderValueScratch. A status other than OK comes with nil.
func ReadHeaderValueScratch(mapType MapType, key string) ([]byte, Status) {
	if key == "" {
		return nil, StatusBadArgument
	}
	op, ol := scratchSlots(scratchValues)
	st := Status(abiGetHeaderMapValue(uint32(mapType), unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)), op, ol))
	return scratchData(st), st
}

// ReadBufferScratch returns up to maxSize bytes of a buffer (an HTTP body) from start with no allocation in the
// steady state; the bytes are valid until the next ReadBufferScratch. A status other than OK comes with nil;
// OK with no bytes is NotFound, as the SDK's read says.
func ReadBufferScratch(bufferType BufferType, start, maxSize uint32) ([]byte, Status) {
	op, ol := scratchSlots(scratchBody)
	st := Status(abiGetBufferBytes(uint32(bufferType), start, maxSize, op, ol))
	data := scratchData(st)
	if st == StatusOK && data == nil {
		return nil, StatusNotFound
	}
	return data, st
}
