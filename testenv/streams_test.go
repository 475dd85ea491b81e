package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
)

func TestTenThousandInterleavedStreamsKeepTheirOwnState(t *testing.T) {
	for _, p := range []Profile{Envoy133, Envoy139} {
		t.Run(p.String(), func(t *testing.T) {
			vm := conformanceVM(t, newTestRuntime(t), p)
			const n = 10000
			streams := make([]*HTTPStream, n)
			for i := range streams {
				streams[i] = vm.NewHTTPStream()
				streams[i].RequestHeaders(RequestHeaders("GET", "a", "/", "x-conformance-id", strconv.Itoa(i)), true)
			}
			order := rand.New(rand.NewPCG(1, 2)).Perm(n)
			for _, i := range order {
				streams[i].ResponseHeaders(Headers{{":status", "200"}}, true)
			}
			for _, i := range rand.New(rand.NewPCG(3, 4)).Perm(n) {
				streams[i].Complete()
			}
			require.NoError(t, vm.Err())
			ids := map[uint32]bool{}
			for i, s := range streams {
				assert.Equal(t, strconv.Itoa(i), get(t, s.Response().Headers, "x-conformance-echo"))
				ids[s.ContextID()] = true
			}
			assert.Len(t, ids, n, "each stream has its own context id")
			assert.Equal(t, uint32(2), streams[0].ContextID(), "stream ids follow the root context")
			m, _ := vm.Metric("conformance_streams_done")
			assert.Equal(t, int64(n), m.Value)
		})
	}
}

// runStreams drives n complete request/response cycles.
func runStreams(vm *VM, n int) {
	for i := 0; i < n; i++ {
		s := vm.NewHTTPStream()
		s.RequestHeaders(RequestHeaders("GET", "svc.ns.svc.cluster.local", "/api", "baggage", "laneway-tenant=t1", "x-conformance-id", "x"), false)
		s.RequestBody([]byte(`{"a":1}`), true)
		s.ResponseHeaders(Headers{{":status", "200"}, {"content-type", "application/json"}}, false)
		s.ResponseBody([]byte(`{"ok":true}`), true)
		s.Complete()
		if vm.Err() != nil {
			return
		}
	}
}

func TestMemoryAfter100kStreamsIsNoLargerThanAfter10k(t *testing.T) {
	vm := conformanceVM(t, newTestRuntime(t), Envoy139)
	runStreams(vm, 10000)
	require.NoError(t, vm.Err())
	after10k := vm.MemorySize()
	runStreams(vm, 90000)
	require.NoError(t, vm.Err())
	assert.LessOrEqual(t, vm.MemorySize(), after10k, "linear memory grew between 10k and 100k streams")
	t.Logf("linear memory after 10k streams: %d KiB, after 100k: %d KiB", after10k/1024, vm.MemorySize()/1024)
}

// distModules lists every module the build makes, shipped filters and test fixtures; it fails when one is
// missing.
func distModules(t *testing.T) []string {
	t.Helper()
	names := append(filters.Shipped(), filters.Fixtures()...)
	for _, n := range names {
		DistModule(t, n)
	}
	return names
}

// survivalConfig is a plugin config each built module accepts.
var survivalConfig = map[string]string{
	"shadowtag":         `{"mode":"outbound"}`,
	"shadowtag-compare": `{"mode":"inbound","compare":{"role":"candidate","collector":{"cluster":"collector","authority":"collector:8080"},"service":"orders"}}`,
	"synthetic":         `{"mode":"outbound"}`,
	"laneway":           `{"tenantroute":{},"shadowtag":{"mode":"outbound"},"synthetic":{"mode":"outbound"}}`,
}

func TestEveryBuiltModuleSurvives100kStreamsUnderBothProfiles(t *testing.T) {
	for _, name := range distModules(t) {
		for _, p := range []Profile{Envoy133, Envoy139} {
			t.Run(name+"/"+p.String(), func(t *testing.T) {
				cfg := survivalConfig[name]
				if cfg == "" {
					cfg = "{}"
				}
				vm, err := newTestRuntime(t).LoadVM(context.Background(), DistModule(t, name), VMOptions{
					Profile: p, PluginConfig: []byte(cfg),
				})
				require.NoError(t, err)
				start := time.Now()
				runStreams(vm, 100000)
				require.NoError(t, vm.Err(), "module %s died under %s", name, p)
				t.Logf("%s under %s: 100000 streams in %v, memory %d KiB", name, p, time.Since(start).Round(time.Millisecond), vm.MemorySize()/1024)
			})
		}
	}
}

func TestAGoTimerKillsTheModuleOnEnvoy133ButNotOn139(t *testing.T) {
	for _, p := range []Profile{Envoy133, Envoy139} {
		t.Run(p.String(), func(t *testing.T) {
			vm := conformanceVM(t, newTestRuntime(t), p)
			s := vm.NewHTTPStream()
			s.RequestHeaders(conformanceRequest("timer"), true)
			s.Complete()
			if p == Envoy133 && vm.Err() != nil {
				t.Logf("Envoy 1.33–1.38: the module died in the very callback that armed a timer and ran a GC")
			}
			diedAt := -1
			for i := 0; i < 2000 && diedAt < 0; i++ {
				runStreams(vm, 1)
				if vm.Err() != nil {
					diedAt = i
				}
			}
			if p == Envoy133 {
				t.Logf("Envoy 1.33–1.38: a module with one Go timer died at stream %d after arming it", diedAt)
				require.Error(t, vm.Err())
				assert.Contains(t, fmt.Sprint(vm.Err()), "poll_oneoff failed")
				return
			}
			require.NoError(t, vm.Err())
		})
	}
}
