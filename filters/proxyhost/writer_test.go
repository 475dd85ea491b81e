package proxyhost

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// onHeaders is a VM whose only stream callback runs the test's function: it lets a test call the Writer
// inside a request, as a filter does, under proxytest.
type onHeaders struct {
	types.DefaultVMContext
	f func() types.Action
}

func (v *onHeaders) NewPluginContext(uint32) types.PluginContext { return &onHeadersPlugin{f: v.f} }

type onHeadersPlugin struct {
	types.DefaultPluginContext
	f func() types.Action
}

func (p *onHeadersPlugin) NewHttpContext(uint32) types.HttpContext { return &onHeadersStream{f: p.f} }

type onHeadersStream struct {
	types.DefaultHttpContext
	f func() types.Action
}

func (s *onHeadersStream) OnHttpRequestHeaders(int, bool) types.Action { return s.f() }

// emulate starts proxytest with a plugin whose request-headers callback runs f (set later through *f).
func emulate(t *testing.T, opts ...func(*proxytest.EmulatorOption)) (proxytest.HostEmulator, *func() types.Action) {
	t.Helper()
	f := new(func() types.Action)
	vm := &onHeaders{f: func() types.Action { return (*f)() }}
	opt := proxytest.NewEmulatorOption().WithVMContext(vm)
	for _, o := range opts {
		o(opt)
	}
	host, reset := proxytest.NewHostEmulator(opt)
	t.Cleanup(reset)
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	return host, f
}

// foreignCalls swaps the foreign call for one that counts and answers err.
func foreignCalls(t *testing.T, err error) *int {
	n := new(int)
	t.Cleanup(SwapForeignCall(func(name string, _ []byte) ([]byte, error) {
		assert.Equal(t, ClearRouteCacheFunction, name)
		*n++
		return nil, err
	}))
	return n
}

func edits(n int) []Edit {
	out := make([]Edit, n)
	for i := range out {
		out[i] = Edit{Kind: Remove, Name: "x-spoof-" + strconv.Itoa(i)}
	}
	return out
}

func TestWriterApplyWritesEditsAndClearsTheRouteCacheOnce(t *testing.T) {
	spoofed := many(2)
	for i := 0; i < 12; i++ {
		spoofed = append(spoofed, [2]string{"x-spoof-" + strconv.Itoa(i), "evil"})
	}
	for _, tc := range []struct {
		name    string
		headers [][2]string
		v       Verdict
		fail    map[string]bool
		calls   []string
		clears  int
		err     bool
	}{
		{
			name:    "nothing to do makes no host call",
			headers: many(1),
			v:       Verdict{},
		},
		{
			name:    "a reroute without edits still clears the route cache",
			headers: many(1),
			v:       Verdict{Reroute: true},
			clears:  1,
		},
		{
			name:    "few edits are single host calls",
			headers: many(1, [2]string{"x-a", "1"}),
			v:       Verdict{Edits: []Edit{{Kind: Replace, Name: "x-a", Value: "2"}, {Kind: Add, Name: "x-b", Value: "3"}}, Reroute: true},
			calls:   []string{"replace x-a", "add x-b"},
			clears:  1,
		},
		{
			name:    "edits without Reroute leave the route cache alone",
			headers: many(1, [2]string{"x-a", "1"}),
			v:       Verdict{Edits: []Edit{{Kind: Remove, Name: "x-a"}}},
			calls:   []string{"remove x-a"},
		},
		{
			name:    "exactly MaxEditCalls edits are still single calls",
			headers: spoofed,
			v:       Verdict{Edits: edits(MaxEditCalls), Reroute: true},
			calls: []string{"remove x-spoof-0", "remove x-spoof-1", "remove x-spoof-2", "remove x-spoof-3",
				"remove x-spoof-4", "remove x-spoof-5", "remove x-spoof-6", "remove x-spoof-7"},
			clears: 1,
		},
		{
			name:    "more than MaxEditCalls edits are one whole-map write",
			headers: spoofed,
			v:       Verdict{Edits: edits(MaxEditCalls + 1), Reroute: true},
			calls:   []string{"set " + strconv.Itoa(len(spoofed)-MaxEditCalls-1)},
			clears:  1,
		},
		{
			name:    "many edits on a map Envoy would not decode whole are single calls",
			headers: many(1030, spoofed[2:]...),
			v:       Verdict{Edits: edits(MaxEditCalls + 1)},
			calls: []string{"remove x-spoof-0", "remove x-spoof-1", "remove x-spoof-2", "remove x-spoof-3",
				"remove x-spoof-4", "remove x-spoof-5", "remove x-spoof-6", "remove x-spoof-7", "remove x-spoof-8"},
		},
		{
			name:    "when every edit fails nothing changed, so the route cache is left alone",
			headers: many(1, [2]string{"x-a", "1"}),
			v:       Verdict{Edits: []Edit{{Kind: Remove, Name: "x-a"}}, Reroute: true},
			fail:    map[string]bool{"remove x-a": true},
			calls:   []string{"remove x-a"},
			err:     true,
		},
		{
			name:    "when one edit of several succeeds the route cache is cleared",
			headers: many(1, [2]string{"x-a", "1"}),
			v:       Verdict{Edits: []Edit{{Kind: Remove, Name: "x-a"}, {Kind: Add, Name: "x-b", Value: "1"}}, Reroute: true},
			fail:    map[string]bool{"remove x-a": true},
			calls:   []string{"remove x-a", "add x-b"},
			clears:  1,
			err:     true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, f := emulate(t)
			clears := foreignCalls(t, nil)
			h := &fakeHost{headers: append([][2]string(nil), tc.headers...), fail: tc.fail}
			h.install(t)
			var w Writer
			*f = func() types.Action { return w.Apply("test", tc.headers, &tc.v) }
			id := host.InitializeHttpContext()
			assert.Equal(t, types.ActionContinue, host.CallOnRequestHeaders(id, tc.headers, false))
			assert.Equal(t, tc.calls, h.calls)
			assert.Equal(t, tc.clears, *clears)
			if tc.err {
				assert.ErrorIs(t, w.Err(), errHost)
				require.Len(t, host.GetDebugLogs(), 1)
				assert.Equal(t, "test: editing request headers: "+errHost.Error(), host.GetDebugLogs()[0])
			} else {
				assert.NoError(t, w.Err())
				assert.Empty(t, host.GetDebugLogs())
				assert.Equal(t, AppendEdited(nil, tc.headers, tc.v.Edits), h.headers, "the host holds what AppendEdited predicts")
			}
			assert.Nil(t, host.GetSentLocalResponse(id))
			assert.Empty(t, host.GetInfoLogs())
			assert.Empty(t, host.GetWarnLogs())
		})
	}
}

func TestWriterRemembersAHostWithoutClearRouteCache(t *testing.T) {
	host, f := emulate(t)
	calls := foreignCalls(t, types.ErrorStatusNotFound)
	var w Writer
	v := Verdict{Reroute: true}
	*f = func() types.Action { return w.Apply("test", nil, &v) }
	for i := 0; i < 3; i++ {
		host.CallOnRequestHeaders(host.InitializeHttpContext(), many(1), false)
	}
	assert.Equal(t, 1, *calls, "asked once, then remembered absent")
	require.Len(t, host.GetDebugLogs(), 1)
	assert.Contains(t, host.GetDebugLogs()[0], "test: no clear_route_cache foreign function (error status returned by host: not found)")
	assert.Empty(t, host.GetInfoLogs())
	assert.Empty(t, host.GetWarnLogs())

	var fresh Writer
	*f = func() types.Action { return fresh.Apply("test", nil, &v) }
	host.CallOnRequestHeaders(host.InitializeHttpContext(), many(1), false)
	assert.Equal(t, 2, *calls, "each Writer finds out for itself")
}

func TestWriterRemembersAHostFailingClearRouteCacheForAnyReason(t *testing.T) {
	host, f := emulate(t)
	calls := foreignCalls(t, types.ErrorStatusBadArgument)
	var w Writer
	v := Verdict{Reroute: true}
	*f = func() types.Action { return w.Apply("test", nil, &v) }
	for i := 0; i < 3; i++ {
		host.CallOnRequestHeaders(host.InitializeHttpContext(), many(1), false)
	}
	assert.Equal(t, 1, *calls)
	require.Len(t, host.GetDebugLogs(), 1)
	assert.Contains(t, host.GetDebugLogs()[0], types.ErrorStatusBadArgument.Error())
	assert.Empty(t, host.GetWarnLogs())
}

func TestWriterSendsTheReplyInsteadOfEditing(t *testing.T) {
	host, f := emulate(t)
	clears := foreignCalls(t, nil)
	var w Writer
	v := Verdict{
		Edits:   []Edit{{Kind: Add, Name: "x-a", Value: "1"}},
		Reroute: true,
		Reply:   &Reply{Status: 503, Headers: [][2]string{{"x-reason", "shadow"}}, Body: []byte("no"), Detail: "test: suppressed shadow POST to svc-b"},
	}
	*f = func() types.Action { return w.Apply("test", nil, &v) }
	id := host.InitializeHttpContext()
	assert.Equal(t, types.ActionPause, host.CallOnRequestHeaders(id, many(1), false))
	r := host.GetSentLocalResponse(id)
	require.NotNil(t, r)
	assert.Equal(t, uint32(503), r.StatusCode)
	assert.Equal(t, []byte("no"), r.Data)
	assert.Equal(t, [][2]string{{"x-reason", "shadow"}}, r.Headers)
	assert.Equal(t, many(1), host.GetCurrentRequestHeaders(id), "the edits are not written")
	assert.Zero(t, *clears)
	assert.Equal(t, []string{"test: suppressed shadow POST to svc-b"}, host.GetDebugLogs())
}

func TestWriterEditsTheRequestThroughTheSDK(t *testing.T) {
	host, f := emulate(t)
	clears := foreignCalls(t, nil)
	// One copy of each name: proxytest's replace and remove touch only the first copy, unlike Envoy.
	in := many(2, [2]string{"x-a", "1"}, [2]string{"x-b", "2"})
	for _, n := range []int{1, MaxEditCalls + 1} {
		t.Run(strconv.Itoa(n)+" edits", func(t *testing.T) {
			*clears = 0
			v := Verdict{Edits: []Edit{{Kind: Replace, Name: "x-a", Value: "3"}, {Kind: Remove, Name: "x-b"}}, Reroute: true}
			for len(v.Edits) < n {
				v.Edits = append(v.Edits, Edit{Kind: Add, Name: "x-n", Value: strconv.Itoa(len(v.Edits))})
			}
			var w Writer
			*f = func() types.Action {
				h, err := RequestHeaders()
				require.NoError(t, err)
				return w.Apply("test", h, &v)
			}
			id := host.InitializeHttpContext()
			assert.Equal(t, types.ActionContinue, host.CallOnRequestHeaders(id, in, false))
			assert.ElementsMatch(t, AppendEdited(nil, in, v.Edits), host.GetCurrentRequestHeaders(id))
			assert.Equal(t, 1, *clears)
		})
	}
}

func TestCountersCountUnderTheirNames(t *testing.T) {
	host, f := emulate(t)
	var c Counters
	assert.False(t, c.Defined())
	c.Inc(0) // the zero Counters counts nothing and does not panic
	*f = func() types.Action {
		if !c.Defined() {
			c = DefineCounters("laneway_test_", []string{"routed", "baseline"})
		}
		c.Inc(1)
		c.Inc(1)
		c.Inc(0)
		c.Inc(2)  // out of range: ignored
		c.Inc(-1) // out of range: ignored
		return types.ActionContinue
	}
	host.CallOnRequestHeaders(host.InitializeHttpContext(), many(1), false)
	assert.True(t, c.Defined())
	for name, want := range map[string]uint64{"routed": 1, "baseline": 2} {
		got, err := host.GetCounterMetric(CounterName("laneway_test_", name))
		require.NoError(t, err)
		assert.Equal(t, want, got, name)
	}
	assert.Equal(t, "laneway_tenantroute_routed_total", CounterName("laneway_tenantroute_", "routed"))
}

func TestReadPluginConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []byte
		want []byte
	}{
		{"a configuration is returned as given", []byte(`{"a":1}`), []byte(`{"a":1}`)},
		{"no configuration is an empty one, not an error", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			var err error
			vm := &startVM{start: func() { got, err = ReadPluginConfig() }}
			opt := proxytest.NewEmulatorOption().WithVMContext(vm)
			if tc.set != nil {
				opt = opt.WithPluginConfiguration(tc.set)
			}
			host, reset := proxytest.NewHostEmulator(opt)
			defer reset()
			host.StartPlugin()
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestListenerDirection(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value []byte
		dir   int64
		ok    bool
	}{
		{"inbound", []byte{1, 0, 0, 0, 0, 0, 0, 0}, DirectionInbound, true},
		{"outbound", []byte{2, 0, 0, 0, 0, 0, 0, 0}, DirectionOutbound, true},
		{"unspecified", make([]byte, 8), 0, true},
		{"not 8 bytes", []byte{1}, 0, false},
		{"absent", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dir int64
			var ok bool
			vm := &startVM{start: func() { dir, ok = ListenerDirection() }}
			opt := proxytest.NewEmulatorOption().WithVMContext(vm)
			if tc.value != nil {
				opt = opt.WithProperty([]string{"xds", "listener_direction"}, tc.value)
			}
			host, reset := proxytest.NewHostEmulator(opt)
			defer reset()
			host.StartPlugin()
			assert.Equal(t, tc.dir, dir)
			assert.Equal(t, tc.ok, ok)
		})
	}
}

// startVM runs start in OnPluginStart.
type startVM struct {
	types.DefaultVMContext
	start func()
}

func (v *startVM) NewPluginContext(uint32) types.PluginContext { return &startPlugin{start: v.start} }

type startPlugin struct {
	types.DefaultPluginContext
	start func()
}

func (p *startPlugin) OnPluginStart(int) types.OnPluginStartStatus {
	p.start()
	return types.OnPluginStartStatusOK
}
