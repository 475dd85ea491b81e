package compare

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds headless Chromium ($LANEWAY_CHROMIUM, else chromium on PATH): the page
// test fails, never skips, without it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LANEWAY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium: not found on PATH, expected Debian's chromium for the web page test: run `make tools` as root, " +
		"or `apt-get install -y chromium`, or set LANEWAY_CHROMIUM to a Chromium binary")
	return ""
}

// dumpDOM opens u in headless Chromium and returns the DOM once the page's scripts and their
// fetches have finished (virtual time does not advance while requests are pending).
func dumpDOM(t *testing.T, u string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath(t), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", u)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "chromium failed: %s", stderr.String())
	return string(out)
}

// codeFields returns the field names the page shows in <code class="... field"> elements.
func codeFields(dom string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<code class="[^"]*\bfield\b[^"]*">([^<]*)</code>`).FindAllStringSubmatch(dom, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestWebPageInHeadlessChromiumShowsThePlantedFieldAndNotTheNoise(t *testing.T) {
	col := New(Options{NoiseMargin: DefaultNoiseMargin})
	col.Add(plantedTraffic(200, 5))
	srv := httptest.NewServer(Handler(col, ServerOptions{}))
	defer srv.Close()

	t.Run("endpoint list", func(t *testing.T) {
		dom := dumpDOM(t, srv.URL+"/")
		require.Contains(t, dom, `data-state="ready"`, "the page rendered the report: %s", dom)
		assert.Contains(t, dom, "orders GET /orders/{id}")
		assert.Equal(t, []string{"body:total"}, codeFields(dom))
		assert.Contains(t, dom, "100.0%", "the endpoint's diff rate")
		assert.NotContains(t, dom, "body:at")
		assert.NotContains(t, dom, "body:trace")
	})
	t.Run("per-field view", func(t *testing.T) {
		dom := dumpDOM(t, srv.URL+"/#/endpoint/"+url.PathEscape(ordersKey))
		require.Contains(t, dom, `data-state="ready"`, dom)
		assert.Equal(t, []string{"body:total"}, codeFields(dom), "noise stays behind the 'show noise' button")
		assert.Contains(t, dom, "show 2 noise field(s)")
		assert.Contains(t, dom, "10.50001", "an example's candidate value")
		assert.Contains(t, dom, `href="#/pair/req-5-199"`, "examples link to their pair")
	})
	t.Run("pair side by side", func(t *testing.T) {
		dom := dumpDOM(t, srv.URL+"/#/pair/req-5-199")
		require.Contains(t, dom, `data-state="ready"`, dom)
		assert.Contains(t, dom, `data-role="primary"`)
		assert.Contains(t, dom, `data-role="candidate"`)
		assert.Contains(t, dom, `data-role="secondary"`)
		assert.Contains(t, dom, `"total": 10.5,`, "bodies pretty-printed")
		assert.Contains(t, dom, `"total": 10.50001,`)
		assert.Contains(t, codeFields(dom), "body:total")
		assert.Contains(t, dom, `<code class="reported field">body:total</code>`, "the reported field is marked")
		assert.Contains(t, dom, `<code class="field muted">body:at</code>`, "a noisy difference of this pair is shown muted")
	})
	t.Run("an evicted pair says why", func(t *testing.T) {
		dom := dumpDOM(t, srv.URL+"/#/pair/gone")
		require.Contains(t, dom, `data-state="error"`, dom)
		assert.Contains(t, dom, "not retained")
	})
}
