// Package ociimage builds, pushes and fetches Wasm plugin images in the shape
// Istio's agent reads: an OCI manifest with one gzip tar layer holding plugin.wasm.
package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/laneway/laneway/packager/wasmbuild/filterid"
)

const (
	// PluginFileName is the tar entry name Istio looks for in a compat layer.
	PluginFileName = "plugin.wasm"
	// LayerMediaType is the OCI gzip tar layer type Istio's OCI compat path requires.
	LayerMediaType = types.OCILayer
	// ConfigMediaType is the media type of the image config blob.
	ConfigMediaType = types.OCIConfigJSON
	// VariantAnnotation marks the image as the solo-io "compat" variant.
	VariantAnnotation = "module.wasm.image/variant"
	// TitleAnnotation names the layer's file (OCI pre-defined annotation).
	TitleAnnotation = "org.opencontainers.image.title"
	// FilterAnnotation names the laneway filter the image holds (the module's laneway.filter section).
	// Istio's agent reads images with go-containerregistry, which ignores manifest annotations it does not
	// know, as the variant annotation shows.
	FilterAnnotation = "dev.laneway.filter"
	// WasmMagic is the four-byte header of every Wasm binary module.
	WasmMagic = "\x00asm"
)

// BuildOptions tune the image; the zero value gives the default compat image.
type BuildOptions struct {
	// Annotations are added to the manifest (the variant annotation is always set).
	Annotations map[string]string
}

// Image is a built plugin image with its raw parts, ready to push or write to a layout.
type Image struct {
	v1.Image
	// ManifestJSON is the serialized OCI manifest.
	ManifestJSON []byte
	// ConfigJSON is the serialized image config.
	ConfigJSON []byte
	// LayerBlob is the gzip tar layer holding plugin.wasm.
	LayerBlob []byte
}

// ManifestDigest returns the manifest digest, the value a WasmPlugin's sha256 field must hold.
func (i *Image) ManifestDigest() v1.Hash { return sha256Hash(i.ManifestJSON) }

// Build packages a Wasm module as an Istio OCI compat image; the result is
// byte-for-byte reproducible for the same module and options. A module that names its filter (see
// filterid) gets the FilterAnnotation.
func Build(module []byte, opts BuildOptions) (*Image, error) {
	if err := CheckMagic(module); err != nil {
		return nil, err
	}
	tarball, err := pluginTar(module)
	if err != nil {
		return nil, err
	}
	layer, err := gzipDeterministic(tarball)
	if err != nil {
		return nil, err
	}
	config, err := json.Marshal(v1.ConfigFile{
		Architecture: "wasm",
		OS:           "wasip1",
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{sha256Hash(tarball)}},
	})
	if err != nil {
		return nil, fmt.Errorf("encode image config: %w", err)
	}
	annotations := map[string]string{VariantAnnotation: "compat"}
	for k, v := range opts.Annotations {
		annotations[k] = v
	}
	if filter := moduleFilter(module); filter != "" {
		if a, ok := opts.Annotations[FilterAnnotation]; ok && a != filter {
			return nil, fmt.Errorf("annotation %s=%s: the module is filter %s (its %s section); drop the annotation, the image gets it from the module",
				FilterAnnotation, a, filter, filterid.SectionName)
		}
		annotations[FilterAnnotation] = filter
	}
	manifest, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: ConfigMediaType, Size: int64(len(config)), Digest: sha256Hash(config)},
		Layers: []v1.Descriptor{{
			MediaType:   LayerMediaType,
			Size:        int64(len(layer)),
			Digest:      sha256Hash(layer),
			Annotations: map[string]string{TitleAnnotation: PluginFileName},
		}},
		Annotations: annotations,
	})
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	core := &imageCore{manifest: manifest, config: config, layer: layer}
	img, err := partial.CompressedToImage(core)
	if err != nil {
		return nil, err
	}
	return &Image{Image: img, ManifestJSON: manifest, ConfigJSON: config, LayerBlob: layer}, nil
}

// moduleFilter is the filter a module's laneway.filter section names; "" when it names none or its
// sections cannot be walked (Istio only checks the magic; `laneway inspect` reports an invalid module).
func moduleFilter(module []byte) string {
	f, err := filterid.Read(module)
	if err != nil {
		return ""
	}
	return f
}

// CheckMagic reports whether module starts like a Wasm binary (Istio's final check).
func CheckMagic(module []byte) error {
	if len(module) < 8 || string(module[:4]) != WasmMagic {
		head := module
		if len(head) > 8 {
			head = head[:8]
		}
		return fmt.Errorf("not a Wasm binary: got %d bytes starting with %q, expected at least 8 bytes starting with \"\\x00asm\"; pass the .wasm produced by `laneway build`", len(module), head)
	}
	return nil
}

// pluginTar writes a one-entry tar with fixed metadata (no mtime, uid, gid or names).
func pluginTar(module []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     PluginFileName,
		Mode:     0o644,
		Size:     int64(len(module)),
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("write tar header: %w", err)
	}
	if _, err := tw.Write(module); err != nil {
		return nil, fmt.Errorf("write tar body: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}

// gzipDeterministic compresses b with an empty gzip header (no name, mtime 0).
func gzipDeterministic(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("gzip layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip layer: %w", err)
	}
	return buf.Bytes(), nil
}

func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// imageCore is the minimal compressed-image core that ggcr's partial package completes.
type imageCore struct {
	manifest, config, layer []byte
}

func (c *imageCore) RawConfigFile() ([]byte, error)      { return c.config, nil }
func (c *imageCore) RawManifest() ([]byte, error)        { return c.manifest, nil }
func (c *imageCore) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (c *imageCore) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	switch h {
	case sha256Hash(c.layer):
		return &blobLayer{data: c.layer, mediaType: LayerMediaType}, nil
	case sha256Hash(c.config):
		return &blobLayer{data: c.config, mediaType: ConfigMediaType}, nil
	}
	return nil, fmt.Errorf("image has no blob %s", h)
}

// blobLayer serves an in-memory blob as a compressed layer.
type blobLayer struct {
	data      []byte
	mediaType types.MediaType
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return sha256Hash(l.data), nil }
func (l *blobLayer) Size() (int64, error)                { return int64(len(l.data)), nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.data)), nil
}
