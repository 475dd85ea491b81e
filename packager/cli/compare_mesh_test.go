package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/compare"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// replica is one collector replica behind a recorder of what reached it: the :authority of each batch and
// the request ids of its captures.
type replica struct {
	url string
	mu  sync.Mutex
	ids map[string]map[string]bool // id -> roles
	hs  map[string]bool            // :authority values
}

func newReplica(t *testing.T) *replica {
	r := &replica{ids: map[string]map[string]bool{}, hs: map[string]bool{}}
	h := compare.Handler(compare.New(compare.Options{}), compare.ServerOptions{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			body, _ := io.ReadAll(req.Body)
			var batch struct {
				Captures []struct{ ID, Role string } `json:"captures"`
			}
			_ = json.Unmarshal(body, &batch)
			r.mu.Lock()
			r.hs[req.Host] = true
			for _, c := range batch.Captures {
				if r.ids[c.ID] == nil {
					r.ids[c.ID] = map[string]bool{}
				}
				r.ids[c.ID][c.Role] = true
			}
			r.mu.Unlock()
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *replica) captures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, roles := range r.ids {
		n += len(roles)
	}
	return n
}

// ordersHandler answers GET /orders/<n>: the candidate has the planted changes (total recomputed, customer
// renamed customerName) next to the noise every instance has (a timestamp, a random id).
func ordersHandler(candidate bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		total, customer := 100, "customer"
		if candidate {
			total, customer = 108, "customerName"
		}
		w.Header().Set("content-type", "application/json")
		_, _ = fmt.Fprintf(w, `{"order":%q,"total":%d,%q:"ann","generatedAt":"%s","traceId":"%x"}`,
			strings.TrimPrefix(r.URL.Path, "/orders/"), total, customer, time.Now().Format(time.RFC3339Nano), rand.Uint64())
	}
}

// The three compare roles under `laneway run`, with two collector replicas behind one cluster that hashes
// dispatch_http_call on :authority (as Istio's MAGLEV cluster from `laneway compare manifest` does): shadowtag
// sends each capture shard with its own :authority, so every request id's three captures land on one
// replica, the replicas share the load, and `laneway compare report` over both names the planted fields.
func TestRunThreeRolesShardCapturesOverTwoCollectorReplicas(t *testing.T) {
	a, b := newReplica(t), newReplica(t)
	serve := func(h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return strings.TrimPrefix(s.URL, "http://")
	}
	primary, secondary, candidate := serve(ordersHandler(false)), serve(ordersHandler(false)), serve(ordersHandler(true))
	testenvtest.DistModule(t, "shadowtag-compare")
	wasm := testenvtest.DistPath(t, "shadowtag-compare")
	const cluster = "outbound|8080||laneway-compare.shop.svc.cluster.local"
	role := func(r string) string {
		return `{"mode": "inbound", "compare": {"role": "` + r + `", "collector": {"cluster": "` + cluster + `", "authority": "laneway-compare.shop:8080"},` +
			` "headers": ["content-type"], "service": "orders", "batchSize": 8, "flushMs": 50, "shards": 16}}`
	}
	mesh := fmt.Sprintf(`
clusters:
  "%s": [%s, %s]
listeners:
- name: edge
  routes:
  - upstream: listener:primary-in
    mirrors: [{upstream: listener:secondary-in}, {upstream: listener:candidate-in}]
- name: primary-in
  direction: inbound
  filters: [{name: shadowtag-compare, wasm: %s, config: %s}]
  routes: [{upstream: %s}]
- name: secondary-in
  direction: inbound
  filters: [{name: shadowtag-compare, wasm: %s, config: %s}]
  routes: [{upstream: %s}]
- name: candidate-in
  direction: inbound
  filters: [{name: shadowtag-compare, wasm: %s, config: %s}]
  routes: [{upstream: %s}]
`, cluster, strings.TrimPrefix(a.url, "http://"), strings.TrimPrefix(b.url, "http://"),
		wasm, role("primary"), primary, wasm, role("secondary"), secondary, wasm, role("candidate"), candidate)
	cfg := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(mesh), 0o644))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testenvtest.LockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"run", "-c", cfg}, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	}()
	addr := regexp.MustCompile(`edge\thttp://(127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool { return addr.MatchString(out.String()) }, 60*time.Second, 20*time.Millisecond, "stderr: %s", errb.String())
	edge := addr.FindStringSubmatch(out.String())[1]

	const requests = 200
	client := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < requests; i++ {
		resp, err := client.Get(fmt.Sprintf("http://%s/orders/%d", edge, i))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		require.Contains(t, string(body), `"total":100`, "the live answer is the primary's")
	}
	require.Eventually(t, func() bool { return a.captures()+b.captures() >= 3*requests }, 30*time.Second, 20*time.Millisecond,
		"captures: %d + %d", a.captures(), b.captures())

	a.mu.Lock()
	b.mu.Lock()
	for id, roles := range a.ids {
		assert.Len(t, roles, 3, "id %s: all three roles on replica A", id)
		assert.NotContains(t, b.ids, id, "id %s on one replica only", id)
	}
	for id, roles := range b.ids {
		assert.Len(t, roles, 3, "id %s: all three roles on replica B", id)
	}
	assert.Equal(t, requests, len(a.ids)+len(b.ids))
	// 16 shard authorities over two endpoints: both get some (all 16 on one has odds 2 in 65,536).
	assert.NotEmpty(t, a.ids, "replica A carries a share")
	assert.NotEmpty(t, b.ids, "replica B carries a share")
	shard := regexp.MustCompile(`^([0-9]|1[0-5])\.laneway-compare\.shop:8080$`)
	for h := range a.hs {
		assert.Regexp(t, shard, h)
		assert.NotContains(t, b.hs, h, "a shard's authority reaches one replica")
	}
	for h := range b.hs {
		assert.Regexp(t, shard, h)
	}
	a.mu.Unlock()
	b.mu.Unlock()

	rep := run(t, "", "compare", "report", "--collector", a.url, "--collector", b.url, "--format", "json")
	require.Equal(t, 0, rep.code, rep.stderr)
	var report compare.Report
	require.NoError(t, json.Unmarshal([]byte(rep.stdout), &report))
	assert.Equal(t, 2, report.Replicas)
	require.Len(t, report.Endpoints, 1)
	ep := report.Endpoints[0]
	assert.Equal(t, int64(requests), ep.CandidateComparisons, "every request paired across the replicas")
	var reported []string
	fields := map[string]compare.FieldReport{}
	for _, f := range ep.Fields {
		fields[f.Field] = f
		if f.Reported {
			reported = append(reported, f.Field)
		}
	}
	assert.ElementsMatch(t, []string{"body:total", "body:customer", "body:customerName"}, reported, "the planted fields, and only them")
	for _, noisy := range []string{"body:generatedAt", "body:traceId"} {
		assert.True(t, fields[noisy].Noise, "%s learned as noise", noisy)
	}
	text := run(t, "", "compare", "report", "--collector", a.url, "--collector", b.url)
	require.Equal(t, 0, text.code, text.stderr)
	assert.Contains(t, text.stdout, "body:total")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "stderr: %s", errb.String())
	case <-time.After(20 * time.Second):
		t.Fatal("laneway run did not stop")
	}
}
