package proxyhost

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func TestNewPropertySerializesEachSegmentNULTerminated(t *testing.T) {
	p := NewProperty("connection", "uri_san_peer_certificate")
	assert.Equal(t, []byte("connection\x00uri_san_peer_certificate\x00"), p.serialized)
}

func TestPropertyReadNatively(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(&types.DefaultVMContext{}).
		WithProperty([]string{"source", "principal"}, []byte("spiffe://cluster.local/ns/a/sa/b"))
	_, release := proxytest.NewHostEmulator(opt)
	defer release()
	v, err := NewProperty("source", "principal").Read()
	assert.NoError(t, err)
	assert.Equal(t, "spiffe://cluster.local/ns/a/sa/b", string(v))
	_, err = NewProperty("source", "missing").Read()
	assert.ErrorIs(t, err, types.ErrorStatusNotFound)
}
