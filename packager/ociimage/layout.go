package ociimage

import (
	"errors"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

// RefNameAnnotation names a manifest inside an OCI image layout's index.json.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout stores img in the OCI image layout at dir under tag, replacing any
// image already stored under that tag, and returns the manifest digest.
func WriteLayout(dir, tag string, img v1.Image) (v1.Hash, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return v1.Hash{}, fmt.Errorf("open OCI layout %s: %w", dir, err)
		}
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return v1.Hash{}, fmt.Errorf("create OCI layout %s: %w", dir, err)
		}
	}
	if err := p.ReplaceImage(img, match.Annotation(RefNameAnnotation, tag),
		layout.WithAnnotations(map[string]string{RefNameAnnotation: tag})); err != nil {
		return v1.Hash{}, fmt.Errorf("write image to OCI layout %s: %w", dir, err)
	}
	return img.Digest()
}

// ReadLayout returns the image stored under tag in the OCI image layout at dir.
func ReadLayout(dir, tag string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("open OCI layout %s: %w (expected a directory with index.json and oci-layout; write one with `laneway push --oci-layout %s`)", dir, err, dir)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("read OCI layout index in %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read OCI layout index in %s: %w", dir, err)
	}
	var tags []string
	for _, d := range m.Manifests {
		t := d.Annotations[RefNameAnnotation]
		if t == tag {
			return idx.Image(d.Digest)
		}
		tags = append(tags, t)
	}
	return nil, fmt.Errorf("OCI layout %s has no image tagged %q (tags present: %q); push one with `laneway push FILE %s --oci-layout %s`", dir, tag, tags, tag, dir)
}
