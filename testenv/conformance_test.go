package testenv

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// conformanceVM loads the conformance fixture with HTTP call handlers and properties set.
func conformanceVM(t testing.TB, rt *Runtime, p Profile) *VM {
	t.Helper()
	vm, err := rt.LoadVM(context.Background(), DistModule(t, "conformance"), VMOptions{
		Profile:      p,
		PluginConfig: []byte("plugin-cfg"),
		VMConfig:     []byte("vm-cfg"),
		Properties: map[string][]byte{
			"source.principal":       StringValue("spiffe://cluster.local/ns/a/sa/b"),
			"xds.listener_direction": IntValue(2),
		},
		HTTPCallHandlers: map[string]HTTPCallHandler{
			"authz-cluster": func(r HTTPCallRequest) (HTTPCallResponse, error) {
				return HTTPCallResponse{Headers: Headers{{":status", "200"}, {"x-a", "b"}}, Body: []byte("pong:" + string(r.Body)), Trailers: Headers{{"x-t", "1"}}}, nil
			},
			"down-cluster": func(HTTPCallRequest) (HTTPCallResponse, error) {
				return HTTPCallResponse{}, errors.New("connection reset")
			},
		},
	})
	require.NoError(t, err)
	return vm
}

// testCache is shared by the tests' runtimes so each module compiles once.
var testCache = wazero.NewCompilationCache()

// newTestRuntime returns a fresh Runtime (its own shared data and metrics).
func newTestRuntime(t testing.TB) *Runtime {
	t.Helper()
	rt, err := NewRuntime(context.Background(), RuntimeOptions{CompilationCache: testCache})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func conformanceRequest(kase string, kv ...string) Headers {
	return RequestHeaders("GET", "svc.local", "/p?q=1", append([]string{"x-conformance-case", kase}, kv...)...)
}

func get(t *testing.T, h Headers, key string) string {
	t.Helper()
	v, ok := h.Get(key)
	require.True(t, ok, "header %s missing in %v", key, h)
	return v
}

func TestConformanceStartupReadsVMAndPluginConfig(t *testing.T) {
	rt := newTestRuntime(t)
	for _, p := range []Profile{Envoy133, Envoy139} {
		t.Run(p.String(), func(t *testing.T) {
			vm := conformanceVM(t, rt, p)
			assert.Contains(t, vm.LogsAt(LogInfo), `vm start config="vm-cfg"`)
			assert.Contains(t, vm.LogsAt(LogInfo), `plugin start config="plugin-cfg"`)
			assert.Equal(t, uint32(1), vm.RootContextID())
			assert.Equal(t, 1000*time.Millisecond, vm.TickPeriod())
		})
	}
}

func TestConformanceHostCalls(t *testing.T) {
	type check func(t *testing.T, vm *VM, s *HTTPStream)
	tests := []struct {
		kase  string
		extra []string
		check check
	}{
		{"headers", []string{"x-get", "got-me", "x-replace", "old", "x-replace", "old2", "x-remove", "bye"}, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "got-me|ok", get(t, req, "x-conformance-got"))
			assert.Equal(t, "error status returned by host: not found", get(t, req, "x-conformance-missing"))
			assert.Equal(t, "1", get(t, req, "x-added"))
			assert.Equal(t, []string{"new"}, req.Values("x-replace"))
			assert.Empty(t, req.Values("x-remove"))
			assert.Equal(t, "9/9", get(t, req, "x-conformance-count"))
			resp := s.Response().Headers
			assert.Equal(t, "200|ok", get(t, resp, "x-status-seen"))
			assert.Equal(t, "new", get(t, resp, "x-replace"))
			assert.Empty(t, resp.Values("x-remove"))
			assert.Equal(t, "3", get(t, resp, "x-resp-pairs"))
			assert.Positive(t, s.HeaderRouteCacheClears())
		}},
		{"set-headers", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			assert.Equal(t, "all", get(t, s.Request().Headers, "x-set"))
			assert.Equal(t, "ok", get(t, s.Request().Headers, "x-conformance-set"))
		}},
		{"properties", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "spiffe://cluster.local/ns/a/sa/b|ok", get(t, req, "x-conformance-principal"))
			assert.Equal(t, "2", get(t, req, "x-conformance-direction"))
			assert.Equal(t, "/p?q=1|ok", get(t, req, "x-conformance-path"))
			assert.Equal(t, "9|ok", get(t, req, "x-conformance-headers-map"))
			assert.Equal(t, "ok|stored|ok", get(t, req, "x-conformance-set-property"))
			assert.Equal(t, "error status returned by host: not found", get(t, req, "x-conformance-unknown-property"))
			v, ok := s.FilterState("conformance\x00key")
			assert.True(t, ok)
			assert.Equal(t, "stored", string(v))
		}},
		{"shared-data", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "error status returned by host: not found", get(t, req, "x-conformance-initial"))
			assert.Equal(t, "ok", get(t, req, "x-conformance-set"))
			assert.Equal(t, "v1|ok", get(t, req, "x-conformance-get"))
			assert.Equal(t, "error status returned by host: cas mismatch", get(t, req, "x-conformance-cas-mismatch"))
			assert.Equal(t, "ok", get(t, req, "x-conformance-cas-match"))
			assert.Equal(t, "v3", get(t, req, "x-conformance-final"))
		}},
		{"queue", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "ok", get(t, req, "x-conformance-resolve"))
			assert.Equal(t, "error status returned by host: not found", get(t, req, "x-conformance-resolve-missing"))
			assert.Equal(t, "ok", get(t, req, "x-conformance-enqueue"))
			assert.Contains(t, vm.LogsAt(LogInfo), "queue ready: hello")
			m, ok := vm.Metric("conformance_queue_delivered")
			require.True(t, ok)
			assert.Equal(t, int64(1), m.Value)
		}},
		{"metrics", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "1", get(t, req, "x-conformance-requests"))
			assert.Equal(t, "3", get(t, req, "x-conformance-gauge"))
			h, ok := vm.Metric("conformance_hist")
			require.True(t, ok)
			assert.Equal(t, MetricHistogram, h.Type)
			assert.Equal(t, []uint64{7}, h.Samples)
			c, _ := vm.Metric("conformance_streams_done")
			assert.Equal(t, int64(1), c.Value)
		}},
		{"http-call", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "ok", get(t, req, "x-conformance-dispatch"))
			assert.Equal(t, "2|200|ok", get(t, req, "x-conformance-call-headers"))
			assert.Equal(t, "pong:ping|ok", get(t, req, "x-conformance-call-body"))
			assert.Equal(t, "1|ok", get(t, req, "x-conformance-call-trailers"))
			require.Len(t, vm.HTTPCalls(), 1)
			call := vm.HTTPCalls()[0]
			assert.Equal(t, "authz-cluster", call.Cluster)
			assert.Equal(t, "4", get(t, call.Headers, "content-length"))
			assert.Equal(t, "true", get(t, call.Headers, "x-envoy-internal"))
			assert.Equal(t, uint32(5000), call.TimeoutMS)
			assert.Equal(t, s.ContextID(), call.ContextID)
			assert.False(t, s.RequestPaused())
		}},
		{"http-call-fail", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "0||error status returned by host: bad argument", get(t, req, "x-conformance-call-headers"))
			assert.False(t, s.RequestPaused())
		}},
		{"http-call-bad", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			req := s.Request().Headers
			assert.Equal(t, "error status returned by host: bad argument", get(t, req, "x-conformance-unknown-cluster"))
			assert.Equal(t, "error status returned by host: bad argument", get(t, req, "x-conformance-missing-pseudo"))
			assert.Empty(t, vm.HTTPCalls())
		}},
		{"route-cache", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			assert.Equal(t, "ok", get(t, s.Request().Headers, "x-conformance-clear-route-cache"))
			assert.Equal(t, "error status returned by host: not found", get(t, s.Request().Headers, "x-conformance-unknown-foreign"))
			assert.Equal(t, 1, s.RouteCacheClears())
		}},
		{"logs", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			assert.Contains(t, vm.LogsAt(LogTrace), "log trace")
			assert.Contains(t, vm.LogsAt(LogDebug), "log debug")
			assert.Contains(t, vm.LogsAt(LogInfo), "log info")
			assert.Contains(t, vm.LogsAt(LogWarn), "log warn")
			assert.Contains(t, vm.LogsAt(LogError), "log error")
			assert.Contains(t, vm.LogsAt(LogCritical), "log critical")
			assert.Contains(t, vm.LogsAt(LogInfo), "log formatted 42")
			assert.Contains(t, vm.LogsAt(LogInfo), "stream done")
		}},
		{"done", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			assert.Equal(t, 1, vm.DoneCalls())
		}},
		{"effective-context", nil, func(t *testing.T, vm *VM, s *HTTPStream) {
			assert.Equal(t, "ok", get(t, s.Request().Headers, "x-conformance-own"))
			assert.Equal(t, "error status returned by host: bad argument", get(t, s.Request().Headers, "x-conformance-unknown"))
		}},
	}
	for _, p := range []Profile{Envoy133, Envoy139} {
		for _, tt := range tests {
			t.Run(p.String()+"/"+tt.kase, func(t *testing.T) {
				vm := conformanceVM(t, newTestRuntime(t), p)
				s := vm.NewHTTPStream()
				s.RequestHeaders(conformanceRequest(tt.kase, tt.extra...), true)
				s.ResponseHeaders(Headers{{":status", "200"}, {"x-replace", "a"}, {"x-remove", "b"}}, true)
				s.Complete()
				require.NoError(t, vm.Err())
				tt.check(t, vm, s)
			})
		}
	}
}

func TestConformanceBodiesAreBufferedAndRewritten(t *testing.T) {
	rt := newTestRuntime(t)
	vm := conformanceVM(t, rt, Envoy139)
	s := vm.NewHTTPStream()
	assert.Equal(t, ActionContinue, s.RequestHeaders(conformanceRequest("body"), false))
	assert.Equal(t, ActionPause, s.RequestBody([]byte("hello "), false))
	assert.Equal(t, "hello ", string(s.BufferedRequestBody()))
	assert.Equal(t, ActionContinue, s.RequestBody([]byte("world"), true))
	assert.Equal(t, "<HELLO WORLD>", string(s.Request().Body))
	assert.Equal(t, ActionContinue, s.ResponseHeaders(Headers{{":status", "200"}}, false))
	assert.Equal(t, ActionPause, s.ResponseBody([]byte("a"), false))
	assert.Equal(t, ActionContinue, s.ResponseBody([]byte("b"), true))
	assert.Equal(t, "[resp:ab]", string(s.Response().Body))
	s.Complete()
	require.NoError(t, vm.Err())
}

func TestConformanceTrailersBothWays(t *testing.T) {
	rt := newTestRuntime(t)
	vm := conformanceVM(t, rt, Envoy139)
	s := vm.NewHTTPStream()
	s.RequestHeaders(conformanceRequest("trailers"), false)
	s.RequestBody([]byte("x"), false)
	assert.Equal(t, ActionContinue, s.RequestTrailers(Headers{{"x-t", "orig"}, {"x-drop", "1"}}))
	trl := s.Request().Trailers
	assert.Equal(t, "2|ok|orig|ok", get(t, trl, "x-trailers-seen"))
	assert.Equal(t, "1", get(t, trl, "x-set"))
	s.ResponseHeaders(Headers{{":status", "200"}}, false)
	assert.Equal(t, ActionContinue, s.ResponseTrailers(Headers{{"x-t", "orig"}, {"x-drop", "1"}}))
	rtrl := s.Response().Trailers
	assert.Equal(t, "2|ok|orig|ok", get(t, rtrl, "x-trailers-seen"))
	assert.Equal(t, []string{"replaced"}, rtrl.Values("x-t"))
	assert.Empty(t, rtrl.Values("x-drop"))
	assert.Equal(t, "x", string(s.Request().Body))
	s.Complete()
	require.NoError(t, vm.Err())
}

func TestConformanceLocalResponseStopsTheStreamAndRunsResponseCallbacks(t *testing.T) {
	rt := newTestRuntime(t)
	vm := conformanceVM(t, rt, Envoy133)
	s := vm.NewHTTPStream()
	assert.Equal(t, ActionPause, s.RequestHeaders(conformanceRequest("local-response"), true))
	lr := s.LocalResponse()
	require.NotNil(t, lr)
	assert.Equal(t, uint32(403), lr.StatusCode)
	assert.Equal(t, "denied by conformance", string(lr.Body))
	assert.Equal(t, int32(-1), lr.GRPCStatus)
	assert.Equal(t, "1", get(t, lr.Headers, "x-local"))
	resp := s.Response()
	assert.Equal(t, "403", get(t, resp.Headers, ":status"))
	assert.Equal(t, "1", get(t, resp.Headers, "x-seen-by-filter"))
	assert.Equal(t, "denied by conformance", string(resp.Body))
	assert.Equal(t, ActionPause, s.ResponseHeaders(Headers{{":status", "200"}}, true), "an upstream response after a local reply is ignored")
	s.Complete()
	require.NoError(t, vm.Err())
}

func TestConformanceTickFiresOncePerPeriodOfTheManualClock(t *testing.T) {
	rt := newTestRuntime(t)
	vm := conformanceVM(t, rt, Envoy139)
	vm.AdvanceClock(999 * time.Millisecond)
	_, ok := vm.Metric("conformance_ticks")
	require.True(t, ok)
	m, _ := vm.Metric("conformance_ticks")
	assert.Equal(t, int64(0), m.Value)
	vm.AdvanceClock(2600 * time.Millisecond)
	m, _ = vm.Metric("conformance_ticks")
	assert.Equal(t, int64(3), m.Value)
	require.NoError(t, vm.Err())
}

func TestConformanceTCPCallbacks(t *testing.T) {
	rt := newTestRuntime(t)
	vm, err := rt.LoadVM(context.Background(), DistModule(t, "conformance"), VMOptions{PluginConfig: []byte("tcp")})
	require.NoError(t, err)
	c, a := vm.NewTCPStream()
	assert.Equal(t, ActionContinue, a)
	assert.Equal(t, ActionContinue, c.DownstreamData([]byte("abc"), false))
	assert.Equal(t, "<ABC>", string(c.Downstream()))
	assert.Equal(t, ActionPause, c.DownstreamData([]byte("hold"), false))
	assert.Equal(t, ActionContinue, c.UpstreamData([]byte("xyz"), false))
	assert.Equal(t, "(up:xyz)", string(c.Upstream()))
	assert.Equal(t, "<ABC>hold", string(c.Downstream()), "ContinueTcpStream resumed the held downstream data")
	c.DownstreamClose(PeerRemote)
	c.UpstreamClose(PeerLocal)
	c.Complete()
	require.NoError(t, vm.Err())
	assert.Contains(t, vm.LogsAt(LogInfo), "tcp new connection")
	assert.Contains(t, vm.LogsAt(LogInfo), "tcp downstream close peer=2")
	assert.Contains(t, vm.LogsAt(LogInfo), "tcp upstream close peer=1")
	assert.Contains(t, vm.LogsAt(LogInfo), "tcp stream done")

	c2, _ := vm.NewTCPStream()
	c2.DownstreamData([]byte("close"), false)
	assert.True(t, c2.ClosedByFilter())
	c2.Complete()
	assert.Greater(t, c2.ContextID(), c.ContextID())
}

func TestConformancePanicFailsTheVMAndLaterStreamsGet503(t *testing.T) {
	rt := newTestRuntime(t)
	vm := conformanceVM(t, rt, Envoy139)
	s := vm.NewHTTPStream()
	assert.Equal(t, ActionFailed, s.RequestHeaders(conformanceRequest("panic"), true))
	var trap *TrapError
	require.ErrorAs(t, vm.Err(), &trap)
	assert.Contains(t, strings.Join(vm.LogsAt(LogError), "\n"), "assignment to entry in nil map")
	require.NotNil(t, s.LocalResponse())
	assert.Equal(t, uint32(503), s.LocalResponse().StatusCode)
	s.Complete()

	next := vm.NewHTTPStream()
	assert.Equal(t, ActionFailed, next.RequestHeaders(conformanceRequest("logs"), true))
	assert.Equal(t, uint32(503), next.LocalResponse().StatusCode)
	_, err := vm.CallExport("proxy_on_tick", 1)
	assert.ErrorIs(t, err, vm.Err())
}

func TestConformanceStartFailuresCarryTheModuleLogs(t *testing.T) {
	rt := newTestRuntime(t)
	wasm := DistModule(t, "conformance")
	_, err := rt.LoadVM(context.Background(), wasm, VMOptions{PluginConfig: []byte("fail")})
	var se *StartError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "proxy_on_configure returned false")
	assert.Contains(t, err.Error(), `[critical] plugin config "fail" refused`)

	_, err = rt.LoadVM(context.Background(), wasm, VMOptions{VMConfig: []byte("fail")})
	require.ErrorAs(t, err, &se)
	assert.Contains(t, err.Error(), "proxy_on_vm_start returned false")
}
