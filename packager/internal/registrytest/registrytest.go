// Package registrytest starts OCI registries on loopback for tests: go-containerregistry's
// in-memory registry and the real distribution registry binary.
package registrytest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Username and Password are the credentials of registries started WithAuth.
const (
	Username = "laneway"
	Password = "laneway-secret"
	// passwordBcrypt is bcrypt("laneway-secret", cost 5) for distribution's htpasswd file.
	passwordBcrypt = "$2a$05$K0YE7IW0S7CtjYBHnUlCZOAmppJi3N1y/SMFaw37suiv3U..8y.CK"
)

// Registry is a running registry reachable at Host (host:port on 127.0.0.1).
type Registry struct {
	Host string
	// Auth reports whether the registry demands Username/Password.
	Auth bool
	// proc is the distribution process (nil for the in-memory registry).
	proc *process
	// tokenRealm is the token endpoint of a registry started with InMemoryToken ("" for basic auth).
	tokenRealm string
}

// process is a distribution registry process that can be killed and restarted on the same
// address and storage.
type process struct {
	bin, cfgPath, host string
	mu                 sync.Mutex
	cmd                *exec.Cmd
	done               chan struct{}
	logs               *bytes.Buffer
}

func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.logs = new(bytes.Buffer)
	cmd := exec.Command(p.bin, "serve", p.cfgPath)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	if err := waitReady(p.host, done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		p.cmd = nil
		return fmt.Errorf("%w; registry output:\n%s", err, p.logs.String())
	}
	return nil
}

// kill sends SIGKILL (no graceful shutdown) and waits for the process to exit.
func (p *process) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// Kill stops a distribution registry abruptly (SIGKILL), as a crash or OOM kill would.
func (r *Registry) Kill(t testing.TB) {
	t.Helper()
	if r.proc == nil {
		t.Fatal("Kill: only a distribution registry runs as a process")
	}
	r.proc.kill()
}

// Restart starts a killed distribution registry again on the same address and storage.
func (r *Registry) Restart(t testing.TB) {
	t.Helper()
	if r.proc == nil {
		t.Fatal("Restart: only a distribution registry runs as a process")
	}
	if err := r.proc.start(); err != nil {
		t.Fatalf("restart the distribution registry on %s: %v", r.Host, err)
	}
}

// InMemory starts go-containerregistry's in-memory registry behind httptest; with
// auth it answers 401 to any request without the right basic credentials.
func InMemory(t testing.TB, auth bool) *Registry {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if auth {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != Username || p != Password {
				unauthorized(w, `Basic realm="laneway-test"`, "authentication required")
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Auth: auth}
}

// unauthorized answers 401 with the challenge and a registry-API error body carrying message.
func unauthorized(w http.ResponseWriter, challenge, message string) {
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = fmt.Fprintf(w, `{"errors":[{"code":"UNAUTHORIZED","message":%q}]}`, message)
}

// Distribution starts the distribution registry binary on a free loopback port with
// a temporary config and storage; it fails the test when the binary is missing.
func Distribution(t testing.TB, auth bool) *Registry {
	t.Helper()
	bin, err := FindDistribution()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var lastErr error
	for range 3 {
		host, err := freeLoopbackAddr()
		if err != nil {
			t.Fatal(err)
		}
		cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n",
			filepath.Join(dir, "storage"), host)
		if auth {
			htpasswd := filepath.Join(dir, "htpasswd")
			if err := os.WriteFile(htpasswd, []byte(Username+":"+passwordBcrypt+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: laneway-test\n    path: %s\n", htpasswd)
		}
		cfgPath := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		p := &process{bin: bin, cfgPath: cfgPath, host: host}
		if lastErr = p.start(); lastErr == nil {
			t.Cleanup(p.kill)
			return &Registry{Host: host, Auth: auth, proc: p}
		}
	}
	t.Fatalf("distribution registry did not start: %v", lastErr)
	return nil
}

// BlobExists reports whether repo holds the blob digest ("sha256:<hex>").
func (r *Registry) BlobExists(t testing.TB, repo, digest string) bool {
	t.Helper()
	return r.exists(t, repo, fmt.Sprintf("http://%s/v2/%s/blobs/%s", r.Host, repo, digest))
}

// TagExists reports whether repo:tag resolves on the registry (using the test credentials).
func (r *Registry) TagExists(t testing.TB, repo, tag string) bool {
	t.Helper()
	return r.exists(t, repo, fmt.Sprintf("http://%s/v2/%s/manifests/%s", r.Host, repo, tag))
}

func (r *Registry) exists(t testing.TB, repo, url string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	switch {
	case r.tokenRealm != "":
		req.Header.Set("Authorization", "Bearer "+r.bearer(t, repo))
	case r.Auth:
		req.SetBasicAuth(Username, Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	}
	t.Fatalf("HEAD %s answered %d", url, resp.StatusCode)
	return false
}

func waitReady(host string, exited <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("registry exited before listening on %s", host)
		default:
		}
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("registry not ready on %s after 15s", host)
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
