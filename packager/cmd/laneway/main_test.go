package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/testenvtest"
)

// buildCLI compiles this command into a temporary folder and returns the binary's path.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "laneway")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func TestASignalStopsRunCleanlyWithItsSummary(t *testing.T) {
	bin := buildCLI(t)
	cases := []struct {
		name string
		sig  syscall.Signal
		// upstreamDelay is how long the request in flight at the signal takes upstream.
		upstreamDelay time.Duration
		// wantAnswered: the request in flight gets the upstream's answer (it finishes within the bound).
		wantAnswered bool
	}{
		{"SIGTERM: the request in flight finishes", syscall.SIGTERM, 700 * time.Millisecond, true},
		{"SIGINT (Ctrl-C): the same", syscall.SIGINT, 700 * time.Millisecond, true},
		{"SIGTERM: a request slower than the 5 s bound is cut, and run still ends", syscall.SIGTERM, time.Minute, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			received := make(chan struct{}, 1)
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				received <- struct{}{}
				select {
				case <-time.After(c.upstreamDelay):
					fmt.Fprint(w, "answered after the signal")
				case <-r.Context().Done():
				}
			}))
			defer up.Close()
			cfg := filepath.Join(t.TempDir(), "mesh.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`workers: 1
listeners:
- name: edge
  address: 127.0.0.1:0
  routes:
  - name: baseline
    upstream: %s
`, strings.TrimPrefix(up.URL, "http://"))), 0o644))

			cmd := exec.Command(bin, "run", "-c", cfg)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr testenvtest.LockedBuffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			addrLine := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					if m := regexp.MustCompile(`^edge\thttp://(127\.0\.0\.1:\d+)$`).FindStringSubmatch(sc.Text()); m != nil {
						addrLine <- m[1]
					}
				}
				_, _ = io.Copy(io.Discard, stdout)
			}()
			var addr string
			select {
			case addr = <-addrLine:
			case <-time.After(time.Minute):
				t.Fatalf("run printed no listener address; stderr:\n%s", stderr.String())
			}

			type answer struct {
				status int
				body   string
				err    error
			}
			answered := make(chan answer, 1)
			go func() {
				resp, err := http.Get("http://" + addr + "/order")
				if err != nil {
					answered <- answer{err: err}
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answered <- answer{status: resp.StatusCode, body: string(b)}
			}()
			select {
			case <-received:
			case <-time.After(30 * time.Second):
				t.Fatalf("the request never reached the upstream; stderr:\n%s", stderr.String())
			}

			signalled := time.Now()
			require.NoError(t, cmd.Process.Signal(c.sig))
			var waitErr error
			select {
			case waitErr = <-exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("run did not end within 20 s of %v; stderr:\n%s", c.sig, stderr.String())
			}
			took := time.Since(signalled)
			require.NoError(t, waitErr, "exit status 0, as after Ctrl-C; stderr:\n%s", stderr.String())
			assert.Equal(t, 0, cmd.ProcessState.ExitCode())
			assert.Less(t, took, 10*time.Second, "in-flight requests get at most 5 s")

			a := <-answered
			if c.wantAnswered {
				require.NoError(t, a.err)
				assert.Equal(t, 200, a.status)
				assert.Equal(t, "answered after the signal", a.body, "the request in flight finished")
				assert.GreaterOrEqual(t, took, c.upstreamDelay/2, "run waited for it")
			} else {
				assert.GreaterOrEqual(t, took, 4*time.Second, "run waited for the bound before cutting the request")
				assert.False(t, a.err == nil && a.status == 200, "the slow request was not answered as if it had finished")
			}
			assert.Contains(t, stderr.String(), "Stopped: 1 requests", "the summary is printed")
			_, err = net.DialTimeout("tcp", addr, time.Second)
			assert.Error(t, err, "the listener is closed")
		})
	}
}
