package synthetic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHeaderMarker(t *testing.T) {
	tests := []struct {
		value, id string
		ok        bool
	}{
		{"1", "", true},
		{" 1\t", "", true},
		{"1;id=abc-DEF_9", "abc-DEF_9", true},
		{"1 ; id=tx1 ", "tx1", true},
		{"1;id=", "", false},
		{"1;id=a.b", "", false},
		{"1;tx=abc", "", false},
		{"true", "", false},
		{"", "", false},
		{"10", "", false},
	}
	for _, tt := range tests {
		id, ok := parseHeaderMarker(tt.value)
		assert.Equal(t, tt.ok, ok, "value %q", tt.value)
		assert.Equal(t, tt.id, id, "value %q", tt.value)
	}
}

func TestNewTxIDIsThirtyTwoHexCharactersAndVaries(t *testing.T) {
	a, b := NewTxID(), NewTxID()
	assert.Regexp(t, `^[0-9a-f]{32}$`, a)
	assert.True(t, ValidTxID(a))
	assert.NotEqual(t, a, b)
}

func TestValidTxIDBounds(t *testing.T) {
	long := make([]byte, MaxTxIDLen+1)
	for i := range long {
		long[i] = 'a'
	}
	assert.True(t, ValidTxID(string(long[:MaxTxIDLen])))
	assert.False(t, ValidTxID(string(long)))
	assert.False(t, ValidTxID(""))
	assert.False(t, ValidTxID("a b"))
}

func TestAppendTxIDAppendsAFreshID(t *testing.T) {
	b := AppendTxID([]byte("id="))
	require.Len(t, b, 3+32)
	assert.Equal(t, "id=", string(b[:3]))
	assert.True(t, ValidTxID(string(b[3:])))
	assert.NotEqual(t, string(b[3:]), string(AppendTxID(nil)))
}
