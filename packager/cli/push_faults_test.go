package cli

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/internal/registrytest"
	"github.com/laneway/laneway/testenv/wasmtest"
)

func TestPushHonoursTimeoutAndRetriesAgainstAFaultyRegistry(t *testing.T) {
	path := writeModule(t, "tenantroute.wasm", wasmtest.GoFilter())
	t.Run("answers slower than --timeout: a timeout error naming the flag, no tag", func(t *testing.T) {
		reg := registrytest.Distribution(t, false)
		proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-time.After(300 * time.Millisecond):
				return false
			case <-r.Context().Done():
				return true
			}
		})
		start := time.Now()
		res := run(t, "", "push", path, proxy.Host+"/laneway/tenantroute:v1", "--timeout", "700ms")
		assert.Less(t, time.Since(start), 3*time.Second)
		assert.Equal(t, 1, res.code)
		assert.Empty(t, res.stdout)
		assert.Contains(t, res.stderr, "registry "+proxy.Host+" did not answer in time")
		assert.Contains(t, res.stderr, "raise --timeout")
		time.Sleep(600 * time.Millisecond) // anything still in the proxy reaches the registry
		assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"))
	})
	t.Run("a manifest answered 500 every time: --retries 2 means two tries, then an error naming the flag", func(t *testing.T) {
		reg := registrytest.Distribution(t, false)
		var puts atomic.Int32
		proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request) bool {
			if !registrytest.IsManifestPut(r) {
				return false
			}
			puts.Add(1)
			http.Error(w, "injected fault", http.StatusInternalServerError)
			return true
		})
		res := run(t, "", "push", path, proxy.Host+"/laneway/tenantroute:v1", "--retries", "2")
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, "answered HTTP 500 (after 2 attempts) while writing the manifest")
		assert.Contains(t, res.stderr, "raise --retries")
		assert.Equal(t, int32(2), puts.Load())
		assert.False(t, reg.TagExists(t, "laneway/tenantroute", "v1"))
	})
	t.Run("a registry slow but within --timeout: pushed and read back", func(t *testing.T) {
		reg := registrytest.Distribution(t, false)
		proxy := registrytest.NewProxy(t, reg, func(w http.ResponseWriter, r *http.Request) bool {
			time.Sleep(20 * time.Millisecond)
			return false
		})
		res := run(t, "", "push", path, proxy.Host+"/laneway/tenantroute:v1", "--timeout", "8s", "--format", "json")
		require.Equal(t, 0, res.code, res.stderr)
		p := decodePush(t, res)
		assert.Equal(t, "oci://"+proxy.Host+"/laneway/tenantroute:v1", p.URL)
		assert.True(t, reg.TagExists(t, "laneway/tenantroute", "v1"))
	})
}

func TestRetriesBelowOneIsRefusedBeforeAnyRegistryCall(t *testing.T) {
	path := writeModule(t, "tenantroute.wasm", wasmtest.GoFilter())
	for _, n := range []string{"0", "-2"} {
		t.Run("--retries "+n, func(t *testing.T) {
			// port 1 on loopback: any registry call would fail with a connection error instead
			res := run(t, "", "push", path, "127.0.0.1:1/laneway/tenantroute:v1", "--retries", n)
			assert.Equal(t, 1, res.code)
			assert.Contains(t, res.stderr, "--retries: got "+n+", expected the number of attempts, at least 1")
			assert.NotContains(t, res.stderr, "127.0.0.1:1")
		})
	}
}
