package ociimage

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/internal/registrytest"
)

// registries are the registries every remote test runs against (basic auth twice, Docker token auth once).
var registries = []struct {
	name  string
	start func(testing.TB, bool) *registrytest.Registry
}{
	{"in-memory ggcr registry", registrytest.InMemory},
	{"distribution registry", registrytest.Distribution},
	{"in-memory registry with token auth", registrytest.InMemoryToken},
}

func creds() RemoteOptions {
	return RemoteOptions{Username: registrytest.Username, Password: registrytest.Password}
}

func TestPushThenFetchGivesBackTheSameModuleAndDigest(t *testing.T) {
	for _, r := range registries {
		for _, auth := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s with auth=%v", r.name, auth), func(t *testing.T) {
				reg := r.start(t, auth)
				o := RemoteOptions{}
				if auth {
					o = creds()
				}
				img, err := Build(testModule(), BuildOptions{})
				require.NoError(t, err)
				ref := reg.Host + "/laneway/tenantroute:v1"

				start := time.Now()
				d1, err := Push(context.Background(), ref, img, o)
				require.NoError(t, err)
				pushed := time.Since(start)
				d2, err := Push(context.Background(), "oci://"+ref, img, o)
				require.NoError(t, err)
				assert.Equal(t, d1, d2, "pushing the same file twice gives the same digest")
				assert.Equal(t, img.ManifestDigest(), d1)

				start = time.Now()
				ex, err := Fetch(context.Background(), ref, o)
				require.NoError(t, err)
				t.Logf("push %v, fetch+extract %v", pushed, time.Since(start))
				assert.Equal(t, testModule(), ex.Module)
				assert.Equal(t, VariantOCICompat, ex.Variant)
				assert.Equal(t, d1, ex.ManifestDigest)

				byDigest, err := Fetch(context.Background(), reg.Host+"/laneway/tenantroute@"+d1.String(), o)
				require.NoError(t, err)
				assert.Equal(t, d1, byDigest.ManifestDigest)
			})
		}
	}
}

func TestFetchResolvesAnIndexToItsLinuxAmd64Child(t *testing.T) {
	reg := registrytest.InMemory(t, false)
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	other, err := Build(append(testModule(), 0x01), BuildOptions{})
	require.NoError(t, err)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	ref, err := ParseReference(reg.Host+"/laneway/indexed:v1", RemoteOptions{})
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))

	ex, err := Fetch(context.Background(), ref.String(), RemoteOptions{})
	require.NoError(t, err)
	assert.Equal(t, img.ManifestDigest(), ex.ManifestDigest, "Istio pins the child manifest digest, not the index digest")
}

func TestFailedPushesSayWhyAndLeaveNoTag(t *testing.T) {
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	for _, r := range registries {
		t.Run(r.name+": wrong credentials are refused with a login hint", func(t *testing.T) {
			reg := r.start(t, true)
			_, err := Push(context.Background(), reg.Host+"/laneway/tenantroute:v1", img,
				RemoteOptions{Username: registrytest.Username, Password: "wrong", Attempts: 1})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "credentials refused")
			assert.Contains(t, err.Error(), "docker login "+reg.Host)
			assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"))
		})
		t.Run(r.name+": a missing image is reported as not found", func(t *testing.T) {
			reg := r.start(t, false)
			_, err := Fetch(context.Background(), reg.Host+"/laneway/absent:v1", RemoteOptions{Attempts: 1})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "HTTP 404")
		})
	}
	t.Run("an unreachable registry is reported as unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		host := l.Addr().String()
		require.NoError(t, l.Close())
		start := time.Now()
		_, err = Push(context.Background(), host+"/laneway/tenantroute:v1", img, RemoteOptions{Attempts: 1})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "registry "+host+" is unreachable")
		assert.Contains(t, err.Error(), "is the registry running?")
		assert.Less(t, time.Since(start), 10*time.Second)
	})
	t.Run("a cancelled context stops the push before any tag is written", func(t *testing.T) {
		reg := registrytest.InMemory(t, false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Push(ctx, reg.Host+"/laneway/tenantroute:v1", img, RemoteOptions{Attempts: 1})
		require.Error(t, err)
		assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"))
	})
}

func TestParseReferenceExplainsBadReferences(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"Localhost:5000/UPPER/case:v1", `whose repository "UPPER/case" has upper-case letters`},
		{"localhost:5000/laneway/TenantRoute:V1", `write the repository as "laneway/tenantroute"`},
		{"localhost:5000/laneway/tenantroute:v1!", `whose tag "v1!" is not 1 to 128 letters`},
		{"localhost:5000/laneway/tenantroute@sha256:abc", `whose digest "sha256:abc" is not sha256: and 64`},
		{"localhost:5000/la neway:v1", `whose repository "la neway" is not lower-case letters and digits`},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			_, err := ParseReference(tc.ref, RemoteOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), `"`+tc.ref+`"`)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "expected an image reference like")
			if !strings.Contains(tc.want, "tag") {
				assert.NotContains(t, err.Error(), "whose tag", "the tag is not blamed for another part")
			}
		})
	}
}

func TestAPushThatFailsMidwayLeavesNoTag(t *testing.T) {
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	layerDigest := sha256Hash(img.LayerBlob).String()
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			if r.URL.Query().Get("digest") == layerDigest {
				http.Error(w, `{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"disk full"}]}`, http.StatusBadRequest)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	_, err = Push(context.Background(), host+"/laneway/tenantroute:v1", img, RemoteOptions{Attempts: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 400")
	reg := &registrytest.Registry{Host: host}
	assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"), "no manifest, so no tag, after a failed blob upload")
}

func BenchmarkPushAndFetch4MiBModule(b *testing.B) {
	reg := registrytest.InMemory(b, false)
	module := append(testModule(), make([]byte, 4<<20)...)
	for i := 0; i < len(module); i += 7 {
		module[i] ^= byte(i)
	}
	copy(module, testModule()[:8])
	b.SetBytes(int64(len(module)))
	for b.Loop() {
		img, err := Build(module, BuildOptions{})
		require.NoError(b, err)
		ref := reg.Host + "/laneway/bench:v1"
		_, err = Push(context.Background(), ref, img, RemoteOptions{})
		require.NoError(b, err)
		_, err = Fetch(context.Background(), ref, RemoteOptions{})
		require.NoError(b, err)
	}
}
