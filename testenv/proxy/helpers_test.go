package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// seen is one request an upstream received.
type seen struct {
	Service string            `json:"service"`
	Host    string            `json:"host"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// echo is an upstream that answers with what it received and remembers it.
type echo struct {
	name  string
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []seen
	got   chan seen
	delay time.Duration
}

func newEcho(t testing.TB, name string) *echo {
	e := &echo{name: name, got: make(chan seen, 64)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{Service: name, Host: r.Host, Method: r.Method, Path: r.URL.RequestURI(), Headers: map[string]string{}, Body: string(b)}
		for k := range r.Header {
			s.Headers[strings.ToLower(k)] = strings.Join(r.Header.Values(k), ",")
		}
		e.mu.Lock()
		e.reqs = append(e.reqs, s)
		d := e.delay
		e.mu.Unlock()
		select {
		case e.got <- s:
		default:
		}
		if d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Served-By", name)
		_ = json.NewEncoder(w).Encode(s)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *echo) addr() string { return strings.TrimPrefix(e.srv.URL, "http://") }

func (e *echo) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.reqs)
}

// wait returns the next request the upstream receives, failing after timeout.
func (e *echo) wait(t testing.TB, timeout time.Duration) seen {
	t.Helper()
	select {
	case s := <-e.got:
		return s
	case <-time.After(timeout):
		t.Fatalf("upstream %s received nothing within %s", e.name, timeout)
		return seen{}
	}
}

var (
	sharedRTOnce sync.Once
	sharedRT     *testenv.Runtime
)

// runtime is one Runtime for the whole test binary, so each module compiles once.
func runtime(t testing.TB) *testenv.Runtime {
	sharedRTOnce.Do(func() {
		rt, err := testenv.NewRuntime(context.Background(), testenv.RuntimeOptions{})
		if err != nil {
			panic(err)
		}
		sharedRT = rt
	})
	return sharedRT
}

// startProxy parses yaml, starts the proxy on the shared runtime and stops it at the end of
// the test.
func startProxy(t testing.TB, yaml string, opts Options) *Proxy {
	t.Helper()
	cfg, err := Parse([]byte(yaml))
	require.NoError(t, err)
	if opts.Runtime == nil {
		opts.Runtime = runtime(t)
	}
	p, err := Start(context.Background(), cfg, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, p.Close(ctx))
	})
	return p
}

// dist returns dist/<name>.wasm, failing the test with a `make build` hint when it is missing.
func dist(t testing.TB, name string) string {
	t.Helper()
	testenvtest.DistModule(t, name)
	return testenvtest.DistPath(t, name)
}

// call sends a request through the proxy and decodes what the upstream saw.
func call(t testing.TB, c *http.Client, method, url, host string, hdr map[string]string) (*http.Response, seen) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var s seen
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(b, &s), "body %q", b)
	} else {
		s.Body = string(b)
	}
	return resp, s
}

// decisions collects decisions for assertions.
type decisions struct {
	mu   sync.Mutex
	list []Decision
}

func (d *decisions) add(x Decision) {
	d.mu.Lock()
	d.list = append(d.list, x)
	d.mu.Unlock()
}

func (d *decisions) all() []Decision {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Decision(nil), d.list...)
}
