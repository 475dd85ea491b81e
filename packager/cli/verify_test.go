package cli

import (
	"context"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/internal/registrytest"
	"github.com/laneway/laneway/packager/ociimage"
	"github.com/laneway/laneway/testenv/wasmtest"
)

// pushImage writes img to the registry under repo:tag with ggcr directly.
func pushImage(t *testing.T, host, repoTag string, img v1.Image) {
	t.Helper()
	ref, err := ociimage.ParseReference(host+"/"+repoTag, ociimage.RemoteOptions{})
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, img, remote.WithContext(context.Background())))
}

func TestVerifyReadsImagesLikeIstiosAgent(t *testing.T) {
	reg := registrytest.InMemory(t, false)
	mod := wasmtest.GoFilter().Bytes()

	solo, err := mutate.Append(mutate.MediaType(empty.Image, "application/vnd.oci.image.manifest.v1+json"),
		mutate.Addendum{Layer: static.NewLayer([]byte(`{"type":"envoy_proxy"}`), "application/vnd.module.wasm.config.v1+json")},
		mutate.Addendum{Layer: static.NewLayer(mod, ociimage.SoloWasmLayerMediaType)})
	require.NoError(t, err)
	pushImage(t, reg.Host, "laneway/solo:v1", solo)

	cncf, err := mutate.Append(mutate.MediaType(empty.Image, "application/vnd.oci.image.manifest.v1+json"),
		mutate.Addendum{Layer: static.NewLayer(mod, "application/wasm")})
	require.NoError(t, err)
	pushImage(t, reg.Host, "laneway/cncf:v1", cncf)

	r := run(t, "", "verify", reg.Host+"/laneway/solo:v1")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "solo-oci variant")
	d, err := solo.Digest()
	require.NoError(t, err)
	assert.Contains(t, r.stdout, "WasmPlugin sha256: "+d.Hex)

	r = run(t, "", "verify", reg.Host+"/laneway/cncf:v1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no format Istio reads")
	assert.Contains(t, r.stderr, "laneway push", "the error says how to fix it")

	r = run(t, "", "verify", reg.Host+"/laneway/absent:v1", "--retries", "1")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "HTTP 404")
}
