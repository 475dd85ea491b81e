//go:build laneway_glue

package internal

// allocKeep holds the buffers proxy_on_memory_allocate returned to the host until the host call that
// asked for them has handed their address to Go code (see received). Go's GC does not move objects, so
// the address stays valid; this reference keeps the buffer from being freed in between.
var allocKeep [][]byte

// allocOne backs zero-size requests: &buf[0] of an empty slice would panic.
var allocOne [1]byte

//go:wasmexport proxy_on_memory_allocate
func exportOnMemoryAllocate(size uint32) uint32 {
	if size == 0 {
		return uint32(uintptrOf(&allocOne[0]))
	}
	if into := scratchInto; into != scratchNone {
		scratchInto = scratchNone
		if b := scratchAlloc(&scratchBufs[into&(scratchIDs-1)], size); b != nil {
			return uint32(uintptrOf(b))
		}
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
