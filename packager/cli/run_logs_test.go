package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/testenvtest"
)

// tenantrouteMesh writes a one-listener mesh running tenantroute (the built dist/tenantroute.wasm) in
// front of upstream and returns the config's path.
func tenantrouteMesh(t *testing.T, upstream string) string {
	cfg := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
workers: 1
listeners:
- name: edge
  direction: outbound
  filters:
  - name: tenantroute
    wasm: %s
    config: {}
  routes:
  - name: baseline
    upstream: %s
`, testenvtest.DistPath(t, "tenantroute"), upstream)), 0o644))
	return cfg
}

// startRun runs `laneway run` in-process until the returned stop is called; it returns the edge
// listener's address, the streams, and stop, which cancels the run and returns its exit code.
func startRun(t *testing.T, args ...string) (addr string, out, errb *testenvtest.LockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb = new(testenvtest.LockedBuffer), new(testenvtest.LockedBuffer)
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, append([]string{"run"}, args...), Streams{In: strings.NewReader(""), Out: out, Err: errb})
	}()
	re := regexp.MustCompile(`edge\thttp://(127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool { return re.MatchString(out.String()) }, time.Minute, 10*time.Millisecond, "stderr: %s", errb.String())
	stopped := false
	code := 0
	stop = func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("laneway run did not stop after cancellation")
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return re.FindStringSubmatch(out.String())[1], out, errb, stop
}

func TestRunPrintsTheFiltersOwnLogsAtTheChosenLevelAsEnvoyWould(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "baseline") }))
	defer up.Close()
	cfg := tenantrouteMesh(t, strings.TrimPrefix(up.URL, "http://"))
	// Envoy's default log format, with the worker for the thread id and the listener for the source location.
	envoyLine := func(level, msg string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[worker 0\]\[` + level +
			`\]\[wasm\] \[listener edge\] wasm log tenantroute tenantroute: ` + regexp.QuoteMeta(msg))
	}
	warning := envoyLine("warning", `tenantroute: ignoring tenant "NOT_VALID!" from baggage`)
	started := envoyLine("info", "tenantroute: started with")
	cases := []struct {
		name                 string
		flags                []string
		wantWarn, wantStarts bool
	}{
		{"default level info: the start line and the warning", nil, true, true},
		{"warn: the warning only", []string{"--log-level", "warn"}, true, false},
		{"warning is Envoy's other spelling", []string{"--log-level", "warning"}, true, false},
		{"error: neither", []string{"--log-level", "error"}, false, false},
		{"off: nothing from the filters", []string{"--log-level", "off"}, false, false},
		{"trace: both", []string{"--log-level", "trace"}, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, _, errb, stop := startRun(t, append([]string{"-c", cfg}, c.flags...)...)
			req, err := http.NewRequest("GET", "http://"+addr+"/", nil)
			require.NoError(t, err)
			req.Header.Set("baggage", "laneway-tenant=NOT_VALID!")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, 0, stop(), "stderr: %s", errb.String())
			stderr := errb.String()
			assert.Contains(t, stderr, "route=baseline", "the decision line is there either way")
			assert.Equal(t, c.wantWarn, warning.MatchString(stderr), "tenantroute's warning about the invalid tenant; stderr:\n%s", stderr)
			assert.Equal(t, c.wantStarts, started.MatchString(stderr), "tenantroute's start line; stderr:\n%s", stderr)
			if len(c.flags) > 0 && c.flags[1] == "off" {
				assert.NotContains(t, stderr, "[wasm]")
			}
		})
	}

	t.Run("json format: one record per filter line", func(t *testing.T) {
		addr, _, errb, stop := startRun(t, "-c", cfg, "--log-format", "json", "--log-level", "warn")
		req, err := http.NewRequest("GET", "http://"+addr+"/", nil)
		require.NoError(t, err)
		req.Header.Set("baggage", "laneway-tenant=NOT_VALID!")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 0, stop())
		var found map[string]any
		for _, l := range strings.Split(errb.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil && rec["logger"] == "wasm" {
				found = rec
			}
		}
		require.NotNil(t, found, "stderr: %s", errb.String())
		assert.Equal(t, "WARN", found["level"])
		assert.Equal(t, "warning", found["envoy_level"])
		assert.Equal(t, "edge", found["listener"])
		assert.Equal(t, "tenantroute tenantroute", found["plugin"])
		assert.Contains(t, found["msg"], "tenantroute: ignoring tenant")
	})
}

func TestRunRefusesAnUnknownLogLevelBeforeStarting(t *testing.T) {
	cfg := tenantrouteMesh(t, "127.0.0.1:1")
	r := run(t, "", "run", "-c", cfg, "--log-level", "verbose")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `--log-level: log level "verbose": expected one of trace|debug|info|warn|error|critical|off`)
	assert.Empty(t, r.stdout, "nothing started")
}
