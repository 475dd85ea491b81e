package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/laneway/laneway/testenv"
)

// Options are the parts of a proxy that are not configuration.
type Options struct {
	// Logger receives one decision line per request and start/stop lines; nil discards them.
	Logger *slog.Logger
	// OnDecision, when set, is called with every request's decision (from the request's
	// goroutine; it must be safe for concurrent use).
	OnDecision func(Decision)
	// Runtime hosts the VMs; nil makes a private one, closed with the proxy.
	Runtime *testenv.Runtime
	// FilterLogLevel, when set, is the level every filter VM's proxy_get_log_level reports and the
	// lowest level of the lines the filters log that are kept (Envoy's "wasm" logger level); nil
	// means info, Envoy's default level.
	FilterLogLevel *testenv.LogLevel
	// OnFilterLog, when set, receives each line a filter logs at FilterLogLevel or above as it is
	// written, from the goroutine running the filter while it holds its worker (it must not call into
	// the proxy); the VMs then keep none for FilterLogs.
	OnFilterLog func(FilterLog)
}

// FilterLog is one line a filter logged (proxy_log, or its stdout/stderr).
type FilterLog struct {
	// Listener and Filter name the chain entry.
	Listener, Filter string
	// LogPrefix is what Envoy puts after "wasm log": the VM's plugin name, root id and VM id,
	// the empty ones left out.
	LogPrefix string
	// Worker is the index of the worker whose VM logged the line.
	Worker  int
	Level   testenv.LogLevel
	Message string
}

// Stats are the proxy's counters.
type Stats struct {
	Requests, LocalReplies                          int64
	MirrorsStarted, MirrorsCompleted, MirrorsFailed int64
}

// Proxy is a running local mesh.
type Proxy struct {
	cfg       Config
	opts      Options
	log       *slog.Logger
	rt        *testenv.Runtime
	ownsRT    bool
	workers   []*worker
	listeners []*listener
	byName    map[string]*listener
	next      atomic.Uint64
	client    *http.Client
	transport *http.Transport
	mirrorWG  sync.WaitGroup
	stats     struct {
		requests, local, mStarted, mDone, mFailed atomic.Int64
	}
	// calls tracks dispatch_http_call requests in flight; stopPump ends the pump (clusters.go).
	calls     sync.WaitGroup
	stopPump  chan struct{}
	closeOnce sync.Once
	closeErr  error
	// meshSecret authenticates the identity a ztunnel listener carries to a waypoint listener.
	meshSecret string
}

// listener is one bound listener.
type listener struct {
	idx  int
	cfg  ListenerConfig
	ln   net.Listener
	srv  *http.Server
	p    *Proxy
	addr string
}

// Start loads every filter's VMs (one per worker), binds the listeners and serves them until
// Close. An error names the listener or filter that could not start.
func Start(ctx context.Context, cfg Config, opts Options) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Proxy{cfg: cfg, opts: opts, log: opts.Logger, rt: opts.Runtime, byName: map[string]*listener{}, meshSecret: newMeshSecret()}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.rt == nil {
		rt, err := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
		if err != nil {
			return nil, err
		}
		p.rt, p.ownsRT = rt, true
	}
	p.transport = &http.Transport{
		Proxy:               nil, // never an environment proxy: upstreams are on this host
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	p.client = &http.Client{
		Transport:     p.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if err := p.loadFilters(ctx); err != nil {
		_ = p.Close(ctx)
		return nil, err
	}
	for i, lc := range cfg.Listeners {
		ln, err := net.Listen("tcp", lc.Address)
		if err != nil {
			_ = p.Close(ctx)
			return nil, fmt.Errorf("listener %q: %w", lc.Name, listenError(lc.Address, err))
		}
		l := &listener{idx: i, cfg: lc, ln: ln, p: p, addr: ln.Addr().String()}
		l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelDebug)}
		l.srv.Protocols = new(http.Protocols)
		l.srv.Protocols.SetHTTP1(true)
		l.srv.Protocols.SetUnencryptedHTTP2(true)
		p.listeners = append(p.listeners, l)
		p.byName[lc.Name] = l
	}
	p.stopPump = make(chan struct{})
	go p.pump(p.stopPump)
	for _, l := range p.listeners {
		go func() { _ = l.srv.Serve(l.ln) }()
		p.log.Info("listener up", "listener", l.cfg.Name, "address", l.addr, "filters", filterNames(l.cfg.Filters), "routes", len(l.cfg.Routes))
	}
	return p, nil
}

// envoyLogPrefix names a VM in its log lines as Envoy does: plugin name, root id and VM id,
// separated by spaces, the empty ones left out.
func envoyLogPrefix(o testenv.VMOptions) string {
	var parts []string
	for _, s := range []string{o.PluginName, o.RootID, o.VMID} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func (p *Proxy) loadFilters(ctx context.Context) error {
	modules := map[string][]byte{}
	for _, l := range p.cfg.Listeners {
		for _, f := range l.Filters {
			if _, ok := modules[f.Wasm]; ok {
				continue
			}
			b, err := os.ReadFile(f.Wasm)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("listener %q filter %q: wasm %s does not exist; a relative wasm path is resolved against the config file's folder, not the current one: fix the path, or build the modules with `make build` (dist/<filter>.wasm)", l.Name, f.Name, f.Wasm)
			}
			if err != nil {
				return fmt.Errorf("listener %q filter %q: %w (build the modules with `make build`)", l.Name, f.Name, err)
			}
			modules[f.Wasm] = b
		}
	}
	handlers := p.clusterHandlers()
	for wi := range p.cfg.Workers {
		w := &worker{chains: make([][]*slot, len(p.cfg.Listeners))}
		p.workers = append(p.workers, w)
		for li, l := range p.cfg.Listeners {
			for _, f := range l.Filters {
				opts := newVMOptions(p.cfg, l, f)
				if p.opts.FilterLogLevel != nil {
					opts.LogLevel = *p.opts.FilterLogLevel
				}
				if sink := p.opts.OnFilterLog; sink != nil {
					listener, filter, prefix := l.Name, f.Name, envoyLogPrefix(opts)
					opts.OnLog = func(e testenv.LogEntry) {
						sink(FilterLog{Listener: listener, Filter: filter, LogPrefix: prefix, Worker: wi, Level: e.Level, Message: e.Message})
					}
				}
				s := &slot{cfg: f, wasm: modules[f.Wasm], opts: opts}
				s.opts.AsyncHTTPCallHandlers = handlers
				if err := s.load(ctx, p.rt); err != nil {
					return fmt.Errorf("listener %q: %w", l.Name, err)
				}
				w.chains[li] = append(w.chains[li], s)
			}
		}
	}
	return nil
}

// Addr returns the bound address of the named listener ("" when there is none).
func (p *Proxy) Addr(listener string) string {
	if l, ok := p.byName[listener]; ok {
		return l.addr
	}
	return ""
}

// Stats returns the current counters.
func (p *Proxy) Stats() Stats {
	return Stats{
		Requests: p.stats.requests.Load(), LocalReplies: p.stats.local.Load(),
		MirrorsStarted: p.stats.mStarted.Load(), MirrorsCompleted: p.stats.mDone.Load(), MirrorsFailed: p.stats.mFailed.Load(),
	}
}

// Metric returns a metric the filters defined. Like Envoy's stats store, metrics are keyed by
// name across every VM of the proxy's Runtime (all listeners and workers, and other proxies
// sharing the Runtime), so a counter two filters define is one counter.
func (p *Proxy) Metric(name string) (testenv.Metric, bool) {
	for _, w := range p.workers {
		w.mu.Lock()
		for _, chain := range w.chains {
			for _, s := range chain {
				if s.vm != nil {
					m, ok := s.vm.Metric(name)
					w.mu.Unlock()
					return m, ok
				}
			}
		}
		w.mu.Unlock()
	}
	return testenv.Metric{}, false
}

// Counter returns the value of the named counter, 0 when no filter defined it.
func (p *Proxy) Counter(name string) int64 {
	m, _ := p.Metric(name)
	return m.Value
}

// FilterLogs returns the log lines every VM of the named listener's filter recorded, for
// diagnosis (it briefly locks each worker); none when Options.OnFilterLog takes them.
func (p *Proxy) FilterLogs(listener, filter string) []testenv.LogEntry {
	l, ok := p.byName[listener]
	if !ok {
		return nil
	}
	var out []testenv.LogEntry
	for _, w := range p.workers {
		w.mu.Lock()
		for _, s := range w.chains[l.idx] {
			if s.cfg.Name == filter {
				out = append(out, s.vm.Logs()...)
			}
		}
		w.mu.Unlock()
	}
	return out
}

// Close stops the listeners, waits (bounded by ctx) for in-flight requests and mirrors, and
// releases the VMs.
func (p *Proxy) Close(ctx context.Context) error {
	p.closeOnce.Do(func() {
		if p.stopPump != nil {
			close(p.stopPump)
		}
		var errs []error
		for _, l := range p.listeners {
			if err := l.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				errs = append(errs, err)
			}
			_ = l.srv.Close()
		}
		done := make(chan struct{})
		go func() { p.mirrorWG.Wait(); p.calls.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
		if p.transport != nil {
			p.transport.CloseIdleConnections()
		}
		for _, w := range p.workers {
			w.mu.Lock()
			for _, chain := range w.chains {
				for _, s := range chain {
					if s.vm != nil {
						_ = s.vm.Close(ctx)
					}
				}
			}
			w.mu.Unlock()
		}
		if p.ownsRT {
			errs = append(errs, p.rt.Close(ctx))
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// resolve turns a route or mirror upstream into a dialable address.
func (p *Proxy) resolve(up string) string {
	if name, ok := strings.CutPrefix(up, ListenerPrefix); ok {
		return p.byName[name].addr
	}
	return up
}

// hopByHop headers are never passed to filters nor forwarded (RFC 9110 §7.6.1).
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true,
	"upgrade": true, "te": true, "trailer": true, "proxy-authenticate": true, "proxy-authorization": true,
	"http2-settings": true,
}

// ServeHTTP handles one downstream request the way an Envoy listener with an HTTP
// connection manager does: filters, route, mirrors, upstream, filters in reverse.
func (l *listener) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	p := l.p
	start := time.Now()
	p.stats.requests.Add(1)
	d := Decision{Listener: l.cfg.Name, Method: r.Method, Authority: r.Host, Path: r.URL.RequestURI()}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(p.cfg.MaxBodyBytes)+1))
	if err != nil {
		http.Error(rw, "laneway local mesh: reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > p.cfg.MaxBodyBytes {
		d.Status, d.LocalReply = http.StatusRequestEntityTooLarge, "proxy: request_payload_too_large"
		http.Error(rw, "laneway local mesh: request body larger than maxBodyBytes", http.StatusRequestEntityTooLarge)
		p.finish(&d, start)
		return
	}
	peer := l.takePeer(r)
	d.Peer = peer
	req := message{headers: requestHeaders(r, len(body)), body: body}
	d.RequestID, _ = req.headers.Get("x-request-id")
	if tp, ok := req.headers.Get("traceparent"); ok {
		d.TraceID = traceID(tp)
	}

	w := p.workers[int(p.next.Add(1)-1)%len(p.workers)]
	run := &chainRun{w: w, peer: peer}
	w.mu.Lock()
	run.slots = w.chains[l.idx]
	run.streams = make([]*testenv.HTTPStream, len(run.slots))
	req, local := run.request(r.Context(), p.rt, req)
	w.mu.Unlock()
	d.Tenant, _ = req.headers.Get(p.cfg.TenantHeader)
	d.Shadow = isShadow(req.headers)
	d.Synthetic = hasAny(req.headers, "x-laneway-synthetic")

	var resp message
	from := len(run.slots)
	switch {
	case local != nil:
		from = run.reached - 1
		resp = local.msg
	default:
		idx := selectRoute(l.cfg.Routes, req.headers)
		if idx < 0 {
			local = textReply("", http.StatusNotFound, "route_not_found", "")
			resp = local.msg
			break
		}
		route := &l.cfg.Routes[idx]
		d.Route, d.Upstream = route.Name, route.Upstream
		for _, m := range route.Mirrors {
			if m.Percentage >= 100 || rand.Float64()*100 < m.Percentage {
				d.Mirrors = append(d.Mirrors, m.Upstream)
				p.mirror(m, req)
			}
		}
		fwd := req
		if l.cfg.Identity != "" && strings.HasPrefix(route.Upstream, ListenerPrefix) {
			fwd.headers = setHeader(req.headers, peerCarrierHeader, p.meshSecret+" "+l.cfg.Identity)
		}
		resp, local = p.forward(r.Context(), p.resolve(route.Upstream), fwd)
	}

	w.mu.Lock()
	resp, late := run.response(from, resp)
	run.complete()
	w.mu.Unlock()
	if late != nil {
		local = late
	}
	if local != nil {
		p.stats.local.Add(1)
		d.LocalReply = local.details
		if local.filter != "" {
			d.LocalReply = local.filter + ": " + local.details
		}
	}
	d.FailedOpen = run.failedOpen
	d.Status = writeResponse(rw, resp)
	p.finish(&d, start)
}

// forward sends the filtered request to addr and returns the upstream response, or the local
// reply Envoy's router would give (503 on connection failure, 504 on timeout).
func (p *Proxy) forward(ctx context.Context, addr string, m message) (message, *localReply) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.UpstreamTimeout)
	defer cancel()
	req, err := upstreamRequest(ctx, addr, m)
	if err != nil {
		return message{}, textReply("", http.StatusBadRequest, "invalid_request_after_filters", "laneway local mesh: "+err.Error()+"\n")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			lr := textReply("", http.StatusGatewayTimeout, "upstream_response_timeout", "upstream request timeout")
			return lr.msg, lr
		}
		lr := textReply("", http.StatusServiceUnavailable, "upstream_reset_before_response_started", "upstream connect error or disconnect/reset before headers. reset reason: connection failure")
		return lr.msg, lr
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(p.cfg.MaxBodyBytes)+1))
	if err != nil || len(body) > p.cfg.MaxBodyBytes {
		lr := textReply("", http.StatusBadGateway, "upstream_response_too_large_or_reset", "laneway local mesh: upstream response unreadable or larger than maxBodyBytes\n")
		return lr.msg, lr
	}
	return message{headers: responseHeaders(resp, len(body)), body: body}, nil
}

// mirror sends a copy of m to the mirror's upstream on its own goroutine with its own
// timeout; the response is discarded and nobody waits for it but Close.
func (p *Proxy) mirror(mc MirrorConfig, m message) {
	h := m.headers.Clone()
	if !mc.DisableShadowHostSuffix {
		for i := range h {
			if h[i].Key == ":authority" {
				h[i].Value = ShadowAuthority(h[i].Value)
			}
		}
	}
	h = setHeader(h, "x-envoy-internal", "true")
	cp := message{headers: h, body: m.body}
	addr := p.resolve(mc.Upstream)
	p.stats.mStarted.Add(1)
	p.mirrorWG.Add(1)
	go func() {
		defer p.mirrorWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.MirrorTimeout)
		defer cancel()
		req, err := upstreamRequest(ctx, addr, cp)
		if err == nil {
			var resp *http.Response
			if resp, err = p.client.Do(req); err == nil {
				_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, int64(p.cfg.MaxBodyBytes)))
				resp.Body.Close()
			}
		}
		if err != nil {
			p.stats.mFailed.Add(1)
			p.log.Debug("mirror failed", "upstream", mc.Upstream, "error", err)
			return
		}
		p.stats.mDone.Add(1)
	}()
}

func (p *Proxy) finish(d *Decision, start time.Time) {
	d.Duration = time.Since(start)
	p.log.LogAttrs(context.Background(), slog.LevelInfo, "request", d.attrs()...)
	if p.opts.OnDecision != nil {
		p.opts.OnDecision(*d)
	}
}

// requestHeaders builds the header map Envoy hands to filters: pseudo-headers first, then the
// request's headers lower-cased and sorted, without hop-by-hop headers; Envoy's connection
// manager adds x-request-id and x-forwarded-proto first.
func requestHeaders(r *http.Request, bodyLen int) testenv.Headers {
	path := r.URL.RequestURI()
	if r.URL.Opaque == "" && r.URL.Path == "" {
		path = "/"
	}
	h := testenv.Headers{
		{Key: ":authority", Value: r.Host},
		{Key: ":path", Value: path},
		{Key: ":method", Value: r.Method},
		{Key: ":scheme", Value: "http"},
	}
	h = appendHeaders(h, r.Header)
	if bodyLen > 0 {
		h = append(h, testenv.Header{Key: "content-length", Value: strconv.Itoa(bodyLen)})
	}
	if _, ok := h.Get("x-forwarded-proto"); !ok {
		h = append(h, testenv.Header{Key: "x-forwarded-proto", Value: "http"})
	}
	if _, ok := h.Get("x-request-id"); !ok {
		h = append(h, testenv.Header{Key: "x-request-id", Value: requestID()})
	}
	return h
}

func responseHeaders(resp *http.Response, bodyLen int) testenv.Headers {
	h := testenv.Headers{{Key: ":status", Value: strconv.Itoa(resp.StatusCode)}}
	h = appendHeaders(h, resp.Header)
	return append(h, testenv.Header{Key: "content-length", Value: strconv.Itoa(bodyLen)})
}

func appendHeaders(h testenv.Headers, src http.Header) testenv.Headers {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if hopByHop[lk] || lk == "content-length" || lk == "host" {
			continue
		}
		for _, v := range src[k] {
			h = append(h, testenv.Header{Key: lk, Value: v})
		}
	}
	return h
}

// upstreamRequest maps a filtered message back onto an HTTP request to addr: :authority
// becomes Host, :path the request target, :method the method.
func upstreamRequest(ctx context.Context, addr string, m message) (*http.Request, error) {
	authority, _ := m.headers.Get(":authority")
	path, _ := m.headers.Get(":path")
	method, _ := m.headers.Get(":method")
	if method == "" || path == "" || path[0] != '/' {
		return nil, fmt.Errorf("the filters left :method %q and :path %q; want a method and a path starting with /", method, path)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Host = authority
	for _, kv := range m.headers {
		if strings.HasPrefix(kv.Key, ":") || hopByHop[kv.Key] || kv.Key == "content-length" || kv.Key == "host" {
			continue
		}
		req.Header.Add(kv.Key, kv.Value)
	}
	if len(m.body) > 0 {
		req.Body = io.NopCloser(strings.NewReader(string(m.body)))
		req.ContentLength = int64(len(m.body))
		body := m.body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(body))), nil }
	}
	return req, nil
}

// writeResponse writes m downstream and returns the status sent.
func writeResponse(rw http.ResponseWriter, m message) int {
	status := http.StatusBadGateway
	if s, ok := m.headers.Get(":status"); ok {
		if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 999 {
			status = n
		}
	}
	out := rw.Header()
	for _, kv := range m.headers {
		if strings.HasPrefix(kv.Key, ":") || hopByHop[kv.Key] || kv.Key == "content-length" {
			continue
		}
		out.Add(kv.Key, kv.Value)
	}
	out.Set("Content-Length", strconv.Itoa(len(m.body)))
	rw.WriteHeader(status)
	_, _ = rw.Write(m.body)
	return status
}

func setHeader(h testenv.Headers, key, value string) testenv.Headers {
	out := h[:0:0]
	for _, kv := range h {
		if kv.Key != key {
			out = append(out, kv)
		}
	}
	return append(out, testenv.Header{Key: key, Value: value})
}

func hasAny(h testenv.Headers, key string) bool {
	_, ok := h.Get(key)
	return ok
}

// isShadow reports whether a request is a shadow copy: the -shadow host suffix Envoy adds, or
// laneway's shadow marker.
func isShadow(h testenv.Headers) bool {
	a, _ := h.Get(":authority")
	host := a
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host = a[:i]
	}
	return strings.HasSuffix(host, "-shadow") || hasAny(h, "x-laneway-shadow")
}

func requestID() string {
	const hexd = "0123456789abcdef"
	var b [32]byte
	for i := range b {
		b[i] = hexd[rand.IntN(16)]
	}
	return string(b[:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:])
}

func filterNames(fs []FilterConfig) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ",")
}

// listenError explains why a listener could not bind its address, with the fix for each cause.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("address %s is not local to this machine (no network interface has that IP): %w; listen on 127.0.0.1:PORT, or on an IP this machine has", addr, err)
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("address %s is in use by another process: %w; pick a free port, or port 0 for any", addr, err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("address %s needs privileges this process lacks (ports below 1024 usually do): %w; pick a port above 1023, or port 0 for any", addr, err)
	}
	return fmt.Errorf("cannot listen on %s: %w; check the address", addr, err)
}
