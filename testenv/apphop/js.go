package apphop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laneway/laneway/testenv/testenvtest"
)

// jsPackages are the npm packages the JS app imports; they must be installed as the lockfile pins them.
var jsPackages = []string{"@opentelemetry/api", "@opentelemetry/core"}

// JSApp is a running OpenTelemetry JS app (node js/server.mjs) on a loopback port.
type JSApp struct {
	addr   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *testenvtest.LockedBuffer
	rec    *httptest.Server
	client *http.Client
	mu     sync.Mutex // one control exchange at a time
}

// StartJS starts the JS app and stops it when the test ends. Until SetNext is called, its next
// calls go to a recorder that Forward reads. It fails the test (never skips) when node or the npm
// packages are missing, saying how to install them.
func StartJS(tb testing.TB) *JSApp {
	tb.Helper()
	dir := JSDir(tb)
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("apphop: node is not on PATH (%v): install Node.js >= 20.6 and npm, then run `make tools` (npm ci in %s)", err, dir)
	}
	checkJSPackages(tb, dir)

	a := &JSApp{lines: make(chan string, 16), stderr: &testenvtest.LockedBuffer{}}
	a.rec = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := r.Header.Clone()
		h.Set("Host", r.Host)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(h)
	}))
	tb.Cleanup(a.rec.Close)
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	a.client = &http.Client{Transport: tr, Timeout: 10 * time.Second}

	a.cmd = exec.Command(node, "server.mjs")
	a.cmd.Dir = dir
	a.cmd.Stderr = a.stderr
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		tb.Fatalf("apphop: %v", err)
	}
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("apphop: %v", err)
	}
	if err := a.cmd.Start(); err != nil {
		tb.Fatalf("apphop: start %s server.mjs in %s: %v", node, dir, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			a.lines <- sc.Text()
		}
		close(a.lines)
	}()
	tb.Cleanup(a.stop)
	var ready struct {
		Listening int `json:"listening"`
	}
	a.read(tb, &ready)
	if ready.Listening == 0 {
		tb.Fatalf("apphop: the JS app did not report its port; stderr:\n%s", a.stderr.String())
	}
	a.addr = fmt.Sprintf("127.0.0.1:%d", ready.Listening)
	a.SetNext(tb, a.rec.URL, "")
	return a
}

// Addr is the app's host:port on loopback.
func (a *JSApp) Addr() string { return a.addr }

// SetNext sends the app's next calls to url (scheme://host:port) with the given Host header ("" =
// the url's host), e.g. its sidecar's outbound listener and the service it calls.
func (a *JSApp) SetNext(tb testing.TB, url, host string) {
	tb.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	line, _ := json.Marshal(map[string]string{"next": url, "host": host})
	if _, err := a.stdin.Write(append(line, '\n')); err != nil {
		tb.Fatalf("apphop: write to the JS app: %v; stderr:\n%s", err, a.stderr.String())
	}
	var ack struct {
		Next, Error string
	}
	a.read(tb, &ack)
	if ack.Next != url {
		tb.Fatalf("apphop: the JS app did not take next hop %q: %+v", url, ack)
	}
}

// Forward sends one request with the given headers (":authority" or "Host" sets the Host; other
// pseudo-headers are ignored) to the app, whose next call must go to the built-in recorder (no
// SetNext to elsewhere), and returns the headers of that call: what the app forwards. When the app
// answers with another status than 200 instead of calling on (Node refuses some malformed
// requests with 400), out is nil and status says why.
func (a *JSApp) Forward(tb testing.TB, method string, in http.Header) (out http.Header, status int) {
	tb.Helper()
	req, err := http.NewRequest(method, "http://"+a.addr+"/hop", strings.NewReader("{}"))
	if err != nil {
		tb.Fatalf("apphop: %v", err)
	}
	for k, vs := range in {
		switch {
		case strings.EqualFold(k, ":authority") || strings.EqualFold(k, "host"):
			req.Host = vs[0]
		case strings.HasPrefix(k, ":"):
		default:
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := a.client.Do(req)
	if err != nil {
		tb.Fatalf("apphop: request to the JS app: %v; stderr:\n%s", err, a.stderr.String())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	if err := json.Unmarshal(body, &out); err != nil {
		tb.Fatalf("apphop: the recorder's answer relayed by the JS app is not JSON (%v): %q", err, body)
	}
	return out, resp.StatusCode
}

// read decodes the app's next stdout line into v, failing after 15 s.
func (a *JSApp) read(tb testing.TB, v any) {
	tb.Helper()
	select {
	case line, ok := <-a.lines:
		if !ok {
			tb.Fatalf("apphop: the JS app exited; stderr:\n%s", a.stderr.String())
		}
		if err := json.Unmarshal([]byte(line), v); err != nil {
			tb.Fatalf("apphop: the JS app printed %q (%v); stderr:\n%s", line, err, a.stderr.String())
		}
	case <-time.After(15 * time.Second):
		tb.Fatalf("apphop: the JS app did not answer within 15s; stderr:\n%s", a.stderr.String())
	}
}

// stop closes stdin (the app exits) and waits, killing the process after 5 s.
func (a *JSApp) stop() {
	_ = a.stdin.Close()
	done := make(chan struct{})
	go func() { _ = a.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = a.cmd.Process.Kill()
		<-done
	}
}

// JSDir returns testenv/apphop/js under the repository root (the first parent directory of the
// working directory holding go.mod).
func JSDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("apphop: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testenv", "apphop", "js")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("apphop: no go.mod above the working directory; cannot find testenv/apphop/js")
		}
		dir = parent
	}
}

// checkJSPackages fails the test unless every package is installed at the version the lockfile pins.
func checkJSPackages(tb testing.TB, dir string) {
	tb.Helper()
	fix := fmt.Sprintf("run `make tools` (it runs `npm ci` in %s; needs npm and the npm registry)", dir)
	raw, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		tb.Fatalf("apphop: %v", err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		tb.Fatalf("apphop: %s/package-lock.json: %v", dir, err)
	}
	for _, p := range jsPackages {
		want := lock.Packages["node_modules/"+p].Version
		var got struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", p, "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &got)
		}
		switch {
		case want == "":
			tb.Fatalf("apphop: %s/package-lock.json does not pin %s", dir, p)
		case err != nil:
			tb.Fatalf("apphop: npm package %s is not installed (%v): %s", p, err, fix)
		case got.Version != want:
			tb.Fatalf("apphop: npm package %s is %s, the lockfile pins %s: %s", p, got.Version, want, fix)
		}
	}
}
