package ociimage

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/internal/registrytest"
)

// bigModule is a module with an incompressible 4 MiB tail, so its layer upload takes
// many writes and can be interrupted half-way.
func bigModule() []byte {
	m := testModule()
	tail := make([]byte, 4<<20)
	r := rand.NewChaCha8([32]byte{'l', 'a', 'n', 'e', 'w', 'a', 'y'})
	_, _ = r.Read(tail)
	return append(m, tail...)
}

// stallingBody passes the first n bytes of a request body on, then reports that the
// upload is in flight and blocks until released.
type stallingBody struct {
	io.ReadCloser
	n        int
	inFlight chan<- struct{}
	release  <-chan struct{}
	once     sync.Once
}

func (b *stallingBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		b.once.Do(func() { close(b.inFlight) })
		<-b.release
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	k, err := b.ReadCloser.Read(p)
	b.n -= k
	return k, err
}

func TestARegistryKilledMidUploadFailsThePushClearlyAndNeverLeavesATag(t *testing.T) {
	img, err := Build(bigModule(), BuildOptions{})
	require.NoError(t, err)
	require.Greater(t, len(img.LayerBlob), 4<<20, "the layer is not compressible")
	layer := sha256Hash(img.LayerBlob).String()

	tests := []struct {
		attempts       int
		want, wantStep string
		wantFix        string
	}{
		// The upload in flight fails: the connection drops.
		{1, "the connection to registry %s was lost", " while uploading ", "then run the push again"},
		// Retried: the registry is gone, so the retry's first request is refused.
		{3, "registry %s is unreachable", " while ", "is the registry running?"},
	}
	for _, tc := range tests {
		attempts := tc.attempts
		t.Run(fmt.Sprintf("with %d attempt(s)", attempts), func(t *testing.T) {
			reg := registrytest.Distribution(t, false)
			inFlight, release := make(chan struct{}), make(chan struct{})
			var stalled atomic.Bool
			proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request) bool {
				if registrytest.IsBlobUpload(r) && r.ContentLength > 1<<20 && stalled.CompareAndSwap(false, true) {
					r.Body = &stallingBody{ReadCloser: r.Body, n: 1 << 20, inFlight: inFlight, release: release}
				}
				return false
			})
			defer func() {
				select {
				case <-release:
				default:
					close(release)
				}
			}()
			ref := proxy.Host + "/laneway/tenantroute:v1"

			errc := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := Push(context.Background(), ref, img, RemoteOptions{Attempts: attempts})
				errc <- err
			}()
			select {
			case <-inFlight:
			case err := <-errc:
				t.Fatalf("the push ended before its layer upload was in flight: %v", err)
			case <-time.After(5 * time.Second):
				t.Fatal("the layer upload never started")
			}
			// 1 MiB of the layer has reached the registry: kill it, and the route to it.
			reg.Kill(t)
			proxy.Cut()
			close(release)

			var perr error
			select {
			case perr = <-errc:
			case <-time.After(8 * time.Second):
				t.Fatal("the push did not give up after the registry died")
			}
			t.Logf("push failed after %v: %v", time.Since(start).Round(time.Millisecond), perr)
			require.Error(t, perr)
			assert.Contains(t, perr.Error(), "push "+ref+" failed", "what failed")
			assert.Contains(t, perr.Error(), fmt.Sprintf(tc.want, proxy.Host)+tc.wantStep, "which registry, which step")
			assert.Contains(t, perr.Error(), tc.wantFix, "what to do")

			reg.Restart(t)
			assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"), "no tag after a push cut off mid-upload")
			assert.False(t, reg.BlobExists(t, "laneway/tenantroute", layer), "the half-uploaded layer was never committed")

			// Pushed again as a user would, with the default retries: a registry restarted after an unclean kill
			// now and then answers its first blob check with HTTP 500 (seen in about 1 of 50 runs).
			d, err := Push(context.Background(), reg.Host+"/laneway/tenantroute:v1", img, RemoteOptions{})
			require.NoError(t, err, "pushing again once the registry is back succeeds")
			ex, err := Fetch(context.Background(), reg.Host+"/laneway/tenantroute:v1", RemoteOptions{Attempts: 1})
			require.NoError(t, err)
			assert.Equal(t, d, ex.ManifestDigest)
		})
	}
}

func TestRegistry5xxAnswersAreRetriedUpToTheConfiguredAttempts(t *testing.T) {
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	tests := []struct {
		name string
		// failing picks the requests that fail and how many of them do (-1: all).
		failing       func(*http.Request) bool
		failures      int
		status        int
		attempts      int
		wantErr       string
		wantRequests  int32
		wantTagExists bool
	}{
		{name: "two 503s on the manifest are retried and the push succeeds", failing: registrytest.IsManifestPut, failures: 2,
			status: http.StatusServiceUnavailable, attempts: 3, wantRequests: 3, wantTagExists: true},
		{name: "two 503s on blob uploads are retried and the push succeeds", failing: registrytest.IsBlobUpload, failures: 2,
			status: http.StatusServiceUnavailable, attempts: 3, wantRequests: 6, wantTagExists: true}, // 2 failed + PATCH and PUT per blob
		{name: "a manifest answered 500 every time fails after the configured 2 attempts", failing: registrytest.IsManifestPut, failures: -1,
			status: http.StatusInternalServerError, attempts: 2, wantRequests: 2, wantErr: "answered HTTP 500 (after 2 attempts)"},
		{name: "a blob upload answered 500 every time fails after the configured 3 attempts", failing: registrytest.IsBlobUpload, failures: -1,
			status: http.StatusInternalServerError, attempts: 3, wantErr: "answered HTTP 500 (after 3 attempts)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.Distribution(t, false)
			var seen, failed atomic.Int32
			proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request) bool {
				if !tc.failing(r) {
					return false
				}
				seen.Add(1)
				if tc.failures >= 0 && failed.Load() >= int32(tc.failures) {
					return false
				}
				failed.Add(1)
				http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}`, tc.status)
				return true
			})
			start := time.Now()
			d, err := Push(context.Background(), proxy.Host+"/laneway/tenantroute:v1", img, RemoteOptions{Attempts: tc.attempts})
			t.Logf("%v after %v, %d matching requests: %v", tc.status, time.Since(start).Round(time.Millisecond), seen.Load(), err)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, img.ManifestDigest(), d)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "registry "+proxy.Host+" "+tc.wantErr)
				assert.Contains(t, err.Error(), "--retries")
			}
			if tc.wantRequests > 0 {
				assert.Equal(t, tc.wantRequests, seen.Load(), "requests of the failing kind")
			}
			assert.Equal(t, tc.wantTagExists, reg.TagExists(t, "laneway/tenantroute", "v1"))
		})
	}
}

func TestASlowRegistryFailsAtTheDeadlineAndOneWithinItSucceeds(t *testing.T) {
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	tests := []struct {
		name           string
		delay, timeout time.Duration
		wantErr        bool
	}{
		{"every answer 400ms late, a 1s deadline: timeout, no tag", 400 * time.Millisecond, time.Second, true},
		{"every answer 40ms late, a 5s deadline: pushed", 40 * time.Millisecond, 5 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.Distribution(t, false)
			proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request) bool {
				select {
				case <-time.After(tc.delay):
					return false
				case <-r.Context().Done():
					return true // the client gave up: the request never reaches the registry
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			_, err := Push(ctx, proxy.Host+"/laneway/tenantroute:v1", img, RemoteOptions{})
			took := time.Since(start)
			t.Logf("took %v: %v", took.Round(time.Millisecond), err)
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "registry "+proxy.Host+" did not answer in time")
				assert.Contains(t, err.Error(), "raise --timeout")
				assert.Less(t, took, tc.timeout+time.Second, "the deadline is kept")
				time.Sleep(2 * tc.delay) // let any request still in the proxy reach the registry
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, !tc.wantErr, reg.TagExists(t, "laneway/tenantroute", "v1"))
		})
	}
}

func TestA401SaysWhichCredentialsWereRefusedAndHowToProvideThem(t *testing.T) {
	img, err := Build(testModule(), BuildOptions{})
	require.NoError(t, err)
	for _, r := range registries {
		reg := r.start(t, true)
		tests := []struct {
			name      string
			dockerCfg string // the docker config's auth for the registry, base64 user:password ("" for none)
			opts      RemoteOptions
			want      []string
		}{
			{"no credentials anywhere", "", RemoteOptions{},
				[]string{"answered HTTP 401: it requires credentials and the docker config holds none for " + reg.Host, "run `docker login " + reg.Host + "`, or pass --username with --password-stdin"}},
			{"wrong credentials in the docker config", base64.StdEncoding.EncodeToString([]byte(registrytest.Username + ":stale")), RemoteOptions{},
				[]string{"credentials refused (the ones the docker config holds for " + reg.Host + ")", "run `docker login " + reg.Host + "` again"}},
			{"a wrong password given with --username", "", RemoteOptions{Username: registrytest.Username, Password: "wrong"},
				[]string{`credentials refused for user "laneway" (given with --username)`, "check the user name and the password sent on stdin"}},
		}
		for _, tc := range tests {
			t.Run(r.name+": "+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				if tc.dockerCfg != "" {
					require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"),
						[]byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, reg.Host, tc.dockerCfg)), 0o600))
				}
				t.Setenv("DOCKER_CONFIG", dir)
				t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "none.json"))
				tc.opts.Attempts = 1
				_, err := Push(context.Background(), reg.Host+"/laneway/tenantroute:v1", img, tc.opts)
				require.Error(t, err)
				for _, w := range tc.want {
					assert.Contains(t, err.Error(), w)
				}
				assert.NotContains(t, err.Error(), "wrong", "the password is never echoed")
				assert.NotContains(t, err.Error(), "stale")
				assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"))
			})
		}
	}
}
