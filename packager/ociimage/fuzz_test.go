package ociimage

import (
	"bytes"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzExtractCompatLayer feeds arbitrary layer bytes through Istio's extraction rules:
// no panic, and anything accepted is a Wasm binary within the size limit.
func FuzzExtractCompatLayer(f *testing.F) {
	good, err := Build(testModule(), BuildOptions{})
	require.NoError(f, err)
	f.Add(good.LayerBlob)
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, layer []byte) {
		ex, err := Extract(ociImage(t, static.NewLayer(layer, types.OCILayer)))
		if err != nil {
			return
		}
		assert.True(t, bytes.HasPrefix(ex.Module, []byte(WasmMagic)))
		assert.LessOrEqual(t, len(ex.Module), MaxModuleSize)
	})
}

// FuzzBuildThenExtractReturnsTheModule checks the round trip for any Wasm-looking module.
func FuzzBuildThenExtractReturnsTheModule(f *testing.F) {
	f.Add(testModule())
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, module []byte) {
		img, err := Build(module, BuildOptions{})
		if err != nil {
			assert.Error(t, CheckMagic(module), "Build only refuses what is not Wasm")
			return
		}
		ex, err := Extract(img)
		require.NoError(t, err)
		assert.Equal(t, module, ex.Module)
		again, err := Build(module, BuildOptions{})
		require.NoError(t, err)
		assert.Equal(t, img.ManifestDigest(), again.ManifestDigest())
	})
}

func BenchmarkBuild4MiBModule(b *testing.B) {
	module := append(testModule(), make([]byte, 4<<20)...)
	for i := 8; i < len(module); i++ {
		module[i] = byte(i * 2654435761 >> 13)
	}
	b.SetBytes(int64(len(module)))
	for b.Loop() {
		_, err := Build(module, BuildOptions{})
		require.NoError(b, err)
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"localhost:5000/laneway/tenantroute:v1", "Localhost:5000/UPPER/case:v1", "r/x@sha256:abc", "a:b:c/d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		if _, err := ParseReference(ref, RemoteOptions{}); err != nil && err.Error() == "" {
			t.Fatal("an empty error")
		}
	})
}
