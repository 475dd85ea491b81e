package shadowtag

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func actionName(a types.Action) string {
	if a == types.ActionContinue {
		return "continue"
	}
	return "pause"
}

// nativeCaptureHost is the Go leg: the package under proxytest.
type nativeCaptureHost struct {
	t        testing.TB
	host     proxytest.HostEmulator
	mode     collectorMode
	answered map[uint32]bool
	reqActs  []string // request-side actions of the last run (redaction may pause them)
}

func newNativeCaptureHost(t testing.TB, config string, mode collectorMode) *nativeCaptureHost {
	host, _ := newHost(t, config, 0)
	return &nativeCaptureHost{t: t, host: host, mode: mode, answered: map[uint32]bool{}}
}

func (h *nativeCaptureHost) run(ex exchange) outcome {
	var out outcome
	id := h.host.InitializeHttpContext()
	h.reqActs = h.reqActs[:0]
	h.reqActs = append(h.reqActs, actionName(h.host.CallOnRequestHeaders(id, ex.req, len(ex.reqBody) == 0)))
	for i, c := range ex.reqBody {
		h.reqActs = append(h.reqActs, actionName(h.host.CallOnRequestBody(id, c, i == len(ex.reqBody)-1)))
	}
	out.reqHeaders = h.host.GetCurrentRequestHeaders(id)
	if len(ex.reqBody) > 0 && h.reqActs[len(h.reqActs)-1] == "continue" {
		out.reqForwarded = h.host.GetCurrentRequestBody(id)
	}
	if lr := h.host.GetSentLocalResponse(id); lr != nil {
		out.local, out.localBody = int(lr.StatusCode), string(lr.Data)
		h.host.CompleteHttpContext(id)
		return out
	}
	end := len(ex.respBody) == 0 && ex.respTrails == nil
	out.actions = append(out.actions, actionName(h.host.CallOnResponseHeaders(id, ex.resp, end)))
	for i, c := range ex.respBody {
		a := h.host.CallOnResponseBody(id, c, i == len(ex.respBody)-1 && ex.respTrails == nil)
		out.actions = append(out.actions, actionName(a))
		if a == types.ActionContinue {
			out.respForwarded = append(out.respForwarded, h.host.GetCurrentResponseBody(id)...)
		} else {
			out.respHeldAtEnd = true
		}
	}
	if ex.respTrails != nil {
		out.actions = append(out.actions, actionName(h.host.CallOnResponseTrailers(id, ex.respTrails)))
	}
	h.host.CompleteHttpContext(id)
	return out
}

func (h *nativeCaptureHost) flush() {
	h.host.Tick()
	for _, c := range h.host.GetCalloutAttributesFromContext(proxytest.PluginContextID) {
		if h.answered[c.CalloutID] {
			continue
		}
		switch h.mode {
		case collectorOK:
			h.answered[c.CalloutID] = true
			h.host.CallOnHttpCallResponse(c.CalloutID, [][2]string{{":status", "202"}}, nil, []byte(`{"accepted":1}`))
		case collectorDown:
			h.answered[c.CalloutID] = true
			h.host.CallOnHttpCallResponse(c.CalloutID, nil, nil, nil) // a reset: no headers
		}
	}
}

func (h *nativeCaptureHost) expire() {
	for _, c := range h.host.GetCalloutAttributesFromContext(proxytest.PluginContextID) {
		if !h.answered[c.CalloutID] {
			h.answered[c.CalloutID] = true
			h.host.CallOnHttpCallResponse(c.CalloutID, [][2]string{{":status", "504"}}, nil, []byte("upstream request timeout"))
		}
	}
}

func (h *nativeCaptureHost) calls() []sentCall {
	var out []sentCall
	for _, c := range h.host.GetCalloutAttributesFromContext(proxytest.PluginContextID) {
		out = append(out, sentCall{cluster: c.Upstream, headers: c.Headers, body: c.Body}) // proxytest keeps no timeout
	}
	return out
}

func (h *nativeCaptureHost) counter(name string) int64 {
	v, err := h.host.GetCounterMetric(MetricPrefix + name + "_total")
	require.NoError(h.t, err)
	return int64(v)
}

// wasmCaptureHost is the Wasm leg: dist/shadowtag-compare.wasm in testenv.
type wasmCaptureHost struct {
	t       testing.TB
	vm      *testenv.VM
	before  map[string]int64
	reqActs []string
}

func newWasmCaptureHost(t testing.TB, rt *testenv.Runtime, profile testenv.Profile, config string, mode collectorMode) *wasmCaptureHost {
	handler := func(req testenv.HTTPCallRequest) (testenv.HTTPCallResponse, error) {
		switch mode {
		case collectorDown:
			return testenv.HTTPCallResponse{}, errCollectorDown
		case collectorSlow:
			return testenv.HTTPCallResponse{}, testenv.ErrNoAnswer
		}
		return testenv.HTTPCallResponse{Headers: testenv.Headers{{Key: ":status", Value: "202"}}, Body: []byte(`{"accepted":1}`)}, nil
	}
	vm, err := rt.LoadVM(context.Background(), testenvtest.DistModule(t, "shadowtag-compare"), testenv.VMOptions{
		Profile: profile, PluginConfig: []byte(config), RootID: "orders-root", LogLevel: testenv.LogInfo,
		HTTPCallHandlers: map[string]testenv.HTTPCallHandler{collectorCluster: handler},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(context.Background()) })
	h := &wasmCaptureHost{t: t, vm: vm, before: map[string]int64{}}
	for _, n := range append(compareCounters, "redacted") {
		m, _ := vm.Metric(MetricPrefix + n + "_total")
		h.before[n] = m.Value
	}
	return h
}

type collectorDownError struct{}

func (collectorDownError) Error() string { return "connection refused" }

var errCollectorDown error = collectorDownError{}

func tActionName(a testenv.Action) string {
	if a == testenv.ActionContinue {
		return "continue"
	}
	return "pause"
}

func (h *wasmCaptureHost) run(ex exchange) outcome {
	var out outcome
	s := h.vm.NewHTTPStream()
	h.reqActs = h.reqActs[:0]
	h.reqActs = append(h.reqActs, tActionName(s.RequestHeaders(testenv.HeadersOf(ex.req), len(ex.reqBody) == 0)))
	for i, c := range ex.reqBody {
		h.reqActs = append(h.reqActs, tActionName(s.RequestBody(c, i == len(ex.reqBody)-1)))
	}
	require.NoError(h.t, h.vm.Err())
	out.reqHeaders = s.Request().Headers.Pairs()
	out.reqForwarded = s.Request().Body
	out.requestHeldAtEnd = s.RequestPaused()
	if lr := s.LocalResponse(); lr != nil {
		out.local, out.localBody = int(lr.StatusCode), string(lr.Body)
		s.Complete()
		return out
	}
	end := len(ex.respBody) == 0 && ex.respTrails == nil
	out.actions = append(out.actions, tActionName(s.ResponseHeaders(testenv.HeadersOf(ex.resp), end)))
	for i, c := range ex.respBody {
		out.actions = append(out.actions, tActionName(s.ResponseBody(c, i == len(ex.respBody)-1 && ex.respTrails == nil)))
	}
	if ex.respTrails != nil {
		out.actions = append(out.actions, tActionName(s.ResponseTrailers(testenv.HeadersOf(ex.respTrails))))
	}
	out.respForwarded = s.Response().Body
	out.respHeldAtEnd = s.ResponsePaused()
	s.Complete()
	require.NoError(h.t, h.vm.Err())
	return out
}

func (h *wasmCaptureHost) flush()  { h.vm.AdvanceClock(100 * time.Millisecond) }
func (h *wasmCaptureHost) expire() { h.vm.AdvanceClock(600 * time.Millisecond) }

func (h *wasmCaptureHost) calls() []sentCall {
	var out []sentCall
	for _, c := range h.vm.HTTPCalls() {
		out = append(out, sentCall{cluster: c.Cluster, headers: c.Headers.Pairs(), body: c.Body, timeout: c.TimeoutMS})
	}
	return out
}

func (h *wasmCaptureHost) counter(name string) int64 {
	m, ok := h.vm.Metric(MetricPrefix + name + "_total")
	require.True(h.t, ok, "metric %s defined", name)
	return m.Value - h.before[name]
}

func TestCaptureScenariosUnderProxytest(t *testing.T) {
	for _, sc := range captureScenarios {
		t.Run(sc.name, func(t *testing.T) {
			runCaptureScenario(t, newNativeCaptureHost(t, sc.config, sc.collector), sc)
		})
	}
}

func TestCaptureScenariosAgainstTheWasmModule(t *testing.T) {
	rt := testenvtest.Runtime(t)
	for _, profile := range []testenv.Profile{testenv.Envoy133, testenv.Envoy139} {
		for _, sc := range captureScenarios {
			t.Run(profileName(profile)+"/"+sc.name, func(t *testing.T) {
				runCaptureScenario(t, newWasmCaptureHost(t, rt, profile, sc.config, sc.collector), sc)
			})
		}
	}
}

var _ = strconv.Itoa
