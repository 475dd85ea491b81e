package ociimage

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/laneway/laneway/packager/wasmbuild/filterid"
)

// MaxModuleSize is Istio's default ISTIO_WASM_MAX_BINARY_SIZE_BYTES (256 MiB).
const MaxModuleSize = 256 << 20

// SoloWasmLayerMediaType is the raw-module layer type of the solo-io "oci" variant.
const SoloWasmLayerMediaType types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"

// Variant names the image shape a module was extracted from.
type Variant string

// Image shapes Istio's agent reads, tried in this order.
const (
	VariantDockerCompat Variant = "docker-compat"
	VariantOCICompat    Variant = "oci-compat"
	VariantSoloOCI      Variant = "solo-oci"
)

// Extracted is a Wasm module pulled out of an image the way Istio's agent does it.
type Extracted struct {
	// Module is the Wasm binary.
	Module []byte
	// Variant is the image shape that matched.
	Variant Variant
	// ManifestDigest is the digest Istio compares WasmPlugin.sha256 with.
	ManifestDigest v1.Hash
	// Filter is the laneway filter the image holds: the module's laneway.filter section, else the
	// manifest's FilterAnnotation; "" when neither names one (a module not built by laneway).
	Filter string
}

// RequireFilter returns an error naming both filters unless the image at ref holds filter want.
func (e *Extracted) RequireFilter(ref, want string) error {
	switch e.Filter {
	case want:
		return nil
	case "":
		return fmt.Errorf("image %s names no filter (no %s annotation, no %s section in plugin.wasm), expected %s: push a module built by `laneway build %s`, which records its filter",
			ref, FilterAnnotation, filterid.SectionName, want, want)
	}
	return fmt.Errorf("image %s holds filter %s, not %s: pass the image of %s (`laneway push %s REF`), or name the filter the image holds", ref, e.Filter, want, want, want)
}

// Extract applies Istio's imagefetcher rules to img: Docker manifests need a
// Docker gzip tar last layer; OCI manifests try the OCI compat last layer, then the
// solo two-layer variant. The module must start with the Wasm magic.
func Extract(img v1.Image) (*Extracted, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("compute manifest digest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("read manifest media type: %w", err)
	}
	var (
		module  []byte
		variant Variant
	)
	if mt == types.DockerManifestSchema2 {
		module, err = extractCompat(img, types.DockerLayer)
		if err != nil {
			return nil, fmt.Errorf("image has a Docker manifest, so Istio only reads it as a Docker compat image, and that failed: %w", err)
		}
		variant = VariantDockerCompat
	} else {
		var errCompat, errSolo error
		module, errCompat = extractCompat(img, types.OCILayer)
		variant = VariantOCICompat
		if errCompat != nil {
			module, errSolo = extractSolo(img)
			variant = VariantSoloOCI
		}
		if errSolo != nil {
			return nil, fmt.Errorf("image is in no format Istio reads: as OCI compat image: %v; as solo two-layer image: %v; push it with `laneway push` to get the OCI compat shape", errCompat, errSolo)
		}
	}
	if err := CheckMagic(module); err != nil {
		return nil, err
	}
	filter, err := imageFilter(img, module)
	if err != nil {
		return nil, err
	}
	return &Extracted{Module: module, Variant: variant, ManifestDigest: digest, Filter: filter}, nil
}

// imageFilter reads the filter the module names and checks the manifest annotation agrees with it.
func imageFilter(img v1.Image, module []byte) (string, error) {
	filter := moduleFilter(module)
	m, err := img.Manifest()
	if err != nil {
		return "", fmt.Errorf("read manifest: %w", err)
	}
	annotated := m.Annotations[FilterAnnotation]
	switch {
	case annotated == "" || annotated == filter:
		return filter, nil
	case filter == "":
		return annotated, nil
	}
	return "", fmt.Errorf("image is inconsistent: its %s annotation says filter %s but plugin.wasm is filter %s (%s section); push the module again with `laneway push`",
		FilterAnnotation, annotated, filter, filterid.SectionName)
}

// extractCompat reads plugin.wasm from the last layer, which must have media type want.
func extractCompat(img v1.Image, want types.MediaType) ([]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	if len(layers) == 0 {
		return nil, errors.New("image has no layers, expected at least one")
	}
	last := layers[len(layers)-1]
	mt, err := last.MediaType()
	if err != nil {
		return nil, fmt.Errorf("read layer media type: %w", err)
	}
	if mt != want {
		return nil, fmt.Errorf("last layer has media type %q, expected %q", mt, want)
	}
	rc, err := last.Compressed()
	if err != nil {
		return nil, fmt.Errorf("download last layer: %w", err)
	}
	defer rc.Close()
	return pluginFromTarGz(rc)
}

// pluginFromTarGz returns the first tar entry whose base name is plugin.wasm.
func pluginFromTarGz(r io.Reader) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("layer is not gzip: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(io.LimitReader(zr, MaxModuleSize+64<<10))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("layer has no %s entry", PluginFileName)
		}
		if err != nil {
			return nil, fmt.Errorf("layer is not a valid tar: %w", err)
		}
		if path.Base(hdr.Name) != PluginFileName {
			continue
		}
		if hdr.Size > MaxModuleSize {
			return nil, fmt.Errorf("%s is %d bytes, above Istio's default limit of %d", hdr.Name, hdr.Size, MaxModuleSize)
		}
		b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", hdr.Name, err)
		}
		return b, nil
	}
}

// extractSolo reads the raw module layer of a two-layer solo "oci" variant image.
func extractSolo(img v1.Image) ([]byte, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	if len(layers) != 2 {
		return nil, fmt.Errorf("image has %d layers, expected exactly 2", len(layers))
	}
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil {
			return nil, fmt.Errorf("read layer media type: %w", err)
		}
		if mt != SoloWasmLayerMediaType {
			continue
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, fmt.Errorf("download module layer: %w", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, MaxModuleSize+1))
		if err != nil {
			return nil, fmt.Errorf("read module layer: %w", err)
		}
		if len(b) > MaxModuleSize {
			return nil, fmt.Errorf("module layer is above Istio's default limit of %d bytes", MaxModuleSize)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no layer has media type %q", SoloWasmLayerMediaType)
}
