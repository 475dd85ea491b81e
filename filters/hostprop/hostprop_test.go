package hostprop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func TestNewSerializesEachSegmentNULTerminated(t *testing.T) {
	p := New("connection", "uri_san_peer_certificate")
	assert.Equal(t, []byte("connection\x00uri_san_peer_certificate\x00"), p.serialized)
}

func TestReadNatively(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(&types.DefaultVMContext{}).
		WithProperty([]string{"source", "principal"}, []byte("spiffe://cluster.local/ns/a/sa/b"))
	_, release := proxytest.NewHostEmulator(opt)
	defer release()
	v, err := New("source", "principal").Read()
	assert.NoError(t, err)
	assert.Equal(t, "spiffe://cluster.local/ns/a/sa/b", string(v))
	_, err = New("source", "missing").Read()
	assert.ErrorIs(t, err, types.ErrorStatusNotFound)
}
