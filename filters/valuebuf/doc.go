// Package valuebuf holds the memory in which a filter builds a value (a rewritten baggage header, a
// refusal body) that it hands to the host before its callback returns.
//
// In the Wasm build the memory is reused from one request to the next, so building such a value
// allocates nothing in the steady state. That is safe because Envoy copies a value during the host
// call that takes it (proxy_replace_header_map_value, proxy_set_header_map_pairs,
// proxy_send_local_response); nothing refers to it once the call returns. A caller must therefore
// finish with one value (hand it to the host) before it starts the next in the same Buf, and must
// copy anything it keeps past its callback.
//
// Natively (proxytest, the CLI) every value gets fresh memory: proxytest keeps the very strings and
// slices a filter passes it instead of copying them as Envoy does. The Wasm-leg tests of each filter
// hold it to the contract (interleaved streams whose values must not bleed into each other).
package valuebuf

import "unsafe"

// MaxKept is the largest capacity a Buf keeps for the next value; memory for a larger value is left to the GC.
const MaxKept = 16 << 10

// Buf is reusable memory for one value at a time; the zero Buf is ready to use.
type Buf struct{ b []byte }

// Start returns an empty slice to append the next value to: the last value's memory in Wasm, none natively.
func (b *Buf) Start() []byte { return b.start(reuse) }

// Finish records v (built on what Start returned) for reuse and returns it as a string valid until the next Start.
func (b *Buf) Finish(v []byte) string {
	v = b.finish(v, reuse)
	return unsafe.String(unsafe.SliceData(v), len(v))
}

// FinishBytes is Finish for a value the host takes as bytes (a body).
func (b *Buf) FinishBytes(v []byte) []byte { return b.finish(v, reuse) }

func (b *Buf) start(reuse bool) []byte {
	if !reuse {
		return nil
	}
	return b.b[:0]
}

func (b *Buf) finish(v []byte, reuse bool) []byte {
	if reuse && cap(v) <= MaxKept {
		b.b = v[:0]
	}
	return v
}
