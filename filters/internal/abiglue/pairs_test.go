package internal

import (
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serialize lays pairs out as the proxy-wasm ABI does (what Envoy and testenv send).
func serialize(pairs [][2]string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(pairs)))
	for _, p := range pairs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p[0])))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p[1])))
	}
	for _, p := range pairs {
		b = append(append(append(append(b, p[0]...), 0), p[1]...), 0)
	}
	return b
}

// deserialize reads b into a new slice, as deserializeInto does into the glue's reused one; nil on error.
func deserialize(b []byte) ([][2]string, error) {
	var pairs [][2]string
	if err := deserializeInto(&pairs, b); err != nil {
		return nil, err
	}
	return pairs, nil
}

func TestDeserializeIntoReadsWhatTheHostSerialized(t *testing.T) {
	for _, tt := range []struct {
		name  string
		pairs [][2]string
	}{
		{"empty map", [][2]string{}},
		{"one pair", [][2]string{{":path", "/"}}},
		{"repeats and empty values", [][2]string{{"baggage", "a=1"}, {"baggage", ""}, {"", "x"}, {"k", "v\x00w"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deserialize(serialize(tt.pairs))
			require.NoError(t, err)
			assert.Equal(t, len(tt.pairs), len(got))
			for i := range tt.pairs {
				assert.Equal(t, tt.pairs[i], got[i])
			}
		})
	}
}

func TestSerializeIntoLaysPairsOutAsTheABIDoes(t *testing.T) {
	buf := make([]byte, 0, 64)
	for _, pairs := range [][][2]string{nil, {{":status", "403"}}, {{"a", ""}, {"", "b"}, {"content-type", "text/plain"}}} {
		got := serializeInto(buf, pairs)
		assert.Equal(t, serialize(pairs), got)
		back, err := deserialize(got)
		require.NoError(t, err)
		assert.Equal(t, len(pairs), len(back))
	}
	pairs := [][2]string{{":status", "403"}, {"content-type", "text/plain"}}
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = serializeInto(buf, pairs) }), "a large enough buffer is reused")
}

func TestDeserializeIntoRejectsMalformedData(t *testing.T) {
	good := serialize([][2]string{{"baggage", "laneway-tenant=sbx-1"}, {":path", "/"}})
	huge := binary.LittleEndian.AppendUint32(nil, 1<<31)
	hugeKey := serialize([][2]string{{"k", "v"}})
	binary.LittleEndian.PutUint32(hugeKey[4:], 0xffffffff)
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"shorter than the count", good[:3]},
		{"count beyond the data", huge},
		{"sizes cut off", good[:10]},
		{"last value cut off", good[:len(good)-3]},
		{"missing final NUL", good[:len(good)-1]},
		{"key length past the end", hugeKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deserialize(tt.b)
			assert.ErrorIs(t, err, errMalformedMap)
			assert.Nil(t, got)
		})
	}
}

func TestDeserializeIntoReusesTheSliceWithoutAllocating(t *testing.T) {
	b := serialize([][2]string{{":method", "GET"}, {":path", "/"}, {"baggage", "laneway-tenant=sbx-1"}})
	dst := make([][2]string, 5, 8)
	storage := unsafe.SliceData(dst)
	allocs := testing.AllocsPerRun(100, func() {
		if err := deserializeInto(&dst, b); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	assert.Equal(t, storage, unsafe.SliceData(dst), "the storage is reused")
	require.Len(t, dst, 3, "the length is the pairs read, whatever it was")
	assert.Equal(t, "sbx-1", dst[2][1][len("laneway-tenant="):])

	small := make([][2]string, 0, 2)
	require.NoError(t, deserializeInto(&small, b))
	assert.Equal(t, [][2]string{{":method", "GET"}, {":path", "/"}, {"baggage", "laneway-tenant=sbx-1"}}, small, "a short capacity grows")
	assert.Equal(t, 8, cap(small), "at least to 8")
	grown := make([][2]string, 0, 2)
	for n := 1; n <= 40; n++ {
		pairs := make([][2]string, n)
		require.NoError(t, deserializeInto(&grown, serialize(pairs)))
		require.Len(t, grown, n)
	}
	assert.Equal(t, 64, cap(grown), "the capacity doubles: 8, 16, 32, 64")
}

// FuzzDeserializeInto: any bytes give pairs or errMalformedMap, never a panic, and every string, empty ones
// too, lies inside the input with room for its terminator after it; a slice reused from earlier inputs reads
// the same pairs as a new one; a serialized map reads back unchanged.
func FuzzDeserializeInto(f *testing.F) {
	f.Add(serialize([][2]string{{"baggage", "laneway-tenant=sbx-1"}}), "k", "v")
	f.Add([]byte{1, 0, 0, 0}, "", "")
	var reused [][2]string // kept across inputs, as the glue keeps its scratch slice
	f.Fuzz(func(t *testing.T, b []byte, k, v string) {
		got, err := deserialize(b)
		if err != nil {
			require.ErrorIs(t, err, errMalformedMap)
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		for _, p := range got {
			for _, s := range p {
				at := uintptr(unsafe.Pointer(unsafe.StringData(s)))
				require.True(t, at >= lo && at+uintptr(len(s)) < lo+uintptr(len(b)), "a string points outside the input")
			}
		}
		reusedErr := deserializeInto(&reused, b)
		require.Equal(t, err, reusedErr)
		if err == nil {
			require.Len(t, reused, len(got))
			for i := range got {
				require.Equal(t, got[i], reused[i])
			}
		}
		want := [][2]string{{k, v}, {v, k}}
		require.Equal(t, serialize(want), serializeInto(b, want), "serializeInto lays pairs out as the ABI does, whatever its buffer held")
		got, err = deserialize(serialize(want))
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
}

// nameScanOf is NameScan as its definition reads, computed from deserialized pairs.
func nameScanOf(pairs [][2]string) NameScan {
	var ns NameScan
	for i, p := range pairs {
		ns.Lengths |= 1 << (uint(len(p[0])) & 63)
		if strings.EqualFold(p[0], "baggage") {
			if ns.Bags == 0 {
				ns.Bag = i
			}
			ns.Bags++
		}
	}
	return ns
}

func TestDeserializeScanIntoTellsTheNames(t *testing.T) {
	for _, tt := range []struct {
		name  string
		pairs [][2]string
		want  NameScan
	}{
		{"empty map", [][2]string{}, NameScan{}},
		{"no baggage", [][2]string{{":path", "/"}, {"x-request-id", "1"}}, NameScan{Lengths: 1<<5 | 1<<12}},
		{"baggage in any case, repeated", [][2]string{{":method", "GET"}, {"BagGage", "a=1"}, {"baggage", ""}},
			NameScan{Lengths: 1 << 7, Bag: 1, Bags: 2}},
		{"seven bytes, not baggage", [][2]string{{"baggagf", "x"}, {"xaggage", "y"}, {"bag\x00age", "z"}}, NameScan{Lengths: 1 << 7}},
		{"lengths fold at 64", [][2]string{{strings.Repeat("x", 65), ""}, {"", "v"}}, NameScan{Lengths: 1<<1 | 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [][2]string
			ns := NameScan{Lengths: ^uint64(0), Bag: -1, Bags: -1} // every field must be written
			require.NoError(t, deserializeScanInto(&got, serialize(tt.pairs), &ns))
			assert.Equal(t, tt.want, ns)
			assert.Equal(t, len(tt.pairs), len(got))
			for i := range tt.pairs {
				assert.Equal(t, tt.pairs[i], got[i])
			}
		})
	}
}

// FuzzDeserializeScanInto holds the scanning read to the plain one (the same pairs, the same error) and its
// NameScan to the definition's, computed from the pairs.
func FuzzDeserializeScanInto(f *testing.F) {
	f.Add(serialize([][2]string{{"baggage", "laneway-tenant=sbx-1"}, {"BAGGAGE", ""}}))
	f.Add(serialize([][2]string{{":authority", "a"}, {"baggagE", "x"}}))
	f.Add([]byte{2, 0, 0, 0, 7, 0, 0, 0})
	var reused [][2]string
	f.Fuzz(func(t *testing.T, b []byte) {
		want, wantErr := deserialize(b)
		var ns NameScan
		err := deserializeScanInto(&reused, b, &ns)
		require.Equal(t, wantErr, err)
		if err != nil {
			return
		}
		require.Len(t, reused, len(want))
		for i := range want {
			require.Equal(t, want[i], reused[i])
		}
		require.Equal(t, nameScanOf(want), ns)
	})
}
