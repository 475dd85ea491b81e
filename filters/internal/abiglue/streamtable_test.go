package internal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

type testStream struct {
	types.DefaultHttpContext
	id uint32
}

func TestStreamTableKeepsEveryLiveStreamThroughSlotCollisions(t *testing.T) {
	t.Cleanup(func() { streams.slots, streams.overflow = [streamSlots]streamEntry{}, nil })
	// 2, 2+512 and 2+1024 share a slot: the first takes it, the others overflow.
	ids := []uint32{2, 3, 2 + streamSlots, 2 + 2*streamSlots, 1<<32 - 1}
	for i, id := range ids {
		streamAdd(id, uint32(100+i), &testStream{id: id}, false)
	}
	assert.Len(t, streams.overflow, 2)
	for i, id := range ids {
		e := stream(id)
		require.NotNil(t, e.ctx, "stream %d", id)
		assert.Equal(t, id, e.ctx.(*testStream).id)
		assert.Equal(t, uint32(100+i), e.root)
	}
	for _, id := range []uint32{0, 1, 4, 2 + 3*streamSlots} {
		assert.Nil(t, streamContext(id), "id %d was never added", id)
		assert.Nil(t, streamRemove(id), "id %d was never added", id)
	}
	// Removing the slot's owner leaves the overflowed streams reachable, and frees the slot.
	assert.Equal(t, uint32(2), streamRemove(2).(*testStream).id)
	assert.Nil(t, streamContext(2))
	assert.Equal(t, uint32(2+streamSlots), streamContext(2+streamSlots).(*testStream).id)
	assert.Equal(t, uint32(2+streamSlots), streamRemove(2+streamSlots).(*testStream).id)
	assert.Nil(t, streamContext(2+streamSlots))
	streamAdd(2+4*streamSlots, 7, &testStream{id: 2 + 4*streamSlots}, false)
	assert.Len(t, streams.overflow, 1, "the freed slot is reused")
	assert.Equal(t, uint32(7), stream(2+4*streamSlots).root)
	for _, id := range []uint32{3, 2 + 2*streamSlots, 1<<32 - 1, 2 + 4*streamSlots} {
		require.NotNil(t, streamRemove(id), "stream %d", id)
	}
	assert.Empty(t, streams.overflow)
	assert.Equal(t, [streamSlots]streamEntry{}, streams.slots)
}

// A window of live streams narrower than the table never touches the overflow map: Envoy's ids increase.
func TestStreamTableNeedsNoOverflowForAWindowOfIncreasingIDs(t *testing.T) {
	t.Cleanup(func() { streams.slots, streams.overflow = [streamSlots]streamEntry{}, nil })
	const live = 300
	for id := uint32(1); id < 100000; id++ {
		streamAdd(id, 1, &testStream{id: id}, false)
		if id > live {
			require.NotNil(t, streamRemove(id-live))
		}
	}
	assert.Empty(t, streams.overflow)
}

func TestStreamReplaceSwapsTheContextOfALiveStreamOnly(t *testing.T) {
	t.Cleanup(func() { streams.slots, streams.overflow = [streamSlots]streamEntry{}, nil })
	// 5 owns its slot, 5+512 overflows: both can be replaced, and keep their root.
	streamAdd(5, 1, &testStream{id: 5}, false)
	streamAdd(5+streamSlots, 2, &testStream{id: 5 + streamSlots}, false)
	for _, id := range []uint32{5, 5 + streamSlots} {
		require.True(t, streamReplace(id, &testStream{id: 1000 + id}), "stream %d", id)
		assert.Equal(t, 1000+id, streamContext(id).(*testStream).id)
	}
	assert.Equal(t, uint32(1), stream(5).root)
	assert.Equal(t, uint32(2), stream(5+streamSlots).root)
	// Not live, or no context to put in: nothing changes.
	assert.False(t, streamReplace(6, &testStream{id: 6}))
	assert.Nil(t, streamContext(6))
	assert.False(t, streamReplace(5, nil))
	assert.Equal(t, uint32(1005), streamContext(5).(*testStream).id)
	// Deletion hands back the context put in last.
	assert.Equal(t, uint32(1005), streamRemove(5).(*testStream).id)
	assert.Equal(t, uint32(1005+streamSlots), streamRemove(5+streamSlots).(*testStream).id)
	assert.False(t, streamReplace(5, &testStream{id: 5}), "a deleted stream cannot be replaced")
}

func TestAQuietStreamStaysQuietUntilItsContextIsReplaced(t *testing.T) {
	t.Cleanup(func() { streams.slots, streams.overflow = [streamSlots]streamEntry{}, nil })
	// 7 owns its slot, 7+512 overflows; 8 is not quiet.
	streamAdd(7, 1, &testStream{id: 7}, true)
	streamAdd(7+streamSlots, 1, &testStream{id: 7 + streamSlots}, true)
	streamAdd(8, 1, &testStream{id: 8}, false)
	assert.True(t, stream(7).quiet)
	assert.True(t, stream(7+streamSlots).quiet)
	assert.False(t, stream(8).quiet)
	assert.False(t, stream(9).quiet, "an id that is not live is not quiet")
	// A replaced context gets its callbacks, its response headers included.
	for _, id := range []uint32{7, 7 + streamSlots} {
		require.True(t, streamReplace(id, &testStream{id: 1000 + id}))
		assert.False(t, stream(id).quiet, "stream %d", id)
	}
	// The slot a quiet stream leaves is not quiet for the next one.
	streamRemove(8)
	streamRemove(7)
	streamAdd(7, 1, &testStream{id: 7}, false)
	assert.False(t, stream(7).quiet)
}
