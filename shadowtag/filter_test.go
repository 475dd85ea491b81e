package shadowtag

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// directionProperty is the listener direction (1 inbound, 2 outbound) in Envoy >= 1.33.
var directionProperty = []string{"xds", "listener_direction"}

func directionBytes(d int64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(d))
	return b
}

// newHost starts a plugin with config under proxytest (released at the end of t),
// with clear_route_cache registered; it counts the route-cache clears.
func newHost(t testing.TB, config string, direction int64) (proxytest.HostEmulator, *int) {
	host, clears, reset := startHost(t, config, direction)
	t.Cleanup(reset)
	return host, clears
}

// startHost is newHost with an explicit release (proxytest allows one host at a time).
func startHost(t testing.TB, config string, direction int64) (proxytest.HostEmulator, *int, func()) {
	opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).WithPluginConfiguration([]byte(config))
	if direction != 0 {
		opt = opt.WithProperty(directionProperty, directionBytes(direction))
	}
	host, reset := proxytest.NewHostEmulator(opt)
	clears := new(int)
	host.RegisterForeignFunction("clear_route_cache", func([]byte) []byte { *clears++; return []byte{0} })
	if host.StartPlugin() != types.OnPluginStartStatusOK {
		reset()
		require.FailNow(t, "plugin did not start", "critical logs: %v", host.GetCriticalLogs())
	}
	return host, clears, reset
}

func counter(t testing.TB, host proxytest.HostEmulator, name string) uint64 {
	v, err := host.GetCounterMetric(MetricPrefix + name + "_total")
	require.NoError(t, err)
	return v
}

// headerValues returns every value of name in h.
func headerValues(h [][2]string, name string) []string {
	var out []string
	for _, p := range h {
		if p[0] == name {
			out = append(out, p[1])
		}
	}
	return out
}

func TestBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	for _, tc := range []struct{ name, config, field string }{
		{"an unknown top-level field", `{"mode":"inbound","mirror":true}`, `"mirror"`},
		{"a wrong action", `{"mode":"outbound","outbound":{"action":"drop"}}`, `"outbound.action"`},
		{"a document that is not an object", `["inbound"]`, `(document)`},
		{"an unknown mode", `{"mode":"sideways"}`, `"mode"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).WithPluginConfiguration([]byte(tc.config))
			host, reset := proxytest.NewHostEmulator(opt)
			defer reset()
			require.Equal(t, types.OnPluginStartStatusFailed, host.StartPlugin())
			logs := host.GetCriticalLogs()
			require.Len(t, logs, 1)
			assert.Contains(t, logs[0], tc.field)
		})
	}
}

func TestPluginStartLogsTheSummaryOnce(t *testing.T) {
	host, _ := newHost(t, `{"mode":"outbound","outbound":{"allow":["audit"]}}`, 0)
	logs := host.GetInfoLogs()
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "mode=outbound")
	assert.Contains(t, logs[0], "allow=[audit]")
}

func TestAutoModeReadsTheListenerDirectionOnceAtStart(t *testing.T) {
	host, _ := newHost(t, `{"mode":"auto"}`, 2)
	assert.Contains(t, host.GetInfoLogs()[0], "shadowtag: mode=auto detect=")
	assert.Contains(t, host.GetInfoLogs()[0], "(mode auto: outbound, taken from xds.listener_direction=2)")
	for i := 0; i < 3; i++ {
		id := host.InitializeHttpContext()
		assert.Equal(t, types.ActionPause, host.CallOnRequestHeaders(id, req("POST", "payments", MarkerHeader, "1"), false))
	}
	assert.Equal(t, uint64(3), counter(t, host, "suppressed"))
	assert.Empty(t, host.GetWarnLogs())
}

// An empty config starts the filter (Istio's FAIL_OPEN would otherwise run a filter that does nothing) and
// takes inbound or outbound from the listener; the start-up line says which mode and why.
func TestEmptyConfigStartsAndSaysWhichModeTheListenerGave(t *testing.T) {
	for _, tc := range []struct {
		config    string
		direction int64
		log       string
	}{
		{`{}`, 1, "(mode not set: inbound, taken from xds.listener_direction=1)"},
		{``, 2, "(mode not set: outbound, taken from xds.listener_direction=2)"},
		{`{"detect":{"shadowWorkload":true}}`, 2, "(mode not set: outbound, taken from xds.listener_direction=2)"},
	} {
		host, _, reset := startHost(t, tc.config, tc.direction)
		logs := host.GetInfoLogs()
		require.Len(t, logs, 1, tc.config)
		assert.True(t, strings.HasPrefix(logs[0], "shadowtag: mode=auto (not set) detect=["), logs[0])
		assert.True(t, strings.HasSuffix(logs[0], tc.log), logs[0])
		reset()
	}
}

func TestAutoModeWithoutDirectionWarnsOncePerPluginNotPerRequest(t *testing.T) {
	host, _ := newHost(t, `{"mode":"auto"}`, 0)
	for i := 0; i < 3; i++ {
		id := host.InitializeHttpContext()
		assert.Equal(t, types.ActionContinue, host.CallOnRequestHeaders(id, req("POST", "payments", MarkerHeader, "1"), false))
	}
	assert.Len(t, host.GetWarnLogs(), 1)
	assert.Equal(t, "shadowtag: mode auto: the host does not tell xds.listener_direction; requests pass unchanged; set mode to inbound or outbound", host.GetWarnLogs()[0])
	assert.Equal(t, uint64(3), counter(t, host, "passed"))
}

func TestRerouteRemembersAHostWithoutClearRouteCache(t *testing.T) {
	calls := 0
	t.Cleanup(proxyhost.SwapForeignCall(func(string, []byte) ([]byte, error) { calls++; return nil, types.ErrorStatusNotFound }))
	host, _ := newHost(t, `{"mode":"outbound","outbound":{"action":"reroute"}}`, 0)
	for i := 0; i < 3; i++ {
		id := host.InitializeHttpContext()
		assert.Equal(t, types.ActionContinue, host.CallOnRequestHeaders(id, req("POST", "payments", MarkerHeader, "1"), false))
		assert.Equal(t, []string{"test-double"}, headerValues(host.GetCurrentRequestHeaders(id), "x-laneway-shadow-route"))
	}
	assert.Equal(t, 1, calls, "clear_route_cache is asked once, then remembered absent")
	assert.Equal(t, uint64(3), counter(t, host, "rerouted"))
}

func TestCountersAddUpToTheRequestsSeen(t *testing.T) {
	host, _ := newHost(t, `{"mode":"outbound","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`, 0)
	reqs := [][][2]string{
		req("POST", "payments", "x-mirror", "1"),
		req("GET", "payments", "x-mirror", "1"),
		req("POST", "payments"),
		req("DELETE", "payments", MarkerHeader, "1"),
	}
	for _, h := range reqs {
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, h, false)
		host.CompleteHttpContext(id)
	}
	assert.Equal(t, uint64(3), counter(t, host, "detected"))
	assert.Equal(t, uint64(2), counter(t, host, "suppressed"))
	assert.Equal(t, uint64(2), counter(t, host, "passed"))
	var sum uint64
	for o := Outcome(0); o < numOutcomes; o++ {
		sum += counter(t, host, o.String())
	}
	assert.Equal(t, uint64(len(reqs)), sum)
	for _, l := range append(host.GetInfoLogs()[1:], host.GetWarnLogs()...) {
		assert.False(t, strings.Contains(l, "payments"), "no per-request logs above debug: %q", l)
	}
}

// Streams share the plugin's one HTTP context (no allocation per request), so interleaved streams must not
// see each other's outcome: the filter may keep no per-stream state in it.
func TestInterleavedStreamsShareOneStatelessContext(t *testing.T) {
	host, _ := newHost(t, cfgInbound, 0)
	mirror := host.InitializeHttpContext()
	plain := host.InitializeHttpContext()
	host.CallOnRequestHeaders(mirror, req("POST", "orders-shadow:8080"), false)
	host.CallOnRequestHeaders(plain, req("POST", "orders:8080"), false)
	assert.Equal(t, []string{"1"}, headerValues(host.GetCurrentRequestHeaders(mirror), MarkerHeader))
	assert.Empty(t, headerValues(host.GetCurrentRequestHeaders(plain), MarkerHeader))
	host.CompleteHttpContext(mirror)
	host.CompleteHttpContext(plain)

	p := NewVMContext().NewPluginContext(1)
	assert.Same(t, p.NewHttpContext(2), p.NewHttpContext(3), "one context for every stream")
	assert.Zero(t, testing.AllocsPerRun(100, func() { p.NewHttpContext(4) }), "creating a stream allocates nothing")
}
