// Command conformance is a test fixture (never shipped): a filter that exercises every host call
// and every callback of proxy-wasm-go-sdk v0.24.0, so testenv's tests can check the host against
// the SDK. The request header x-conformance-case selects what a stream does; results come back
// as x-conformance-* request/response headers, log lines, metrics and shared data.
package main

import (
	"encoding/binary"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() { proxywasm.SetVMContext(&vmContext{}) }

type vmContext struct{}

func (*vmContext) OnVMStart(size int) types.OnVMStartStatus {
	cfg, err := proxywasm.GetVMConfiguration()
	if err != nil && size > 0 {
		proxywasm.LogCriticalf("vm config: %v", err)
		return false
	}
	proxywasm.LogInfof("vm start config=%q", string(cfg))
	return string(cfg) != "fail"
}

func (*vmContext) NewPluginContext(id uint32) types.PluginContext { return &pluginContext{id: id} }

type pluginContext struct {
	id                     uint32
	queue                  uint32
	requests, done, ticks  proxywasm.MetricCounter
	gauge                  proxywasm.MetricGauge
	hist                   proxywasm.MetricHistogram
	tcpNew, queueDelivered proxywasm.MetricCounter
	tcp                    bool // plugin config "tcp": a network filter (no HTTP contexts)
}

func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	cfg, err := proxywasm.GetPluginConfiguration()
	if err != nil && size > 0 {
		proxywasm.LogCriticalf("plugin config: %v", err)
		return false
	}
	if string(cfg) == "fail" {
		proxywasm.LogCritical("plugin config \"fail\" refused")
		return false
	}
	proxywasm.LogInfof("plugin start config=%q", string(cfg))
	p.tcp = string(cfg) == "tcp"
	if p.queue, err = proxywasm.RegisterSharedQueue("conformance-q"); err != nil {
		proxywasm.LogCriticalf("register queue: %v", err)
		return false
	}
	p.requests = proxywasm.DefineCounterMetric("conformance_requests")
	p.done = proxywasm.DefineCounterMetric("conformance_streams_done")
	p.ticks = proxywasm.DefineCounterMetric("conformance_ticks")
	p.tcpNew = proxywasm.DefineCounterMetric("conformance_tcp_new")
	p.queueDelivered = proxywasm.DefineCounterMetric("conformance_queue_delivered")
	p.gauge = proxywasm.DefineGaugeMetric("conformance_gauge")
	p.hist = proxywasm.DefineHistogramMetric("conformance_hist")
	if err := proxywasm.SetTickPeriodMilliSeconds(1000); err != nil {
		proxywasm.LogCriticalf("tick: %v", err)
		return false
	}
	return true
}

func (p *pluginContext) OnPluginDone() bool {
	proxywasm.LogInfo("plugin done")
	return true
}

func (p *pluginContext) OnQueueReady(queueID uint32) {
	for {
		data, err := proxywasm.DequeueSharedQueue(queueID)
		if err == types.ErrorStatusEmpty {
			_ = proxywasm.SetSharedData("queue-empty-status", []byte("empty"), 0)
			return
		}
		if err != nil {
			proxywasm.LogErrorf("dequeue: %v", err)
			return
		}
		p.queueDelivered.Increment(1)
		proxywasm.LogInfof("queue ready: %s", data)
		_ = proxywasm.SetSharedData("queue-last", data, 0)
	}
}

func (p *pluginContext) OnTick() {
	p.ticks.Increment(1)
	proxywasm.LogDebug("tick")
}

func (p *pluginContext) NewTcpContext(id uint32) types.TcpContext {
	return &tcpContext{plugin: p}
}

func (p *pluginContext) NewHttpContext(id uint32) types.HttpContext {
	if p.tcp {
		return nil // the SDK then creates a TCP context
	}
	return &httpContext{id: id, plugin: p}
}

type httpContext struct {
	types.DefaultHttpContext
	id     uint32
	plugin *pluginContext
	kase   string
	echo   string
}

// note adds a result header to the request.
func note(key, value string) {
	if err := proxywasm.AddHttpRequestHeader("x-conformance-"+key, value); err != nil {
		proxywasm.LogErrorf("add result header: %v", err)
	}
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func (h *httpContext) OnHttpRequestHeaders(n int, eos bool) types.Action {
	h.plugin.requests.Increment(1)
	all, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		proxywasm.LogErrorf("get headers: %v", err)
		return types.ActionContinue
	}
	for _, kv := range all {
		switch kv[0] {
		case "x-conformance-case":
			h.kase = kv[1]
		case "x-conformance-id":
			h.echo = kv[1]
		}
	}
	note("count", strconv.Itoa(len(all))+"/"+strconv.Itoa(n))
	switch h.kase {
	case "headers":
		v, err := proxywasm.GetHttpRequestHeader("X-Get")
		note("got", v+"|"+errName(err))
		_, err = proxywasm.GetHttpRequestHeader("x-missing")
		note("missing", errName(err))
		_ = proxywasm.AddHttpRequestHeader("x-added", "1")
		_ = proxywasm.ReplaceHttpRequestHeader("x-replace", "new")
		_ = proxywasm.RemoveHttpRequestHeader("x-remove")
	case "set-headers":
		all, _ := proxywasm.GetHttpRequestHeaders()
		all = append(all, [2]string{"x-set", "all"})
		note("set", errName(proxywasm.ReplaceHttpRequestHeaders(all)))
	case "properties":
		principal, err := proxywasm.GetProperty([]string{"source", "principal"})
		note("principal", string(principal)+"|"+errName(err))
		dir, err := proxywasm.GetProperty([]string{"xds", "listener_direction"})
		if len(dir) == 8 {
			note("direction", strconv.FormatUint(binary.LittleEndian.Uint64(dir), 10))
		} else {
			note("direction", "bad|"+errName(err))
		}
		path, err := proxywasm.GetProperty([]string{"request", "path"})
		note("path", string(path)+"|"+errName(err))
		m, err := proxywasm.GetPropertyMap([]string{"request", "headers"})
		note("headers-map", strconv.Itoa(len(m))+"|"+errName(err))
		err = proxywasm.SetProperty([]string{"conformance", "key"}, []byte("stored"))
		v, err2 := proxywasm.GetProperty([]string{"conformance", "key"})
		note("set-property", errName(err)+"|"+string(v)+"|"+errName(err2))
		_, err = proxywasm.GetProperty([]string{"no", "such", "thing"})
		note("unknown-property", errName(err))
	case "shared-data":
		_, _, err := proxywasm.GetSharedData("conf-k")
		note("initial", errName(err))
		note("set", errName(proxywasm.SetSharedData("conf-k", []byte("v1"), 0)))
		v, cas, err := proxywasm.GetSharedData("conf-k")
		note("get", string(v)+"|"+errName(err))
		note("cas-mismatch", errName(proxywasm.SetSharedData("conf-k", []byte("v2"), cas+1)))
		note("cas-match", errName(proxywasm.SetSharedData("conf-k", []byte("v3"), cas)))
		v, _, _ = proxywasm.GetSharedData("conf-k")
		note("final", string(v))
	case "queue":
		q, err := proxywasm.ResolveSharedQueue("", "conformance-q")
		note("resolve", errName(err))
		_, err = proxywasm.ResolveSharedQueue("", "no-such-queue")
		note("resolve-missing", errName(err))
		note("enqueue", errName(proxywasm.EnqueueSharedQueue(q, []byte("hello"))))
	case "metrics":
		h.plugin.gauge.Add(5)
		h.plugin.gauge.Add(-2)
		h.plugin.hist.Record(7)
		note("requests", strconv.FormatUint(h.plugin.requests.Value(), 10))
		note("gauge", strconv.FormatInt(h.plugin.gauge.Value(), 10))
	case "http-call":
		hdrs := [][2]string{{":method", "POST"}, {":path", "/check"}, {":authority", "authz"}}
		_, err := proxywasm.DispatchHttpCall("authz-cluster", hdrs, []byte("ping"), [][2]string{{"x-trl", "t"}}, 5000, h.onCallResponse)
		note("dispatch", errName(err))
		if err == nil {
			return types.ActionPause
		}
	case "http-call-fail":
		hdrs := [][2]string{{":method", "GET"}, {":path", "/"}, {":authority", "down"}}
		if _, err := proxywasm.DispatchHttpCall("down-cluster", hdrs, nil, nil, 5000, h.onCallResponse); err == nil {
			return types.ActionPause
		}
	case "http-call-bad":
		hdrs := [][2]string{{":method", "GET"}, {":path", "/"}, {":authority", "x"}}
		_, err := proxywasm.DispatchHttpCall("no-such-cluster", hdrs, nil, nil, 5000, h.onCallResponse)
		note("unknown-cluster", errName(err))
		_, err = proxywasm.DispatchHttpCall("authz-cluster", [][2]string{{":method", "GET"}}, nil, nil, 5000, h.onCallResponse)
		note("missing-pseudo", errName(err))
	case "route-cache":
		_, err := proxywasm.CallForeignFunction("clear_route_cache", nil)
		note("clear-route-cache", errName(err))
		_, err = proxywasm.CallForeignFunction("no_such_function", nil)
		note("unknown-foreign", errName(err))
	case "local-response":
		err := proxywasm.SendHttpResponse(403, [][2]string{{"x-local", "1"}}, []byte("denied by conformance"), -1)
		if err != nil {
			proxywasm.LogErrorf("send local response: %v", err)
		}
		return types.ActionPause
	case "logs":
		proxywasm.LogTrace("log trace")
		proxywasm.LogDebug("log debug")
		proxywasm.LogInfo("log info")
		proxywasm.LogWarn("log warn")
		proxywasm.LogError("log error")
		proxywasm.LogCritical("log critical")
		proxywasm.LogInfof("log %s %d", "formatted", 42)
	case "done":
		proxywasm.PluginDone()
	case "effective-context":
		note("own", errName(proxywasm.SetEffectiveContext(h.id)))
		note("unknown", errName(proxywasm.SetEffectiveContext(0xfffffff)))
	case "panic":
		var m map[string]int
		m["boom"]++ // assignment to a nil map: a Go panic inside the callback
	case "timer":
		// a Go runtime timer followed by a GC: the runtime then polls with poll_oneoff, which Envoy
		// 1.33–1.38 answer with NOSYS (golang/go#78513). Test fixture only; filters never do this.
		time.AfterFunc(time.Hour, func() {})
		runtime.GC()
		runtime.GC()
		note("timer", "armed")
	case "pause":
		return types.ActionPause
	}
	return types.ActionContinue
}

func (h *httpContext) onCallResponse(numHeaders, bodySize, numTrailers int) {
	hdrs, err := proxywasm.GetHttpCallResponseHeaders()
	status := ""
	for _, kv := range hdrs {
		if kv[0] == ":status" {
			status = kv[1]
		}
	}
	note("call-headers", strconv.Itoa(numHeaders)+"|"+status+"|"+errName(err))
	body, err := proxywasm.GetHttpCallResponseBody(0, bodySize)
	note("call-body", string(body)+"|"+errName(err))
	trl, err := proxywasm.GetHttpCallResponseTrailers()
	note("call-trailers", strconv.Itoa(len(trl))+"|"+errName(err))
	if err := proxywasm.ResumeHttpRequest(); err != nil {
		proxywasm.LogErrorf("resume: %v", err)
	}
}

func (h *httpContext) OnHttpRequestBody(size int, eos bool) types.Action {
	if h.kase != "body" {
		return types.ActionContinue
	}
	if !eos {
		return types.ActionPause // buffer until the end
	}
	body, err := proxywasm.GetHttpRequestBody(0, size)
	if err != nil {
		proxywasm.LogErrorf("get body: %v", err)
		return types.ActionContinue
	}
	_ = proxywasm.ReplaceHttpRequestBody([]byte(strings.ToUpper(string(body))))
	_ = proxywasm.PrependHttpRequestBody([]byte("<"))
	_ = proxywasm.AppendHttpRequestBody([]byte(">"))
	return types.ActionContinue
}

func (h *httpContext) OnHttpRequestTrailers(n int) types.Action {
	if h.kase != "trailers" {
		return types.ActionContinue
	}
	all, err := proxywasm.GetHttpRequestTrailers()
	v, err2 := proxywasm.GetHttpRequestTrailer("x-t")
	_ = proxywasm.AddHttpRequestTrailer("x-trailers-seen", strconv.Itoa(len(all))+"|"+errName(err)+"|"+v+"|"+errName(err2))
	_ = proxywasm.ReplaceHttpRequestTrailer("x-t", "replaced")
	_ = proxywasm.RemoveHttpRequestTrailer("x-drop")
	all, _ = proxywasm.GetHttpRequestTrailers()
	_ = proxywasm.ReplaceHttpRequestTrailers(append(all, [2]string{"x-set", "1"}))
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseHeaders(n int, eos bool) types.Action {
	if h.echo != "" {
		_ = proxywasm.AddHttpResponseHeader("x-conformance-echo", h.echo)
	}
	switch h.kase {
	case "headers":
		st, err := proxywasm.GetHttpResponseHeader(":status")
		_ = proxywasm.AddHttpResponseHeader("x-status-seen", st+"|"+errName(err))
		_ = proxywasm.ReplaceHttpResponseHeader("x-replace", "new")
		_ = proxywasm.RemoveHttpResponseHeader("x-remove")
		all, err := proxywasm.GetHttpResponseHeaders()
		if err == nil {
			_ = proxywasm.ReplaceHttpResponseHeaders(append(all, [2]string{"x-resp-pairs", strconv.Itoa(len(all))}))
		}
	case "local-response":
		_ = proxywasm.AddHttpResponseHeader("x-seen-by-filter", "1")
	case "pause-response":
		return types.ActionPause
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseBody(size int, eos bool) types.Action {
	if h.kase != "body" {
		return types.ActionContinue
	}
	if !eos {
		return types.ActionPause
	}
	body, err := proxywasm.GetHttpResponseBody(0, size)
	if err != nil {
		proxywasm.LogErrorf("get response body: %v", err)
		return types.ActionContinue
	}
	_ = proxywasm.ReplaceHttpResponseBody(append([]byte("resp:"), body...))
	_ = proxywasm.PrependHttpResponseBody([]byte("["))
	_ = proxywasm.AppendHttpResponseBody([]byte("]"))
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseTrailers(n int) types.Action {
	if h.kase != "trailers" {
		return types.ActionContinue
	}
	all, err := proxywasm.GetHttpResponseTrailers()
	v, err2 := proxywasm.GetHttpResponseTrailer("x-t")
	_ = proxywasm.AddHttpResponseTrailer("x-trailers-seen", strconv.Itoa(len(all))+"|"+errName(err)+"|"+v+"|"+errName(err2))
	_ = proxywasm.ReplaceHttpResponseTrailer("x-t", "replaced")
	_ = proxywasm.RemoveHttpResponseTrailer("x-drop")
	all, _ = proxywasm.GetHttpResponseTrailers()
	_ = proxywasm.ReplaceHttpResponseTrailers(append(all, [2]string{"x-set", "1"}))
	return types.ActionContinue
}

func (h *httpContext) OnHttpStreamDone() {
	h.plugin.done.Increment(1)
	if h.kase == "logs" {
		proxywasm.LogInfo("stream done")
	}
}

type tcpContext struct {
	types.DefaultTcpContext
	plugin *pluginContext
}

func (t *tcpContext) OnNewConnection() types.Action {
	t.plugin.tcpNew.Increment(1)
	proxywasm.LogInfo("tcp new connection")
	return types.ActionContinue
}

func (t *tcpContext) OnDownstreamData(size int, eos bool) types.Action {
	data, err := proxywasm.GetDownstreamData(0, size)
	if err != nil {
		proxywasm.LogErrorf("downstream data: %v", err)
		return types.ActionContinue
	}
	switch string(data) {
	case "close":
		_ = proxywasm.CloseDownstream()
		return types.ActionPause
	case "hold":
		return types.ActionPause
	}
	_ = proxywasm.ReplaceDownstreamData([]byte(strings.ToUpper(string(data))))
	_ = proxywasm.PrependDownstreamData([]byte("<"))
	_ = proxywasm.AppendDownstreamData([]byte(">"))
	return types.ActionContinue
}

func (t *tcpContext) OnUpstreamData(size int, eos bool) types.Action {
	data, err := proxywasm.GetUpstreamData(0, size)
	if err != nil {
		proxywasm.LogErrorf("upstream data: %v", err)
		return types.ActionContinue
	}
	if string(data) == "close" {
		_ = proxywasm.CloseUpstream()
		return types.ActionPause
	}
	_ = proxywasm.ReplaceUpstreamData(append([]byte("up:"), data...))
	_ = proxywasm.PrependUpstreamData([]byte("("))
	_ = proxywasm.AppendUpstreamData([]byte(")"))
	if err := proxywasm.ContinueTcpStream(); err != nil {
		proxywasm.LogErrorf("continue tcp: %v", err)
	}
	return types.ActionContinue
}

func (t *tcpContext) OnDownstreamClose(peer types.PeerType) {
	proxywasm.LogInfof("tcp downstream close peer=%d", peer)
}

func (t *tcpContext) OnUpstreamClose(peer types.PeerType) {
	proxywasm.LogInfof("tcp upstream close peer=%d", peer)
}

func (t *tcpContext) OnStreamDone() { proxywasm.LogInfo("tcp stream done") }
