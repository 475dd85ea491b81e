package wasmbuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := CheckoutRoot()
	require.NoError(t, err)
	return root
}

// prepared runs the build preparation into a temporary .build and returns its directory and modfile.
func prepared(t *testing.T) (root, build, modfile string) {
	t.Helper()
	root = repoRoot(t)
	build = t.TempDir()
	modfile, err := prepare(context.Background(), root, build, os.Stderr)
	require.NoError(t, err)
	return root, build, modfile
}

func TestPrepareReplacesTheSDKAndThePatchedDependenciesWithLocalCopies(t *testing.T) {
	root, build, modfile := prepared(t)
	mod, err := os.ReadFile(modfile)
	require.NoError(t, err)
	for _, m := range []string{SDKModule, "github.com/tidwall/gjson", "github.com/tidwall/pretty"} {
		rel, err := filepath.Rel(root, filepath.Join(build, copyDir(m)))
		require.NoError(t, err)
		assert.Contains(t, string(mod), "replace "+m+" => "+relativeModPath(rel)+"\n", "relative, so no local path reaches the module")
	}
	for _, lic := range []string{"gjson/LICENSE", "pretty/LICENSE"} {
		b, err := os.ReadFile(filepath.Join(build, lic))
		require.NoError(t, err, "the MIT notice must travel with the modified copy")
		assert.Contains(t, string(b), "MIT License")
	}
	gj, err := os.ReadFile(filepath.Join(build, "gjson", "gjson.go"))
	require.NoError(t, err)
	assert.NotContains(t, string(gj), `"pretty":  modPretty`, "the stock modifier map must be empty")
	pr, err := os.ReadFile(filepath.Join(build, "pretty", "pretty.go"))
	require.NoError(t, err)
	assert.NotContains(t, string(pr), `"encoding/json"`)
	assert.Contains(t, string(pr), "str = unquoteJSONString(s)")
	glue, err := filepath.Glob(filepath.Join(build, "sdk", "proxywasm", "internal", "laneway_*.go"))
	require.NoError(t, err)
	assert.NotEmpty(t, glue, "the ABI glue is added to the SDK copy")
	hc, err := os.ReadFile(filepath.Join(build, "sdk", "proxywasm", "internal", "abi_hostcalls_mock.go"))
	require.NoError(t, err)
	assert.Contains(t, string(hc), "\tcurrentHost abiHost\n", "the SDK reaches the host statically, not through an interface")
	assert.NotContains(t, string(hc), "currentHost ProxyWasmHost")
	calls, err := os.ReadFile(filepath.Join(build, "sdk", "proxywasm", "hostcall.go"))
	require.NoError(t, err)
	for _, f := range []string{"LogTrace(msg string)", "LogTracef(format string", "LogDebug(msg string)", "LogDebugf(format string"} {
		_, body, ok := strings.Cut(string(calls), "\nfunc "+f)
		require.True(t, ok, f)
		assert.Contains(t, body[:strings.Index(body, "\n}\n")], "if !internal.LogLevelEnabled(", "%s asks the host's level before formatting", f)
	}
	for _, f := range []string{"SendHttpResponse(", "setMap("} {
		_, body, ok := strings.Cut(string(calls), "\nfunc "+f)
		require.True(t, ok, f)
		assert.Contains(t, body[:strings.Index(body, "\n}\n")], "internal.SerializeMapReused(headers)", "%s serializes into the reused buffer", f)
	}
	for f, want := range map[string]string{
		"DefineCounterMetric(":         `panic("define metric of name " + name + ": " + err.Error())`,
		"(m MetricCounter) Increment(": `panic("increment " + strconv.FormatUint(uint64(m), 10) + " by " + strconv.FormatUint(offset, 10) + ": " + err.Error())`,
	} {
		_, body, ok := strings.Cut(string(calls), "\nfunc "+f)
		require.True(t, ok, f)
		body = body[:strings.Index(body, "\n}\n")]
		assert.NotContains(t, body, "fmt.", "%s must not reach fmt: the shipped modules do not link it", f)
		assert.Contains(t, body, want, "%s panics with the SDK's message, built with strconv", f)
	}
	life, err := os.ReadFile(filepath.Join(build, "sdk", "proxywasm", "internal", "abi_callback_lifecycle.go"))
	require.NoError(t, err)
	assert.Contains(t, string(life), "httpContextDeleted(hc)", "a deleted stream's context is offered for reuse")
	_, err = os.Stat(filepath.Join(build, "sdk", "proxywasm", "laneway_api.go"))
	assert.NoError(t, err, "filters/proxyhost needs the functions of filters/internal/abiglue/proxywasm in the SDK copy")
}

func TestPatchFailsLoudlyWhenTheDependencyChanged(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pretty.go"), []byte("package pretty\n"), 0o644))
	err := dependencyPatches[1].apply(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "github.com/tidwall/pretty")
	assert.Contains(t, err.Error(), "found it 0 times")
}

// TestPatchedDependenciesBehaveLikeTheOriginalsForLaneway runs a probe natively against the published modules
// and against the Wasm build's patched copies: config walking and pretty's key sorting are unchanged, and a
// modifier path is read as a plain key, as gjson documents for disableModifiers=true.
func TestPatchedDependenciesBehaveLikeTheOriginalsForLaneway(t *testing.T) {
	root, _, modfile := prepared(t)
	run := func(args ...string) map[string]string {
		cmd := exec.Command("go", append(append([]string{"run"}, args...), "./packager/wasmbuild/testdata/probe")...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOWORK=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			k, v, _ := strings.Cut(line, "=")
			got[k] = v
		}
		return got
	}
	orig := run()
	patched := run("-modfile="+modfile, "-ldflags="+LDFlags)

	assert.Equal(t, orig["config-walk"], patched["config-walk"])
	assert.Equal(t, `allow:["a\u0062c"];n:3;`, patched["config-walk"])
	assert.Equal(t, orig["sorted"], patched["sorted"])
	sorted, err := strconv.Unquote(patched["sorted"])
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"x\\ud83d\\ude00\": 3,\n  \"y\": 2,\n  \"\\u007a\": 1\n}\n", sorted,
		"keys sort by their decoded text")
	assert.Equal(t, `"a key"`, patched["modifier-path"], "with modifiers off, '@reverse' names a key")
	assert.NotEqual(t, orig["modifier-path"], patched["modifier-path"], "the published gjson applies the modifier")
}

// TestTheGlueInTheSDKCopyPassesVetForWasip1 vets the SDK copy's two glued packages as the Wasm build
// compiles them (GOOS=wasip1, tag laneway_glue): the glue in filters/internal/abiglue names SDK internals
// and compiles only there, so `go vet ./...` never sees it. The unsafeptr check is off: the glue turns the
// host's guest addresses into pointers on purpose, as the SDK itself does.
func TestTheGlueInTheSDKCopyPassesVetForWasip1(t *testing.T) {
	root, build, modfile := prepared(t)
	for _, f := range []string{"proxywasm/laneway_api.go", "proxywasm/internal/laneway_scratch.go"} {
		require.FileExists(t, filepath.Join(build, "sdk", filepath.FromSlash(f)), "the glue is copied like the rest of it")
	}
	cmd := exec.Command("go", "vet", "-modfile="+modfile, "-unsafeptr=false", "-tags=laneway_glue",
		SDKModule+"/proxywasm", SDKModule+"/proxywasm/internal")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go vet of the glued SDK copy:\n%s", out)
}
