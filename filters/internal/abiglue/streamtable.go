// No build tag: this file is pure Go, so it is also unit-tested natively (streamtable_test.go). streams.go
// says why the glue keeps its own table of live HTTP streams.

package internal

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// streamEntry is one live HTTP stream.
type streamEntry struct {
	id, root uint32
	ctx      types.HttpContext // nil: the slot is free
	// quiet: the glue answers the stream's response headers itself (see SkipResponseHeaders).
	quiet bool
}

// streamSlots is the direct-mapped part of the table (a power of two). Envoy numbers contexts with one
// increasing counter per VM, so the streams alive at one time sit in a window of ids and map to distinct
// slots unless more than this many ids separate the oldest live stream from the newest; a stream whose
// slot is taken goes to the overflow map instead.
const streamSlots = 512

var streams struct {
	slots    [streamSlots]streamEntry
	overflow map[uint32]streamEntry
}

// stream returns the live stream's entry, a free entry (nil ctx) when id is not a live HTTP stream.
func stream(id uint32) streamEntry {
	if e := &streams.slots[id&(streamSlots-1)]; e.id == id && e.ctx != nil {
		return *e
	}
	if len(streams.overflow) != 0 {
		return streams.overflow[id]
	}
	return streamEntry{}
}

// streamContext returns the live stream's context, nil when id is not a live HTTP stream.
func streamContext(id uint32) types.HttpContext { return stream(id).ctx }

// streamAdd makes id a live stream of root with context ctx; quiet marks its response headers answered by the
// glue.
func streamAdd(id, root uint32, ctx types.HttpContext, quiet bool) {
	if e := &streams.slots[id&(streamSlots-1)]; e.ctx == nil {
		*e = streamEntry{id: id, root: root, ctx: ctx, quiet: quiet}
		return
	}
	if streams.overflow == nil {
		streams.overflow = map[uint32]streamEntry{}
	}
	streams.overflow[id] = streamEntry{id: id, root: root, ctx: ctx, quiet: quiet}
}

// streamRemove forgets the stream and returns its context, nil when id was not a live HTTP stream.
func streamRemove(id uint32) types.HttpContext {
	if e := &streams.slots[id&(streamSlots-1)]; e.id == id && e.ctx != nil {
		ctx := e.ctx
		*e = streamEntry{}
		return ctx
	}
	if e, ok := streams.overflow[id]; ok {
		delete(streams.overflow, id)
		return e.ctx
	}
	return nil
}

// streamReplace makes ctx the live stream's context (its later callbacks, its response headers included, and
// its deletion go to ctx); false when id is not a live HTTP stream or ctx is nil.
func streamReplace(id uint32, ctx types.HttpContext) bool {
	if ctx == nil {
		return false
	}
	if e := &streams.slots[id&(streamSlots-1)]; e.id == id && e.ctx != nil {
		e.ctx, e.quiet = ctx, false
		return true
	}
	if e, ok := streams.overflow[id]; ok {
		e.ctx, e.quiet = ctx, false
		streams.overflow[id] = e
		return true
	}
	return false
}
