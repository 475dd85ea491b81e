// Package scenariotest is the one runner of filter scenarios in the Wasm legs: a host-neutral Case (plugin
// configuration, host attributes, request, optional response) run on a Leg, which reports what the host
// observed as a Result (forwarded headers or the local reply, counter changes, logs, route-cache clears).
// Each filter's tests keep their own scenario table and their own check of a Result; the legs are:
//
//   - WasmLegs: the filter's own module, dist/<filter>.wasm, under both Envoy generations' profiles;
//   - CombinedLegs: the combined module, dist/laneway.wasm, with only that filter's role configured
//     ({"<filter>": <config>}) under both profiles; the same table must give the same outcomes and headers;
//   - WasmLeg: one module under one profile (the combined module's own cross-role table uses it);
//   - GoLeg: a filter's VM context natively under proxytest (goleg.go).
//
// Only tests import this package (it links package testing).
package scenariotest

import (
	"context"
	"strings"
	"testing"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// CombinedModule is the name of the combined module (filters/laneway).
const CombinedModule = "laneway"

// Case is one request through a freshly configured plugin.
type Case struct {
	// Config is the filter's plugin configuration JSON (a combined leg puts it under the filter's key).
	Config string
	// Properties are host attributes by path (see testenv.VMOptions.Properties); nil for none.
	Properties map[string][]byte
	// Request is the request headers in wire order.
	Request [][2]string
	// EndOfStream: the request has no body (the headers end the stream).
	EndOfStream bool
	// Response, when set, gives the upstream's response headers for the request as forwarded; it is not
	// called when the request was answered locally.
	Response func(upstream [][2]string) [][2]string
	// Counters are the metric names whose change the Result reports.
	Counters []string
}

// Result is what a host observed for one Case.
type Result struct {
	// Action is what the request-headers callback returned.
	Action testenv.Action
	// Upstream is the request headers as forwarded (the headers after the filter; also set when answered
	// locally, as the filter left them).
	Upstream [][2]string
	// Local is the local reply, nil when the request went on.
	Local *Local
	// ResponseAction is what the response-headers callback returned (when Case.Response was called).
	ResponseAction testenv.Action
	// Counters maps each of Case.Counters to its change during the request (0 for an undefined metric).
	Counters map[string]int64
	// Undefined lists the Case.Counters the host had not defined after the request, in Case order.
	Undefined []string
	// Debug, Warn, Error and Critical are the log lines at those levels, start-up included.
	Debug, Warn, Error, Critical []string
	// RouteCacheClears counts clear_route_cache calls; HeaderRouteCacheClears the header changes that make
	// Envoy (ABI <= 0.2.1) clear it too.
	RouteCacheClears, HeaderRouteCacheClears int
}

// Local is a local reply.
type Local struct {
	Status  uint32
	Headers [][2]string
	Body    string
}

// Leg runs Cases on one host.
type Leg struct {
	// Name names the leg in subtest names, e.g. "laneway/envoy-1.33".
	Name string
	// Go: the leg runs the filter natively under proxytest (GoLeg), which has no header route clears
	// (HeaderRouteCacheClears is always 0) and replaces only the first copy of a header.
	Go  bool
	run func(tb testing.TB, c Case) Result
}

// Run runs c on the leg; it fails the test when the module cannot be loaded or traps.
func (l Leg) Run(tb testing.TB, c Case) Result {
	tb.Helper()
	return l.run(tb, c)
}

// Profiles are the Envoy generations every Wasm leg runs under.
var Profiles = []testenv.Profile{testenv.Envoy133, testenv.Envoy139}

// ProfileName names a profile in leg names: envoy-1.33 or envoy-1.39.
func ProfileName(p testenv.Profile) string {
	if p == testenv.Envoy133 {
		return "envoy-1.33"
	}
	return "envoy-1.39"
}

// WasmLegs returns the legs running dist/<module>.wasm under each profile. A missing module fails the test
// (testenvtest.DistModule): run `make build`.
func WasmLegs(tb testing.TB, module string) []Leg {
	tb.Helper()
	return legs(tb, module, module, nil)
}

// CombinedLegs returns the legs running dist/laneway.wasm with only role configured, under each profile:
// a Case's Config becomes {"<role>": Config} ({} when Config is empty).
func CombinedLegs(tb testing.TB, role string) []Leg {
	tb.Helper()
	return legs(tb, CombinedModule, CombinedModule+"["+role+"]", func(cfg string) string { return Combine(role, cfg) })
}

// Combine returns the combined module's configuration with only role configured by cfg ({} when empty).
func Combine(role, cfg string) string {
	if strings.TrimSpace(cfg) == "" {
		cfg = "{}"
	}
	return `{"` + role + `":` + cfg + `}`
}

func legs(tb testing.TB, module, name string, config func(string) string) []Leg {
	wasm := testenvtest.DistModule(tb, module)
	rt := testenvtest.Runtime(tb)
	out := make([]Leg, 0, len(Profiles))
	for _, p := range Profiles {
		out = append(out, WasmLeg(name, rt, wasm, p, config))
	}
	return out
}

// WasmLeg returns the leg running wasm in rt under profile p, named name/<profile>; config turns a Case's
// Config into the plugin configuration (nil: as is).
func WasmLeg(name string, rt *testenv.Runtime, wasm []byte, p testenv.Profile, config func(string) string) Leg {
	return Leg{Name: name + "/" + ProfileName(p), run: func(tb testing.TB, c Case) Result {
		tb.Helper()
		if config != nil {
			c.Config = config(c.Config)
		}
		return Run(tb, rt, wasm, p, c)
	}}
}

// Run runs c on a fresh VM of wasm in rt under profile p. Counters are reported as changes: metrics are
// shared by every VM of a runtime, as in one Envoy.
func Run(tb testing.TB, rt *testenv.Runtime, wasm []byte, p testenv.Profile, c Case) Result {
	tb.Helper()
	ctx := context.Background()
	vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{Profile: p, PluginConfig: []byte(c.Config), Properties: c.Properties})
	if err != nil {
		tb.Fatalf("scenariotest: loading the module with config %s: %v", c.Config, err)
	}
	defer func() { _ = vm.Close(ctx) }()
	before := make(map[string]int64, len(c.Counters))
	for _, n := range c.Counters {
		before[n] = metric(vm, n)
	}
	s := vm.NewHTTPStream()
	var r Result
	r.Action = s.RequestHeaders(testenv.HeadersOf(c.Request), c.EndOfStream)
	r.Upstream = s.Request().Headers.Pairs()
	if lr := s.LocalResponse(); lr != nil {
		r.Local = &Local{Status: lr.StatusCode, Headers: lr.Headers.Pairs(), Body: string(lr.Body)}
	} else if c.Response != nil {
		r.ResponseAction = s.ResponseHeaders(testenv.HeadersOf(c.Response(r.Upstream)), true)
	}
	s.Complete()
	if err := vm.Err(); err != nil {
		tb.Fatalf("scenariotest: the module trapped: %v", err)
	}
	r.RouteCacheClears, r.HeaderRouteCacheClears = s.RouteCacheClears(), s.HeaderRouteCacheClears()
	r.Counters = make(map[string]int64, len(c.Counters))
	for _, n := range c.Counters {
		if _, ok := vm.Metric(n); !ok {
			r.Undefined = append(r.Undefined, n)
		}
		r.Counters[n] = metric(vm, n) - before[n]
	}
	r.Debug = vm.LogsAt(testenv.LogDebug)
	r.Warn, r.Error, r.Critical = vm.LogsAt(testenv.LogWarn), vm.LogsAt(testenv.LogError), vm.LogsAt(testenv.LogCritical)
	return r
}

func metric(vm *testenv.VM, name string) int64 {
	m, ok := vm.Metric(name)
	if !ok {
		return 0
	}
	return m.Value
}

// Values returns the values of header name (ASCII case-insensitive) in pairs, in order.
func Values(pairs [][2]string, name string) []string {
	var out []string
	for _, p := range pairs {
		if strings.EqualFold(p[0], name) {
			out = append(out, p[1])
		}
	}
	return out
}
