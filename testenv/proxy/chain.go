package proxy

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/laneway/laneway/testenv"
)

// worker is one Envoy worker: it owns one VM per filter of every listener. A VM is not safe
// for concurrent use, so every callback on the worker's VMs runs under mu.
type worker struct {
	mu     sync.Mutex
	chains [][]*slot // per listener, per filter
}

// slot is one filter's VM on one worker.
type slot struct {
	cfg  FilterConfig
	wasm []byte
	opts testenv.VMOptions
	vm   *testenv.VM
	// reloads counts VMs replaced after a failure (FAIL_RELOAD).
	reloads int
	// lastTick is when the pump last fired the VM's tick (clusters.go).
	lastTick time.Time
}

// message is a request or response as filters see it.
type message struct {
	headers testenv.Headers
	body    []byte
}

// localReply is a response the proxy or a filter produced instead of the upstream's.
type localReply struct {
	filter  string // "" when the proxy itself answered
	details string
	msg     message
}

// chainRun is one stream's passage through a listener's filter chain on one worker.
type chainRun struct {
	w       *worker
	slots   []*slot
	streams []*testenv.HTTPStream // nil for a filter skipped (failed open)
	// reached is how many filters saw the request (a local reply stops the chain early).
	reached    int
	failedOpen []string
	// peer is the caller identity a waypoint's filters see as filter state ("" = none).
	peer string
}

func newVMOptions(cfg Config, l ListenerConfig, f FilterConfig) testenv.VMOptions {
	o := testenv.VMOptions{
		Profile:      testenv.Envoy139,
		PluginConfig: f.PluginConfig,
		VMID:         f.Name,
		PluginName:   f.Name,
		LogLevel:     testenv.LogInfo,
		Properties:   map[string][]byte{},
	}
	if cfg.Profile == "envoy133" {
		o.Profile = testenv.Envoy133
	}
	switch l.Direction {
	case "inbound":
		o.Properties["xds.listener_direction"] = testenv.IntValue(1)
	case "outbound":
		o.Properties["xds.listener_direction"] = testenv.IntValue(2)
	}
	for k, v := range l.Properties {
		o.Properties[k] = testenv.StringValue(v)
	}
	o.Properties["xds.listener_name"] = testenv.StringValue(l.Name)
	return o
}

// load starts the slot's VM.
func (s *slot) load(ctx context.Context, rt *testenv.Runtime) error {
	vm, err := rt.LoadVM(ctx, s.wasm, s.opts)
	if err != nil {
		return fmt.Errorf("filter %q (%s): %w", s.cfg.Name, s.cfg.Wasm, err)
	}
	s.vm = vm
	return nil
}

// request runs the request path: each filter in config order, stopping at a local reply.
// Callers hold w.mu.
func (c *chainRun) request(ctx context.Context, rt *testenv.Runtime, m message) (message, *localReply) {
	for i, s := range c.slots {
		c.reached = i + 1
		if s.vm.Err() != nil {
			switch s.cfg.FailStrategy {
			case FailOpen:
				c.failedOpen = append(c.failedOpen, s.cfg.Name)
				continue
			case FailReload:
				_ = s.vm.Close(ctx)
				if err := s.load(ctx, rt); err != nil {
					return m, failReply(s.cfg.Name, "wasm_fail_stream")
				}
				s.reloads++
			default:
				return m, failReply(s.cfg.Name, "wasm_fail_stream")
			}
		}
		st := s.vm.NewHTTPStream()
		if c.peer != "" {
			st.SetProperty(PeerPrincipalProperty, []byte(c.peer))
		}
		c.streams[i] = st
		st.RequestHeaders(m.headers, len(m.body) == 0)
		if len(m.body) > 0 && st.LocalResponse() == nil {
			st.RequestBody(m.body, true)
		}
		if st.Err() != nil {
			if s.cfg.FailStrategy == FailOpen {
				c.streams[i] = nil
				c.failedOpen = append(c.failedOpen, s.cfg.Name)
				continue
			}
			return m, failReply(s.cfg.Name, "wasm_fail_stream")
		}
		if lr := st.LocalResponse(); lr != nil {
			out := st.Response()
			return m, &localReply{filter: s.cfg.Name, details: lr.Details, msg: message{headers: out.Headers.Clone(), body: append([]byte(nil), out.Body...)}}
		}
		if st.RequestPaused() {
			// Envoy would hold the request until the filter continues it or the stream times out.
			return m, textReply(s.cfg.Name, 500, "filter_paused_request", "laneway local mesh: filter "+s.cfg.Name+" paused the request and never continued it\n")
		}
		out := st.Request()
		m = message{headers: out.Headers.Clone(), body: append([]byte(nil), out.Body...)}
	}
	return m, nil
}

// response runs the response path in reverse order over the filters that saw the request,
// starting below `from` (the filter that sent a local reply sees its own reply already).
// A local reply sent from a response callback replaces the response. Callers hold w.mu.
func (c *chainRun) response(from int, m message) (message, *localReply) {
	var last *localReply
	for i := from - 1; i >= 0; i-- {
		st := c.streams[i]
		if st == nil {
			continue
		}
		s := c.slots[i]
		st.ResponseHeaders(m.headers, len(m.body) == 0)
		if len(m.body) > 0 && st.LocalResponse() == nil {
			st.ResponseBody(m.body, true)
		}
		switch {
		case st.Err() != nil && s.cfg.FailStrategy == FailOpen:
			c.failedOpen = append(c.failedOpen, s.cfg.Name)
			continue
		case st.Err() != nil:
			last = failReply(s.cfg.Name, "wasm_fail_stream")
			m = last.msg
		case st.LocalResponse() != nil:
			lr := st.LocalResponse()
			last = &localReply{filter: s.cfg.Name, details: lr.Details, msg: localMessage(lr)}
			m = last.msg
		case st.ResponsePaused():
			last = textReply(s.cfg.Name, 500, "filter_paused_response", "laneway local mesh: filter "+s.cfg.Name+" paused the response and never continued it\n")
			m = last.msg
		default:
			out := st.Response()
			m = message{headers: out.Headers.Clone(), body: append([]byte(nil), out.Body...)}
		}
	}
	return m, last
}

// complete ends every stream (proxy_on_log, proxy_on_done, proxy_on_delete). Callers hold w.mu.
func (c *chainRun) complete() {
	for _, st := range c.streams {
		if st != nil {
			st.Complete()
		}
	}
}

func localMessage(lr *testenv.LocalResponse) message {
	h := testenv.Headers{{Key: ":status", Value: strconv.Itoa(int(lr.StatusCode))}}
	for _, kv := range lr.Headers {
		h = append(h, testenv.Header{Key: lowerASCII(kv.Key), Value: kv.Value})
	}
	return message{headers: h, body: append([]byte(nil), lr.Body...)}
}

func failReply(filter, details string) *localReply {
	return textReply(filter, 503, details, "laneway local mesh: filter "+filter+" failed (Envoy answers 503 for a failed Wasm VM unless failStrategy is FAIL_OPEN)\n")
}

func textReply(filter string, status int, details, body string) *localReply {
	return &localReply{filter: filter, details: details, msg: message{
		headers: testenv.Headers{
			{Key: ":status", Value: strconv.Itoa(status)},
			{Key: "content-type", Value: "text/plain"},
			{Key: "content-length", Value: strconv.Itoa(len(body))},
		},
		body: []byte(body),
	}}
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
