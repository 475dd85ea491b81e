package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/wasmtest"
)

func testModule() []byte { return wasmtest.GoFilter().Bytes() }

func TestBuildIsByteForByteReproducible(t *testing.T) {
	a, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	b, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	assert.Equal(t, a.ManifestJSON, b.ManifestJSON)
	assert.Equal(t, a.LayerBlob, b.LayerBlob)
	assert.Equal(t, a.ConfigJSON, b.ConfigJSON)
	d, err := a.Image.Digest()
	require.NoError(t, err)
	assert.Equal(t, a.ManifestDigest(), d, "the image digest must be the hash of the raw manifest")

	other, err := Build(append(testModule(), 0x00), BuildOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, a.ManifestDigest(), other.ManifestDigest(), "a different module must give a different digest")
}

func TestBuildWritesTheShapeIstioReads(t *testing.T) {
	img, err := Build(testModule(), BuildOptions{Annotations: map[string]string{"org.opencontainers.image.source": "https://example.com/laneway"}})
	require.NoError(t, err)

	var m v1.Manifest
	require.NoError(t, json.Unmarshal(img.ManifestJSON, &m))
	assert.Equal(t, types.OCIManifestSchema1, m.MediaType, "an OCI manifest, never a Docker manifest or an index")
	require.Len(t, m.Layers, 1)
	assert.Equal(t, types.OCILayer, m.Layers[0].MediaType)
	assert.Equal(t, "compat", m.Annotations[VariantAnnotation])
	assert.Equal(t, "https://example.com/laneway", m.Annotations["org.opencontainers.image.source"])
	assert.NotContains(t, string(img.ManifestJSON), "org.opencontainers.image.created", "a created timestamp would break reproducibility")

	// gzip header: no name, no mtime.
	require.GreaterOrEqual(t, len(img.LayerBlob), 10)
	assert.Equal(t, []byte{0x1f, 0x8b, 0x08}, img.LayerBlob[:3])
	assert.Equal(t, byte(0), img.LayerBlob[3], "gzip FLG must be 0 (no FNAME, no comment)")
	assert.Equal(t, []byte{0, 0, 0, 0}, img.LayerBlob[4:8], "gzip MTIME must be 0")

	zr, err := gzip.NewReader(bytes.NewReader(img.LayerBlob))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	require.NoError(t, err)
	assert.Equal(t, PluginFileName, hdr.Name)
	assert.Equal(t, 0, hdr.Uid)
	assert.Equal(t, 0, hdr.Gid)
	assert.Empty(t, hdr.Uname)
	assert.Equal(t, int64(0), hdr.ModTime.Unix())
	body, err := io.ReadAll(tr)
	require.NoError(t, err)
	assert.Equal(t, testModule(), body)
	_, err = tr.Next()
	assert.ErrorIs(t, err, io.EOF, "the layer holds exactly one entry")
}

func TestBuildRefusesSomethingThatIsNotWasm(t *testing.T) {
	_, err := Build([]byte("#!/bin/sh\necho hi\n"), BuildOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a Wasm binary")
	assert.Contains(t, err.Error(), `"#!/bin/s"`, "the error shows what was received")
}

func tarGz(t *testing.T, entries map[string][]byte, order ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range order {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(entries[name])), Typeflag: tar.TypeReg}))
		_, err := tw.Write(entries[name])
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func ociImage(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: l})
		require.NoError(t, err)
	}
	return img
}

func dockerImage(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := empty.Image
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: l})
		require.NoError(t, err)
	}
	return img
}

func TestExtractFollowsIstioImageFetcherRules(t *testing.T) {
	mod := testModule()
	plugin := tarGz(t, map[string][]byte{"plugin.wasm": mod}, "plugin.wasm")
	nested := tarGz(t, map[string][]byte{"runtime-config.json": []byte("{}"), "opt/filters/plugin.wasm": mod}, "runtime-config.json", "opt/filters/plugin.wasm")
	noPlugin := tarGz(t, map[string][]byte{"filter.wasm": mod}, "filter.wasm")
	notWasm := tarGz(t, map[string][]byte{"plugin.wasm": []byte("hello world, not wasm")}, "plugin.wasm")
	ours, err := Build(mod, BuildOptions{})
	require.NoError(t, err)

	tests := []struct {
		name    string
		img     v1.Image
		variant Variant
		errHas  string
	}{
		{name: "laneway's own image is read as OCI compat", img: ours, variant: VariantOCICompat},
		{name: "an OCI image whose last gzip layer has plugin.wasm in a subdirectory is accepted", img: ociImage(t, static.NewLayer([]byte("junk"), types.OCILayer), static.NewLayer(nested, types.OCILayer)), variant: VariantOCICompat},
		{name: "a Docker image with a Docker gzip layer is read as Docker compat", img: dockerImage(t, static.NewLayer(plugin, types.DockerLayer)), variant: VariantDockerCompat},
		{name: "a solo two-layer image is read as the oci variant", img: ociImage(t, static.NewLayer([]byte(`{"type":"envoy_proxy"}`), "application/vnd.module.wasm.config.v1+json"), static.NewLayer(mod, SoloWasmLayerMediaType)), variant: VariantSoloOCI},
		{name: "a Docker manifest with an OCI layer is refused without trying other shapes", img: dockerImage(t, static.NewLayer(plugin, types.OCILayer)), errHas: "Docker compat"},
		{name: "the CNCF single application/wasm layer is refused", img: ociImage(t, static.NewLayer(mod, "application/wasm")), errHas: "no format Istio reads"},
		{name: "oras's default uncompressed tar layer is refused", img: ociImage(t, static.NewLayer(plugin, "application/vnd.oci.image.layer.v1.tar")), errHas: "expected \"application/vnd.oci.image.layer.v1.tar+gzip\""},
		{name: "a compat layer without plugin.wasm is refused", img: ociImage(t, static.NewLayer(noPlugin, types.OCILayer)), errHas: "no plugin.wasm entry"},
		{name: "a plugin.wasm that is not Wasm fails the magic check", img: ociImage(t, static.NewLayer(notWasm, types.OCILayer)), errHas: "not a Wasm binary"},
		{name: "an image without layers is refused", img: ociImage(t), errHas: "no layers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := Extract(tc.img)
			if tc.errHas != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.errHas)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.variant, ex.Variant)
			assert.Equal(t, mod, ex.Module)
			d, err := tc.img.Digest()
			require.NoError(t, err)
			assert.Equal(t, d, ex.ManifestDigest)
		})
	}
}

func TestLayoutRoundTripKeepsOneImagePerTag(t *testing.T) {
	dir := t.TempDir()
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	d1, err := WriteLayout(dir, "tenantroute", img)
	require.NoError(t, err)
	d2, err := WriteLayout(dir, "tenantroute", img)
	require.NoError(t, err)
	assert.Equal(t, d1, d2)
	other, err := Build(append(testModule(), 0x00), BuildOptions{})
	require.NoError(t, err)
	_, err = WriteLayout(dir, "tenantroute", other)
	require.NoError(t, err)

	got, err := ReadLayout(dir, "tenantroute")
	require.NoError(t, err)
	ex, err := Extract(got)
	require.NoError(t, err)
	assert.Equal(t, other.ManifestDigest(), ex.ManifestDigest, "writing the same tag again replaces the image")

	_, err = ReadLayout(dir, "missing")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no image tagged "missing"`)
	assert.Contains(t, err.Error(), "tenantroute", "the error lists the tags present")
}
