package testenv

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHammerParallelVMsWithInterleavedStreams runs several VMs (workers) of one Runtime
// in parallel goroutines, each with many interleaved streams touching shared data,
// shared queues and metrics. Run it with -race.
func TestHammerParallelVMsWithInterleavedStreams(t *testing.T) {
	const workers, rounds, open = 4, 5, 50
	rt := newTestRuntime(t)
	vms := make([]*VM, workers)
	for i := range vms {
		vms[i] = conformanceVM(t, rt, Envoy139)
	}
	cases := []string{"shared-data", "queue", "metrics", "headers", ""}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				streams := make([]*HTTPStream, open)
				for i := range streams {
					streams[i] = vm.NewHTTPStream()
					id := strconv.Itoa(w*1_000_000 + r*1000 + i)
					streams[i].RequestHeaders(RequestHeaders("GET", "a", "/", "x-conformance-case", cases[i%len(cases)], "x-conformance-id", id), true)
				}
				for i := len(streams) - 1; i >= 0; i-- {
					streams[i].ResponseHeaders(Headers{{":status", "200"}}, true)
				}
				for i, s := range streams {
					want := strconv.Itoa(w*1_000_000 + r*1000 + i)
					if got, _ := s.Response().Headers.Get("x-conformance-echo"); got != want {
						errs[w] = assert.AnError
					}
					s.Complete()
				}
				vm.Poll() // queue deliveries posted by other workers
			}
			errs[w] = vm.Err()
		}()
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}
	m, ok := vms[0].Metric("conformance_streams_done")
	require.True(t, ok)
	assert.Equal(t, int64(workers*rounds*open), m.Value, "all workers count into one shared metric")
	for _, vm := range vms {
		require.NoError(t, vm.Close(context.Background()))
	}
}
