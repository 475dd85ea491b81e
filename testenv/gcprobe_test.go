package testenv

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The zero-GC tests send GCProbeRequests requests with GCProbeEnv and count clock reads (each GC cycle
// reads the clock). This calibrates them on costprobe, which runs tenantroute's whole request path and
// can allocate a given number of bytes per request: 16 bytes per request must start the GC within
// GCProbeRequests, and the path without the allocation must not. (Measured: 16 bytes per request gave
// about 11 clock reads, two to three GC cycles, in 50,000 requests with GOGC=1, and one cycle with
// Go's default GOGC=100, which needed about 200,000 requests to catch ~20 bytes.)
func TestGCProbeCatchesASixteenByteAllocation(t *testing.T) {
	cases := []struct {
		name   string
		alloc  int
		wantGC bool
	}{
		{"no allocation: no GC", 0, false},
		{"16 bytes per request: the GC starts", 16, true},
		{"64 bytes per request: the GC starts", 64, true},
	}
	rt := newTestRuntime(t)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm, err := rt.LoadVM(ctx, DistModule(t, "costprobe"), VMOptions{
				PluginConfig: []byte(`{"allocBytes":` + strconv.Itoa(c.alloc) + `}`), LogLevel: LogInfo, Env: GCProbeEnv(),
			})
			require.NoError(t, err)
			t.Cleanup(func() { _ = vm.Close(ctx) })
			req := RequestHeaders("GET", "svc-b:8080", "/", "baggage", "userid=42,laneway-tenant=sbx-1")
			run := func(n int) {
				for range n {
					s := vm.NewHTTPStream()
					s.RequestHeaders(req, true)
					s.Complete()
				}
			}
			run(1000)
			before := vm.HostCalls()["wasi_snapshot_preview1.clock_time_get"]
			run(GCProbeRequests)
			require.NoError(t, vm.Err())
			reads := vm.HostCalls()["wasi_snapshot_preview1.clock_time_get"] - before
			t.Logf("%d clock reads in %d requests", reads, GCProbeRequests)
			if c.wantGC {
				assert.NotZero(t, reads, "the GC never started: the probe misses a %d-byte allocation per request", c.alloc)
			} else {
				assert.Zero(t, reads, "the GC started without any allocation of the probe's own")
			}
		})
	}
}
