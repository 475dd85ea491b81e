package hardening

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// hammerFilter is one filter under the hammer: how stream i of worker w is
// built, and what it must have forwarded.
type hammerFilter struct {
	p      plugin
	req    func(w, i int) testenv.Headers
	verify func(w, i int, r testenv.Headers) error
}

func hammerFilters() []hammerFilter {
	return []hammerFilter{
		{plugin{module: "tenantroute", config: `{}`},
			func(w, i int) testenv.Headers {
				return req("baggage", fmt.Sprintf("laneway-tenant=t%d-%d", w, i), "x-laneway-tenant", "spoofed")
			},
			func(w, i int, h testenv.Headers) error {
				if v, want := h.Values("x-laneway-tenant"), fmt.Sprintf("t%d-%d", w, i); len(v) != 1 || v[0] != want {
					return fmt.Errorf("stream %d: x-laneway-tenant %q, want %s", i, v, want)
				}
				return nil
			}},
		{plugin{module: "shadowtag", config: `{"mode":"inbound"}`},
			func(w, i int) testenv.Headers {
				host := "svc-b:8080"
				if i%2 == 1 {
					host = "svc-b-shadow:8080"
				}
				return testenv.RequestHeaders("POST", host, fmt.Sprintf("/w%d/%d", w, i))
			},
			func(w, i int, h testenv.Headers) error {
				if got := len(h.Values("x-laneway-shadow")) == 1; got != (i%2 == 1) {
					return fmt.Errorf("stream %d: shadow marker %v, want %v", i, got, i%2 == 1)
				}
				if p, _ := h.Get(":path"); p != fmt.Sprintf("/w%d/%d", w, i) {
					return fmt.Errorf("stream %d: :path %q", i, p)
				}
				return nil
			}},
		{plugin{module: "synthetic", config: `{"mode":"inbound","trust":{"principals":["` + runnerSPIFFE + `"]}}`,
			props: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(runnerSPIFFE)}},
			func(w, i int) testenv.Headers {
				return req("baggage", fmt.Sprintf("laneway-synthetic=tx-%d-%d", w, i))
			},
			func(w, i int, h testenv.Headers) error {
				if v, want := h.Values("x-laneway-synthetic"), fmt.Sprintf("1;id=tx-%d-%d", w, i); len(v) != 1 || v[0] != want {
					return fmt.Errorf("stream %d: x-laneway-synthetic %q, want %s", i, v, want)
				}
				return nil
			}},
	}
}

// TestHammerEveryFilterOnParallelVMsWithInterleavedStreams runs three VMs of
// each filter (both Envoy profiles) in parallel goroutines of one Runtime, each
// with many interleaved streams whose results are checked one by one: no stream
// may see another's tenant, shadow mark or transaction id. Run it with -race.
func TestHammerEveryFilterOnParallelVMsWithInterleavedStreams(t *testing.T) {
	const perFilter, rounds, open = 3, 15, 40
	start := time.Now()
	rt := testenvtest.Runtime(t)
	type worker struct {
		vm      *testenv.VM
		f       hammerFilter
		wasm    []byte
		profile testenv.Profile
	}
	var workers []*worker
	for fi, f := range hammerFilters() {
		wasm := testenvtest.DistModule(t, f.p.module)
		for i := 0; i < perFilter; i++ {
			workers = append(workers, &worker{f: f, wasm: wasm, profile: profiles[(fi+i)%len(profiles)]})
		}
	}
	// Compiling dominates under -race (about 10 s per module), and one profile's
	// engine compiles one module at a time: load the first VM of each filter
	// from one goroutine per profile, so both engines compile in parallel; the
	// other VMs then come from the shared compilation cache.
	loadErrs := make([]error, len(workers))
	var lw sync.WaitGroup
	for _, p := range profiles {
		lw.Add(1)
		go func() {
			defer lw.Done()
			for w, wk := range workers {
				if w%perFilter == 0 && wk.profile == p {
					wk.vm, loadErrs[w] = rt.LoadVM(context.Background(), wk.wasm, testenv.VMOptions{Profile: p, PluginConfig: []byte(wk.f.p.config), Properties: wk.f.p.props, LogLevel: testenv.LogInfo})
				}
			}
		}()
	}
	lw.Wait()
	for w, wk := range workers {
		require.NoError(t, loadErrs[w], "load %s", wk.f.p.module)
		if wk.vm == nil {
			wk.vm = load(t, rt, wk.wasm, wk.f.p, wk.profile)
		} else {
			t.Cleanup(func() { _ = wk.vm.Close(context.Background()) })
		}
	}
	t.Logf("loaded %d VMs in %s", len(workers), time.Since(start))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for w, wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds && errs[w] == nil; r++ {
				streams := make([]*testenv.HTTPStream, open)
				for i := range streams { // open every stream before any finishes
					streams[i] = wk.vm.NewHTTPStream()
					streams[i].RequestHeaders(wk.f.req(w, r*open+i), false)
				}
				for i := open - 1; i >= 0; i-- { // bodies and responses in reverse order
					streams[i].RequestBody([]byte("x"), true)
					streams[i].ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}}, true)
				}
				for i, s := range streams {
					if s.LocalResponse() != nil {
						errs[w] = fmt.Errorf("stream %d: local reply %d", i, s.LocalResponse().StatusCode)
						break
					}
					if err := wk.f.verify(w, r*open+i, s.Request().Headers); err != nil {
						errs[w] = err
						break
					}
				}
				for i := 0; i < open; i += 2 { // complete evens, then odds
					streams[i].Complete()
				}
				for i := 1; i < open; i += 2 {
					streams[i].Complete()
				}
				if err := wk.vm.Err(); err != nil {
					errs[w] = err
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d VMs x %d streams in %s", len(workers), rounds*open, time.Since(start))
	for w, err := range errs {
		require.NoError(t, err, "worker %d (%s on %s)", w, workers[w].f.p.module, workers[w].vm.Profile())
	}
}
