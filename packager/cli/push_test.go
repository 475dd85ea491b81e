package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/internal/registrytest"
	"github.com/laneway/laneway/testenv/wasmtest"
)

var registries = []struct {
	name  string
	start func(testing.TB, bool) *registrytest.Registry
}{
	{"in-memory ggcr registry", registrytest.InMemory},
	{"distribution registry", registrytest.Distribution},
	{"in-memory registry with token auth", registrytest.InMemoryToken},
}

type pushed struct {
	Reference, Digest, SHA256, URL, OCILayout string
	MinEnvoy                                  string
}

func decodePush(t *testing.T, r result) pushed {
	t.Helper()
	require.Equal(t, 0, r.code, r.stderr)
	var p pushed
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &p), "stdout holds only the JSON result: %q", r.stdout)
	return p
}

func TestPushPrintsAStableDigestThatVerifyAgreesWith(t *testing.T) {
	path := writeModule(t, "tenantroute.wasm", wasmtest.GoFilter())
	for _, reg := range registries {
		t.Run(reg.name, func(t *testing.T) {
			r := reg.start(t, true)
			ref := r.Host + "/laneway/tenantroute:v1"
			auth := []string{"--username", registrytest.Username, "--password-stdin"}

			start := time.Now()
			first := decodePush(t, run(t, registrytest.Password+"\n", append([]string{"push", path, ref, "--format", "json"}, auth...)...))
			pushTime := time.Since(start)
			second := decodePush(t, run(t, registrytest.Password+"\n", append([]string{"push", path, ref, "--format", "json"}, auth...)...))
			assert.Equal(t, first.Digest, second.Digest, "same file, same digest")
			assert.Regexp(t, `^[a-f0-9]{64}$`, first.SHA256)
			assert.Equal(t, "sha256:"+first.SHA256, first.Digest)
			assert.Equal(t, "oci://"+ref, first.URL)
			assert.Equal(t, "1.33", first.MinEnvoy)

			start = time.Now()
			v := run(t, registrytest.Password+"\n", append([]string{"verify", ref, "--format", "json", "--expect-sha256", first.SHA256}, auth...)...)
			verifyTime := time.Since(start)
			require.Equal(t, 0, v.code, v.stderr)
			var got struct{ SHA256, Variant string }
			require.NoError(t, json.Unmarshal([]byte(v.stdout), &got))
			assert.Equal(t, first.SHA256, got.SHA256)
			assert.Equal(t, "oci-compat", got.Variant)
			assert.Contains(t, v.stderr, "Pulling", "progress goes to stderr")
			t.Logf("laneway push %v, laneway verify %v", pushTime, verifyTime)
		})
	}
}

func TestPushFailuresAreExplainedAndLeaveNoTag(t *testing.T) {
	good := writeModule(t, "tenantroute.wasm", wasmtest.GoFilter())
	for _, reg := range registries {
		t.Run(reg.name+": wrong credentials", func(t *testing.T) {
			r := reg.start(t, true)
			res := run(t, "wrong\n", "push", good, r.Host+"/laneway/tenantroute:v1", "-u", registrytest.Username, "--password-stdin", "--retries", "1")
			assert.Equal(t, 1, res.code)
			assert.Contains(t, res.stderr, "credentials refused")
			assert.Contains(t, res.stderr, "docker login "+r.Host)
			assert.Empty(t, res.stdout)
			assert.False(t, r.TagExists(t, "laneway/tenantroute", "v1"))
		})
		t.Run(reg.name+": a module Envoy cannot load is not pushed", func(t *testing.T) {
			r := reg.start(t, false)
			bad := writeModule(t, "bad.wasm", wasmtest.GoFilter().With(wasiImport("sock_open", wasmtest.I32, wasmtest.I32, wasmtest.I32)))
			res := run(t, "", "push", bad, r.Host+"/laneway/bad:v1")
			assert.Equal(t, 1, res.code)
			assert.Contains(t, res.stderr, "refusing to push")
			assert.Contains(t, res.stderr, "sock_open")
			assert.False(t, r.TagExists(t, "laneway/bad", "v1"))
		})
	}
	t.Run("an unreachable registry", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		host := l.Addr().String()
		require.NoError(t, l.Close())
		res := run(t, "", "push", good, host+"/laneway/tenantroute:v1", "--retries", "1")
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, fmt.Sprintf("registry %s is unreachable", host))
	})
	t.Run("a user name without --password-stdin", func(t *testing.T) {
		res := run(t, "", "push", good, "localhost:1/xy:v1", "-u", "me")
		assert.Equal(t, 1, res.code)
		assert.Contains(t, res.stderr, "passwords are never taken as flags")
	})
}

func TestPushToAnOCILayoutIsReproducibleAndVerifiable(t *testing.T) {
	path := writeModule(t, "shadowtag.wasm", wasmtest.GoFilter())
	dir := filepath.Join(t.TempDir(), "oci")
	a := decodePush(t, run(t, "", "push", path, "--oci-layout", dir, "--format", "json"))
	assert.Equal(t, "shadowtag", a.Reference, "the tag defaults to the filter name")
	b := decodePush(t, run(t, "", "push", path, "--oci-layout", dir, "--format", "json"))
	assert.Equal(t, a.Digest, b.Digest)

	out := filepath.Join(t.TempDir(), "plugin.wasm")
	v := run(t, "", "verify", "shadowtag", "--oci-layout", dir, "-o", out)
	require.Equal(t, 0, v.code, v.stderr)
	assert.Contains(t, v.stdout, "WasmPlugin sha256: "+a.SHA256)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, wasmtest.GoFilter().Bytes(), got, "-o writes the extracted module")

	other := strings.Repeat("0", 64)
	v = run(t, "", "verify", "shadowtag", "--oci-layout", dir, "--expect-sha256", other)
	assert.Equal(t, 1, v.code)
	assert.Contains(t, v.stderr, "expected "+other+" (--expect-sha256)")
}

func TestPushUsesDockerConfigCredentials(t *testing.T) {
	r := registrytest.InMemory(t, true)
	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(registrytest.Username + ":" + registrytest.Password))
	require.NoError(t, os.WriteFile(filepath.Join(cfgDir, "config.json"),
		[]byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, r.Host, auth)), 0o600))
	t.Setenv("DOCKER_CONFIG", cfgDir)
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(cfgDir, "none.json"))

	path := writeModule(t, "tenantroute.wasm", wasmtest.GoFilter())
	p := decodePush(t, run(t, "", "push", path, r.Host+"/laneway/tenantroute:v1", "--format", "json"))
	assert.True(t, r.TagExists(t, "laneway/tenantroute", "v1"))

	v := run(t, "", "verify", r.Host+"/laneway/tenantroute:v1", "--expect-sha256", p.SHA256)
	assert.Equal(t, 0, v.code, v.stderr)
}

func TestPushByFilterNameReadsDist(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "dist"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dist", "synthetic.wasm"), wasmtest.GoFilter().Bytes(), 0o644))
	t.Chdir(dir)
	p := decodePush(t, run(t, "", "push", "synthetic", "--format", "json"))
	assert.Equal(t, "synthetic", p.Reference)
	assert.Equal(t, filepath.Join("dist", "oci"), p.OCILayout, "no registry: the default OCI layout under dist/")
	_, err := os.Stat(filepath.Join(dir, "dist", "oci", "index.json"))
	assert.NoError(t, err)
}

func TestPushAndInspectRefuseATestFixtureByName(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "dist"), 0o755))
	// Even a module left in dist/ under a fixture's name is not taken by name.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dist", "conformance.wasm"), wasmtest.GoFilter().Bytes(), 0o644))
	t.Chdir(dir)
	for _, args := range [][]string{{"push", "conformance"}, {"inspect", "noop"}} {
		r := run(t, "", args...)
		assert.Equal(t, 1, r.code, "%v", args)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "is a test fixture", "%v", args)
		assert.Contains(t, r.stderr, "expected one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute", "%v", args)
	}
	_, err := os.Stat(filepath.Join(dir, "dist", "oci"))
	assert.True(t, os.IsNotExist(err), "nothing is written")
}
