package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// trapRegistry is a registry that fails the test on any request: commands must refuse bad local input
// before they reach the network.
func trapRegistry(t *testing.T) (host string, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		t.Errorf("registry got %s %s although the command line was invalid", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), hits
}

func TestEveryRegistryCommandValidatesLocalInputBeforeAnyRequest(t *testing.T) {
	host, hits := trapRegistry(t)
	module := writeNamedModule(t, t.TempDir(), "tenantroute.wasm", "tenantroute")
	image := host + "/laneway/tenantroute:v1"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"wasmplugin: a selector without a value", []string{"wasmplugin", "tenantroute", "--image", image, "--selector", "app"}, `--selector: got "app", expected KEY=VALUE`},
		{"wasmplugin: --target-ref with --selector", []string{"wasmplugin", "tenantroute", "--image", image, "--selector", "app=a", "--target-ref", "Gateway/gw"}, "at most one"},
		{"wasmplugin: a lower-case fail strategy", []string{"wasmplugin", "tenantroute", "--image", image, "--fail-strategy", "fail_open"}, `--fail-strategy: got "fail_open"`},
		{"wasmplugin: an unknown phase", []string{"wasmplugin", "tenantroute", "--image", image, "--phase", "LATER"}, `--phase: got "LATER"`},
		{"wasmplugin: an unknown pull policy", []string{"wasmplugin", "tenantroute", "--image", image, "--pull-policy", "Sometimes"}, `--pull-policy: got "Sometimes"`},
		{"wasmplugin: an unknown type", []string{"wasmplugin", "tenantroute", "--image", image, "--type", "L7"}, `--type: got "L7"`},
		{"wasmplugin: an unknown match mode", []string{"wasmplugin", "tenantroute", "--image", image, "--match-mode", "BOTH"}, `--match-mode: got "BOTH"`},
		{"wasmplugin: a port above 65535", []string{"wasmplugin", "tenantroute", "--image", image, "--port", "70000"}, "--port: got 70000"},
		{"wasmplugin: a bad name", []string{"wasmplugin", "tenantroute", "--image", image, "--name", "Bad_Name"}, `--name: got "Bad_Name"`},
		{"wasmplugin: a bad namespace", []string{"wasmplugin", "tenantroute", "--image", image, "-n", "Shop"}, `--namespace: got "Shop"`},
		{"wasmplugin: a bad pull secret", []string{"wasmplugin", "tenantroute", "--image", image, "--pull-secret", "Reg_Cred"}, `--pull-secret: got "Reg_Cred"`},
		{"wasmplugin: a missing config file", []string{"wasmplugin", "tenantroute", "--image", image, "--config", "/nonexistent/tr.yaml"}, "--config: /nonexistent/tr.yaml does not exist"},
		{"wasmplugin: an upper-case repository", []string{"wasmplugin", "tenantroute", "--image", host + "/Laneway/tenantroute:v1"}, "repository"},
		{"wasmplugin: no retries", []string{"wasmplugin", "tenantroute", "--image", image, "--retries", "0"}, "--retries: got 0"},
		{"wasmplugin: a zero timeout", []string{"wasmplugin", "tenantroute", "--image", image, "--timeout", "0s"}, "--timeout: got 0s"},
		{"wasmplugin: a user name without a password", []string{"wasmplugin", "tenantroute", "--image", image, "-u", "me"}, "--username: got a user name without --password-stdin"},
		{"wasmplugin: an unknown format", []string{"wasmplugin", "tenantroute", "--image", image, "--format", "xml"}, `--format: got "xml"`},
		{"verify: a malformed --expect-sha256", []string{"verify", image, "--expect-sha256", "abc"}, `--expect-sha256: got "abc"`},
		{"verify: a malformed --filter", []string{"verify", image, "--filter", "Tenant Route"}, `--filter: got "Tenant Route"`},
		{"verify: an output folder that does not exist", []string{"verify", image, "-o", "/nonexistent/dir/plugin.wasm"}, "--output: got /nonexistent/dir/plugin.wasm, but its folder /nonexistent/dir does not exist"},
		{"verify: no retries", []string{"verify", image, "--retries", "0"}, "--retries: got 0"},
		{"verify: an unknown format", []string{"verify", image, "--format", "xml"}, `--format: got "xml"`},
		{"push: a bad annotation", []string{"push", module, image, "--annotation", "novalue"}, `--annotation: got "novalue", expected KEY=VALUE`},
		{"push: an annotation contradicting the module", []string{"push", module, image, "--annotation", "dev.laneway.filter=shadowtag"}, "the module is filter tenantroute"},
		{"push: no retries", []string{"push", module, image, "--retries", "0"}, "--retries: got 0"},
		{"push: a user name without a password", []string{"push", module, image, "-u", "me"}, "--username: got a user name without --password-stdin"},
		{"push: an unknown format", []string{"push", module, image, "--format", "xml"}, `--format: got "xml"`},
		{"push: an upper-case repository", []string{"push", module, host + "/Laneway/tenantroute:v1"}, "repository"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := hits.Load()
			start := time.Now()
			r := run(t, "", tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, before, hits.Load(), "no registry request before the local checks")
			assert.Less(t, time.Since(start), 5*time.Second, "refused at once, not after a pull timeout")
		})
	}
}
