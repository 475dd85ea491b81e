package ociimage

import (
	"encoding/json"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/wasmbuild/filterid"
)

func namedModule(t *testing.T, filter string) []byte {
	t.Helper()
	b, err := filterid.Append(testModule(), filter)
	require.NoError(t, err)
	return b
}

func TestBuildAnnotatesTheFilterTheModuleNames(t *testing.T) {
	img, err := Build(namedModule(t, "tenantroute"), BuildOptions{})
	require.NoError(t, err)
	var m v1.Manifest
	require.NoError(t, json.Unmarshal(img.ManifestJSON, &m))
	assert.Equal(t, "tenantroute", m.Annotations[FilterAnnotation])

	ex, err := Extract(img)
	require.NoError(t, err)
	assert.Equal(t, "tenantroute", ex.Filter)
	assert.NoError(t, ex.RequireFilter("r/tenantroute:v1", "tenantroute"))
	assert.EqualError(t, ex.RequireFilter("r/tenantroute:v1", "shadowtag"),
		"image r/tenantroute:v1 holds filter tenantroute, not shadowtag: pass the image of shadowtag (`laneway push shadowtag REF`), or name the filter the image holds")

	plain, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	assert.NotContains(t, string(plain.ManifestJSON), FilterAnnotation, "a module that names no filter gets no annotation")
	ex, err = Extract(plain)
	require.NoError(t, err)
	assert.Empty(t, ex.Filter)
	assert.ErrorContains(t, ex.RequireFilter("r/x:v1", "synthetic"), "image r/x:v1 names no filter")

	_, err = Build(namedModule(t, "tenantroute"), BuildOptions{Annotations: map[string]string{FilterAnnotation: "shadowtag"}})
	assert.EqualError(t, err, "annotation dev.laneway.filter=shadowtag: the module is filter tenantroute (its laneway.filter section); drop the annotation, the image gets it from the module")
}

func TestExtractRefusesAnImageWhoseAnnotationContradictsItsModule(t *testing.T) {
	img, err := Build(namedModule(t, "tenantroute"), BuildOptions{})
	require.NoError(t, err)
	forged := mutate.Annotations(img.Image, map[string]string{FilterAnnotation: "shadowtag"}).(v1.Image)
	_, err = Extract(forged)
	assert.ErrorContains(t, err, "its dev.laneway.filter annotation says filter shadowtag but plugin.wasm is filter tenantroute")

	// A module that names no filter, annotated by hand: the annotation names the filter.
	plain, err := Build(testModule(), BuildOptions{Annotations: map[string]string{FilterAnnotation: "synthetic"}})
	require.NoError(t, err)
	ex, err := Extract(plain)
	require.NoError(t, err)
	assert.Equal(t, "synthetic", ex.Filter)
}
