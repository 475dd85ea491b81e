//go:build laneway_glue

package internal

import "unsafe"

// allocKeep holds the buffers proxy_on_memory_allocate returned to the host until the host call that
// asked for them has handed their address to Go code (see received). Go's GC does not move objects, so
// the address stays valid; this reference keeps the buffer from being freed in between.
var allocKeep [][]byte

// allocOne backs zero-size requests: &buf[0] of an empty slice would panic.
var allocOne [1]byte

//go:wasmexport proxy_on_memory_allocate
func exportOnMemoryAllocate(size uint32) uint32 {
	// The common case first: a scratch read whose buffer is large enough. A buffer's capacity never exceeds
	// scratchMaxBytes, and size-1 wraps around for size 0.
	if into := scratchInto; into != scratchNone {
		scratchInto = scratchNone
		buf := &scratchBufs[into&(scratchIDs-1)]
		if size-1 < uint32(cap(*buf)) {
			return uint32(uintptrOf(unsafe.SliceData(*buf)))
		}
		if size != 0 {
			if b := scratchGrow(buf, size); b != nil {
				return uint32(uintptrOf(b))
			}
		}
	}
	if size == 0 {
		return uint32(uintptrOf(&allocOne[0]))
	}
	buf := make([]byte, size)
	allocKeep = append(allocKeep, buf)
	return uint32(uintptrOf(&buf[0]))
}

// releaseAllocs drops the references taken by exportOnMemoryAllocate during the last host call.
func releaseAllocs() {
	if len(allocKeep) == 0 {
		return
	}
	clear(allocKeep)
	allocKeep = allocKeep[:0]
}
