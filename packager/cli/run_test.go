package cli

import (
	"context"
	"fmt"
	"io"
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

func TestRunServesTheMeshUntilCancelledAndLogsDecisions(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "upstream saw host %s", r.Host)
	}))
	defer up.Close()
	cfg := filepath.Join(t.TempDir(), "mesh.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`
workers: 1
listeners:
- name: edge
  routes:
  - name: everything
    upstream: %s
`, strings.TrimPrefix(up.URL, "http://"))), 0o644))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testenvtest.LockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"run", "-c", cfg}, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	}()

	addr := regexp.MustCompile(`edge\thttp://(127\.0\.0\.1:\d+)`)
	require.Eventually(t, func() bool { return addr.MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond, "stderr: %s", errb.String())
	target := addr.FindStringSubmatch(out.String())[1]
	req, err := http.NewRequest("GET", "http://"+target+"/x", nil)
	require.NoError(t, err)
	req.Host = "svc-a:8080"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "upstream saw host svc-a:8080", string(body))

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "stderr: %s", errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("laneway run did not stop after cancellation")
	}
	assert.Contains(t, errb.String(), "listener=edge")
	assert.Contains(t, errb.String(), "route=everything")
	assert.Contains(t, errb.String(), "status=200")
	assert.Contains(t, errb.String(), "Stopped: 1 requests")
}

func TestRunExplainsABadConfigField(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"an unknown field is named with its path", "listeners:\n- name: a\n  routes:\n  - upstream: 127.0.0.1:1\n    mirorrs: []\n", `field "listeners[0].routes[0].mirorrs": got an unknown field; allowed: one of the fields name, match, upstream, mirrors`},
		{"a mirror percentage above 100 is refused", "listeners:\n- name: a\n  routes:\n  - upstream: 127.0.0.1:1\n    mirrors: [{upstream: 127.0.0.1:2, percentage: 150}]\n", `field "listeners[0].routes[0].mirrors[0].percentage": got number 150; allowed: a number from 0 to 100`},
		{"a missing wasm module points at make build", "listeners:\n- name: a\n  filters: [{name: f, wasm: /nonexistent/x.wasm}]\n  routes: [{upstream: 127.0.0.1:1}]\n", "make build"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "mesh.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(tc.yaml), 0o644))
			r := run(t, "", "run", "-c", cfg)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
	t.Run("the config flag is required", func(t *testing.T) {
		r := run(t, "", "run")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, `"config" not set`)
	})
}

func TestRunChecksEachFiltersPluginConfigWithItsOwnParseConfigBeforeStarting(t *testing.T) {
	// The wasm paths do not exist: a config error must be reported before any module is loaded.
	tests := []struct {
		name, filters, want string
	}{
		{"an unknown tenantroute field is named",
			"[{name: route, wasm: /nonexistent/tenantroute.wasm, config: {tenantHeadr: x}}]",
			`listeners[0].filters[0].config (listener "a", filter "route") is rejected by tenantroute.ParseConfig: tenantroute config: field "tenantHeadr"`},
		{"a bad shadowtag mode is named, the filter found by its entry name",
			"[{name: shadowtag, wasm: /nonexistent/custom-build.wasm, config: {mode: sideways}}]",
			`rejected by shadowtag.ParseConfig`},
		{"a missing config is checked as the empty config the filter would get",
			"[{name: tr, wasm: /nonexistent/tenantroute.wasm}, {name: st, wasm: /nonexistent/shadowtag.wasm, config: {mode: bogus}}]",
			`listeners[0].filters[1].config (listener "a", filter "st")`},
		{"a short synthetic token secret is named without echoing it",
			`[{name: syn, wasm: /nonexistent/synthetic.wasm, config: {mode: inbound, trust: {token: {secret: "hush"}}}}]`,
			`trust.token.secret`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "mesh.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte("listeners:\n- name: a\n  filters: "+tc.filters+"\n  routes: [{upstream: 127.0.0.1:1}]\n"), 0o644))
			r := run(t, "", "run", "-c", cfg)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Contains(t, r.stderr, "fix that field of the plugin config")
			assert.NotContains(t, r.stderr, "make build", "validation comes before loading modules")
			assert.NotContains(t, r.stderr, "hush", "a secret is never echoed")
		})
	}
	t.Run("valid configs pass and the run proceeds to load the modules", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "mesh.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("listeners:\n- name: a\n  filters: [{name: tr, wasm: /nonexistent/tenantroute.wasm, config: {}}, {name: nop, wasm: /nonexistent/noop.wasm}]\n  routes: [{upstream: 127.0.0.1:1}]\n"), 0o644))
		r := run(t, "", "run", "-c", cfg)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "make build", "past validation, the missing module is what fails")
		assert.Contains(t, r.stderr, "listeners[0].filters[1] (nop, noop.wasm) is not one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute")
	})
}
