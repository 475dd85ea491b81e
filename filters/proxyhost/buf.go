package proxyhost

import "unsafe"

// MaxKept is the largest capacity a Buf keeps for the next value; memory for a larger value is left to the GC.
const MaxKept = 16 << 10

// Buf is memory in which a filter builds a value (a rewritten baggage header, a refusal body) that it hands
// to the host before its callback returns; in Wasm it is reused from one value to the next (see the package
// comment). The zero Buf is ready to use.
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
