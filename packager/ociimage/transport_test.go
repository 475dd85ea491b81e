package ociimage

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func memRegistry() http.Handler { return registry.New(registry.Logger(log.New(io.Discard, "", 0))) }

func TestPushRetriesTransientRegistryErrors(t *testing.T) {
	inner := memRegistry()
	var failures atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && failures.Add(1) == 1 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)

	d, err := Push(context.Background(), host+"/laneway/tenantroute:v1", img, RemoteOptions{Attempts: 3})
	require.NoError(t, err, "one 503 is retried")
	assert.Equal(t, img.ManifestDigest(), d)
	assert.Equal(t, int32(2), failures.Load(), "the manifest was put twice")

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer failing.Close()
	_, err = Push(context.Background(), strings.TrimPrefix(failing.URL, "http://")+"/laneway/other:v1", img, RemoteOptions{Attempts: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 503")
}

func TestTLSRegistriesNeedTrustOrInsecure(t *testing.T) {
	srv := httptest.NewUnstartedServer(memRegistry())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	ref := "localhost" + srv.URL[strings.LastIndex(srv.URL, ":"):] + "/laneway/tenantroute:v1"
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)

	_, err = Push(context.Background(), ref, img, RemoteOptions{Attempts: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TLS handshake with localhost")
	assert.Contains(t, err.Error(), "pass --insecure")

	d, err := Push(context.Background(), ref, img, RemoteOptions{Attempts: 1, Insecure: true})
	require.NoError(t, err)
	ex, err := Fetch(context.Background(), ref, RemoteOptions{Attempts: 1, Insecure: true})
	require.NoError(t, err)
	assert.Equal(t, d, ex.ManifestDigest)
}

func TestPlainHTTPRegistriesOffTheUsualLoopbackNames(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.2:0") // not auto-detected as plain HTTP by ggcr
	if err != nil {
		t.Fatalf("listen on 127.0.0.2 (Linux routes all of 127/8 to loopback): %v", err)
	}
	srv := httptest.NewUnstartedServer(memRegistry())
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	ref := l.Addr().String() + "/laneway/tenantroute:v1"
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)

	_, err = Push(context.Background(), ref, img, RemoteOptions{Attempts: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "speaks plain HTTP")
	assert.Contains(t, err.Error(), "pass --plain-http")

	d, err := Push(context.Background(), ref, img, RemoteOptions{Attempts: 1, PlainHTTP: true})
	require.NoError(t, err)
	ex, err := Fetch(context.Background(), ref, RemoteOptions{Attempts: 1})
	require.NoError(t, err, "like Istio's agent, Fetch retries over HTTP when the server answers HTTP")
	assert.Equal(t, d, ex.ManifestDigest)
}
