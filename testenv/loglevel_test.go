package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLogLevelTakesEnvoysNames(t *testing.T) {
	cases := []struct {
		in      string
		want    LogLevel
		wantErr bool
	}{
		{"trace", LogTrace, false},
		{"debug", LogDebug, false},
		{"info", LogInfo, false},
		{"warn", LogWarn, false},
		{"warning", LogWarn, false},
		{"WARNING", LogWarn, false},
		{"Error", LogError, false},
		{"critical", LogCritical, false},
		{"off", LogOff, false},
		{"", 0, true},
		{"verbose", 0, true},
		{"level(7)", 0, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseLogLevel(c.in)
			if c.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), `"`+c.in+`"`, "the error names what was received")
				assert.Contains(t, err.Error(), LogLevelNames, "and what is expected")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func FuzzParseLogLevel(f *testing.F) {
	for _, s := range strings.Split(LogLevelNames, "|") {
		f.Add(s)
	}
	f.Add("warning")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLogLevel(s)
		if err != nil {
			return
		}
		back, err := ParseLogLevel(l.String())
		require.NoError(t, err, "a parsed level's name parses again")
		assert.Equal(t, l, back)
	})
}

// The VM passes each line at or above its level to OnLog as it is written (and keeps none for Logs),
// and the module learns the level through proxy_get_log_level: below debug, the SDK's LogTrace and
// LogDebug return without calling proxy_log at all.
func TestOnLogReceivesTheLinesAtOrAboveTheLevelTheModuleIsTold(t *testing.T) {
	all := []string{"log trace", "log debug", "log info", "log warn", "log error", "log critical"}
	cases := []struct {
		level LogLevel
		want  []string
		// proxyLogCalls is how many proxy_log calls the "logs" case makes (it logs one formatted info line too).
		proxyLogCalls uint64
	}{
		{LogTrace, all, 8},
		{LogDebug, all[1:], 7},
		{LogInfo, all[2:], 6},
		{LogWarn, all[3:], 6},
		{LogError, all[4:], 6},
		{LogCritical, all[5:], 6},
		{LogOff, nil, 6},
	}
	rt := newTestRuntime(t)
	for _, p := range []Profile{Envoy133, Envoy139} {
		for _, c := range cases {
			t.Run(p.String()+"/"+c.level.String(), func(t *testing.T) {
				var got []LogEntry
				vm, err := rt.LoadVM(context.Background(), DistModule(t, "conformance"), VMOptions{
					Profile: p, PluginConfig: []byte("plugin-cfg"), LogLevel: c.level,
					OnLog: func(e LogEntry) { got = append(got, e) },
				})
				require.NoError(t, err)
				t.Cleanup(func() { _ = vm.Close(context.Background()) })
				got = nil
				before := vm.HostCalls()["env.proxy_log"]
				s := vm.NewHTTPStream()
				s.RequestHeaders(conformanceRequest("logs"), true)
				s.Complete()
				require.NoError(t, vm.Err())
				var lines []string
				for _, e := range got {
					assert.GreaterOrEqual(t, e.Level, c.level, "no line below the level reaches OnLog: %q", e.Message)
					if strings.HasPrefix(e.Message, "log ") && !strings.HasPrefix(e.Message, "log formatted") {
						lines = append(lines, e.Message)
						assert.Equal(t, strings.TrimPrefix(e.Message, "log "), e.Level.String(), "each line keeps its level")
					}
				}
				assert.Equal(t, c.want, lines)
				assert.Empty(t, vm.Logs(), "with OnLog nothing is kept")
				assert.Equal(t, c.proxyLogCalls, vm.HostCalls()["env.proxy_log"]-before,
					"the module skips trace/debug lines the level drops, having asked proxy_get_log_level")
			})
		}
	}
}

func TestCacheDirKeepsCompiledModulesForTheNextRuntime(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 2 {
		rt, err := NewRuntime(ctx, RuntimeOptions{CacheDir: dir})
		require.NoError(t, err)
		vm, err := rt.LoadVM(ctx, DistModule(t, "noop"), VMOptions{})
		require.NoError(t, err, "runtime %d", i)
		require.NoError(t, vm.Close(ctx))
		require.NoError(t, rt.Close(ctx))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.NotEmpty(t, entries, "compiled code is kept in the folder")
	}
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o644))
	_, err := NewRuntime(ctx, RuntimeOptions{CacheDir: notADir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "compilation cache in "+notADir)
}
