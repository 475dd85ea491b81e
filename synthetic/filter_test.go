package synthetic

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func TestRefusalCarriesTheMarkerAndAPlainTextBody(t *testing.T) {
	sc := scenario{
		config:  `{"mode":"outbound"}`,
		request: req("POST", "billing", "x-laneway-synthetic", "1;id=tx-h"),
	}
	got := runGoLeg(t, sc)
	require.Equal(t, 403, got.localStatus)
	assert.Contains(t, got.localHeaders, [2]string{"x-laneway-synthetic", "1;id=tx-h"})
	assert.Contains(t, got.localHeaders, [2]string{"content-type", "text/plain; charset=utf-8"})
	assert.Equal(t, []string{"synthetic: tx tx-h: refused POST to billing (mutating call to a destination that is not rollback-capable: refused)"}, got.debugLogs)
}

func TestOnlyTheFirstMissingAckIsLoggedAtWarn(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).
		WithPluginConfiguration([]byte(`{"mode":"outbound","participants":["orders"],"ack":{"required":true}}`))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	for i := 0; i < 3; i++ {
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, req("POST", "orders", "x-laneway-synthetic", "1;id=tx-"+string(rune('a'+i))), false)
		host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
		host.CompleteHttpContext(id)
	}
	missing, err := host.GetCounterMetric(MetricName(OutcomeAckMissing))
	require.NoError(t, err)
	assert.Equal(t, uint64(3), missing)
	require.Len(t, host.GetWarnLogs(), 1)
	assert.Contains(t, host.GetWarnLogs()[0], "tx tx-a")
	assert.Contains(t, strings.Join(host.GetDebugLogs(), "\n"), "tx tx-c")
}

func TestBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	for _, cfg := range []string{`[]`, `{"participants":["a"]}`, `{"mode":"inbound","participants":["a"]}`, `{"mode":"edge","trust":{"token":{"secret":"x"}}}`} {
		opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).WithPluginConfiguration([]byte(cfg))
		host, reset := proxytest.NewHostEmulator(opt)
		assert.Equal(t, types.OnPluginStartStatusFailed, host.StartPlugin(), "config %s", cfg)
		logs := host.GetCriticalLogs()
		if assert.Len(t, logs, 1) {
			assert.Contains(t, logs[0], "field")
		}
		reset()
	}
}

func TestStartLogSummarisesTheConfiguration(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).
		WithPluginConfiguration([]byte(`{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `"}}}`))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	info := strings.Join(host.GetInfoLogs(), "\n")
	assert.Contains(t, info, "synthetic: started: mode=inbound")
	assert.NotContains(t, info, testSecret)
}

// An empty configuration starts the filter; the start-up log says which mode the listener direction gave it.
func TestEmptyConfigStartsInTheModeOfTheListenerDirection(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  []byte // nil: the host has no xds.listener_direction
		want string
	}{
		{"inbound", binary.LittleEndian.AppendUint64(nil, 1), "synthetic: started: mode=inbound (from the listener direction) header=x-laneway-synthetic"},
		{"outbound", binary.LittleEndian.AppendUint64(nil, 2), "synthetic: started: mode=outbound (from the listener direction) header=x-laneway-synthetic"},
		{"unknown", nil, "synthetic: started: mode=unset (inbound or outbound from the listener direction, read on the first request)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).WithPluginConfiguration([]byte(`{}`))
			if tc.dir != nil {
				opt = opt.WithProperty([]string{"xds", "listener_direction"}, tc.dir)
			}
			host, reset := proxytest.NewHostEmulator(opt)
			defer reset()
			require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
			require.Len(t, host.GetInfoLogs(), 1)
			assert.True(t, strings.HasPrefix(host.GetInfoLogs()[0], tc.want), host.GetInfoLogs()[0])
		})
	}
}

func TestReleasedContextKeepsOnlySmallAckMemory(t *testing.T) {
	p := &pluginContext{}
	small := &httpContext{p: p, ack: Ack{mem: make([]byte, 0, maxKeptAckMemory)}}
	small.ack.Await(&Decision{ID: "tx", Authority: "orders"})
	require.True(t, small.ack.Waiting())
	small.release()
	require.Len(t, p.free, 1)
	assert.Equal(t, httpContext{p: p, ack: Ack{mem: small.ack.mem[:0]}}, *p.free[0], "cleared, memory kept")
	assert.Equal(t, maxKeptAckMemory, cap(p.free[0].ack.mem))
	big := &httpContext{p: p, ack: Ack{mem: make([]byte, 0, maxKeptAckMemory+1)}}
	big.release()
	assert.Nil(t, p.free[1].ack.mem, "memory of an unusually long host is not kept")
}

func TestStreamsShareOneContextUnlessAcksAreRequired(t *testing.T) {
	for _, tc := range []struct {
		config string
		shared bool
	}{
		{`{"mode":"outbound"}`, true},
		{`{"mode":"inbound"}`, true},
		{`{"mode":"outbound","ack":{"required":true}}`, false},
	} {
		cfg, err := ParseConfig([]byte(tc.config))
		require.NoError(t, err, tc.config)
		p := (&vmContext{}).NewPluginContext(1).(*pluginContext)
		p.cfg = &cfg
		a, b := p.NewHttpContext(2), p.NewHttpContext(3)
		assert.Equal(t, tc.shared, a == b, tc.config)
		assert.Equal(t, tc.shared, a == types.HttpContext(&p.shared), tc.config)
		// A VM whose other plugin requires acks hands every deleted context to the hook: the shared one stays put.
		releaseContext(&p.shared)
		assert.Empty(t, p.free, tc.config)
		if !tc.shared {
			releaseContext(a)
			assert.Len(t, p.free, 1, tc.config)
		}
	}
}
