package bytewords

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLoadsAreLittleEndianAtAnyOffset(t *testing.T) {
	s := "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
	for i := 0; i+8 <= len(s); i++ {
		assert.Equal(t, binary.LittleEndian.Uint64([]byte(s[i:i+8])), Load64(s, i), "Load64 at %d", i)
	}
	for i := 0; i+4 <= len(s); i++ {
		assert.Equal(t, binary.LittleEndian.Uint32([]byte(s[i:i+4])), Load32(s, i), "Load32 at %d", i)
	}
	assert.Panics(t, func() { Load64(s, len(s)-7) }, "natively a load past the end is refused")
	assert.Panics(t, func() { Load32(s, len(s)-3) }, "natively a load past the end is refused")
}

func TestZeroBytesFlagsExactlyWordsWithAZeroByte(t *testing.T) {
	for _, w := range []uint64{0, 1, 0x0100000000000000, 0x00ff, Ones, Highs, ^uint64(0), 0x8000000000000000, 0x0180} {
		want := false
		for b := 0; b < 8; b++ {
			want = want || byte(w>>(8*b)) == 0
		}
		assert.Equal(t, want, ZeroBytes(w)&Highs != 0, "%#x", w)
	}
}
