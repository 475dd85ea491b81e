package synthetic

import (
	"testing"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// TestCountCountsNothingWhereCountsSaysSo holds Decision.Counts, which lets the combined module skip calling
// Count, to Count: for every action, acceptance and mode, a decision Counts calls uncounted adds to no counter.
func TestCountCountsNothingWhereCountsSaysSo(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).WithPluginConfiguration([]byte(`{}`))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
	cs := proxyhost.DefineCounters("laneway_counttest_", Outcomes)
	values := func(prefix string) []uint64 {
		v := make([]uint64, len(Outcomes))
		for i, o := range Outcomes {
			var err error
			v[i], err = host.GetCounterMetric(proxyhost.CounterName(prefix, o))
			require.NoError(t, err)
		}
		return v
	}
	uncounted := 0
	for mode := ModeUnset; mode <= ModeWaypoint; mode++ {
		for a := ActionNone; a <= ActionReroute; a++ {
			for _, accepted := range []bool{false, true} {
				c, d := &Config{Mode: mode}, &Decision{Action: a, Accepted: accepted}
				before := values("laneway_counttest_")
				c.Count(&cs, d)
				if !d.Counts() {
					uncounted++
					assert.Equal(t, before, values("laneway_counttest_"), "mode %v, action %v", mode, a)
				}
			}
		}
	}
	assert.Equal(t, int(ModeWaypoint)+1, uncounted, "one uncounted decision per mode")
}
