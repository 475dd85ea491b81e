package proxyhost

import (
	"encoding/binary"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// The values of xds.listener_direction (Envoy's envoy.config.core.v3.TrafficDirection).
const (
	DirectionInbound  int64 = 1
	DirectionOutbound int64 = 2
)

// ReadPluginConfig returns the plugin configuration; a plugin without one gets an empty configuration, not an error.
func ReadPluginConfig() ([]byte, error) {
	data, err := proxywasm.GetPluginConfiguration()
	// The SDK returns its sentinel values themselves: == is exact, and links none of errors.Is's machinery.
	if err == types.ErrorStatusNotFound {
		return nil, nil
	}
	return data, err
}

// ListenerDirection reads xds.listener_direction (an 8-byte little-endian integer: DirectionInbound,
// DirectionOutbound, or 0 when unspecified); ok is false when the host does not tell it.
func ListenerDirection() (dir int64, ok bool) {
	b, err := NewProperty("xds", "listener_direction").Read()
	if err != nil || len(b) != 8 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b)), true
}
