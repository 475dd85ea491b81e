package proxy

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
)

// filterLogs collects what OnFilterLog receives.
type filterLogs struct {
	mu    sync.Mutex
	lines []FilterLog
}

func (f *filterLogs) add(l FilterLog) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, l)
}

func (f *filterLogs) containing(s string) []FilterLog {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []FilterLog
	for _, l := range f.lines {
		if strings.Contains(l.Message, s) {
			out = append(out, l)
		}
	}
	return out
}

func TestOnFilterLogGetsTheFiltersOwnLinesAtTheLevelTheFiltersAreTold(t *testing.T) {
	level := func(l testenv.LogLevel) *testenv.LogLevel { return &l }
	cases := []struct {
		name  string
		level *testenv.LogLevel
		// wantStart and wantWarning: whether tenantroute's start line (info) and its warning about
		// an invalid tenant (warn) reach the sink.
		wantStart, wantWarning bool
	}{
		{"default: info, Envoy's default level", nil, true, true},
		{"warn keeps the warning, drops the start line", level(testenv.LogWarn), false, true},
		{"error drops both", level(testenv.LogError), false, false},
		{"off drops everything", level(testenv.LogOff), false, false},
		{"debug keeps both", level(testenv.LogDebug), true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, sbx, shadow := newEcho(t, "baseline"), newEcho(t, "sandbox"), newEcho(t, "shadow")
			var logs filterLogs
			p := startProxy(t, meshYAML(t, base.addr(), sbx.addr(), shadow.addr(), ""), Options{FilterLogLevel: c.level, OnFilterLog: logs.add})
			resp, s := call(t, http.DefaultClient, "GET", "http://"+p.Addr("svc-a-outbound")+"/", "svc-b:8080",
				map[string]string{"baggage": "laneway-tenant=NOT_VALID!"})
			require.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, "baseline", s.Service)

			starts := logs.containing("tenantroute: started with")
			if c.wantStart {
				require.Len(t, starts, 2, "one start line per worker's VM")
				assert.ElementsMatch(t, []int{0, 1}, []int{starts[0].Worker, starts[1].Worker})
				assert.Equal(t, testenv.LogInfo, starts[0].Level)
			} else {
				assert.Empty(t, starts)
			}
			warnings := logs.containing("tenantroute: ignoring tenant")
			if c.wantWarning {
				require.Len(t, warnings, 1)
				w := warnings[0]
				assert.Equal(t, "svc-a-outbound", w.Listener)
				assert.Equal(t, "tenantroute", w.Filter)
				assert.Equal(t, "tenantroute tenantroute", w.LogPrefix, "plugin name and VM id, as Envoy names a VM")
				assert.Equal(t, testenv.LogWarn, w.Level)
				assert.Contains(t, w.Message, "request goes to")
			} else {
				assert.Empty(t, warnings)
			}
			for _, l := range logs.containing("") {
				if c.level != nil {
					assert.GreaterOrEqual(t, l.Level, *c.level, "nothing below the level: %q", l.Message)
				}
			}
			assert.Empty(t, p.FilterLogs("svc-a-outbound", "tenantroute"), "with a sink the VMs keep no lines")
		})
	}
}
