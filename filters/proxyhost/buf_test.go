package proxyhost

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBufReusesMemoryOnlyWhenTheHostCopies(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reuse  bool
		shared bool
	}{
		{"wasm: the next value is built in the last value's memory", true, true},
		{"native: every value gets fresh memory", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b Buf
			first := b.finish(append(b.start(tt.reuse), "laneway-tenant=acme"...), tt.reuse)
			keep := string(first)
			second := b.finish(append(b.start(tt.reuse), "laneway-shadow=1"...), tt.reuse)
			assert.Equal(t, "laneway-shadow=1", string(second))
			assert.Equal(t, tt.shared, unsafe.SliceData(first) == unsafe.SliceData(second), "same memory")
			if tt.shared {
				assert.NotEqual(t, keep, string(first), "a value kept past the next Start is overwritten")
			} else {
				assert.Equal(t, keep, string(first), "natively a value stays intact")
			}
		})
	}
}

func TestBufDoesNotKeepLargeValues(t *testing.T) {
	var b Buf
	big := b.finish(append(b.start(true), strings.Repeat("x", MaxKept+1)...), true)
	require.Greater(t, cap(big), MaxKept)
	assert.Zero(t, cap(b.start(true)), "memory above MaxKept is left to the GC")
	small := b.finish(append(b.start(true), "a=1"...), true)
	assert.Equal(t, unsafe.SliceData(small), unsafe.SliceData(b.start(true)), "small values' memory is kept")
}

func TestFinishReturnsTheValue(t *testing.T) {
	var b Buf
	assert.Equal(t, "k=v", b.Finish(append(b.Start(), "k=v"...)))
	assert.Equal(t, "", b.Finish(b.Start()))
	assert.Equal(t, []byte("body"), b.FinishBytes(append(b.Start(), "body"...)))
}
