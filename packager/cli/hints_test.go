package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hint is one bad input and what its error must say (the cause and the fix) and must not say (a wrong lead).
type hint struct {
	name    string
	args    []string
	want    []string
	notWant []string
}

func checkHints(t *testing.T, hints []hint) {
	t.Helper()
	for _, h := range hints {
		t.Run(h.name, func(t *testing.T) {
			r := run(t, "", h.args...)
			assert.Equal(t, 1, r.code)
			for _, w := range h.want {
				assert.Contains(t, r.stderr, w)
			}
			for _, w := range h.notWant {
				assert.NotContains(t, r.stderr, w)
			}
		})
	}
}

func TestInspectHintsPointTheRightWay(t *testing.T) {
	t.Chdir(t.TempDir()) // outside a checkout: laneway's own filters are the known names
	dir := t.TempDir()
	checkHints(t, []hint{
		{"a misspelt filter name suggests the closest filter", []string{"inspect", "tenantrout"},
			[]string{`no filter has that name; did you mean tenantroute?`}, []string{"laneway build tenantrout"}},
		{"an unknown name lists the filters", []string{"inspect", "zzz"},
			[]string{"one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute"}, nil},
		{"a known filter not yet built says how to build it", []string{"inspect", "shadowtag"},
			[]string{"laneway build shadowtag"}, nil},
		{"a missing file says it does not exist", []string{"inspect", filepath.Join(dir, "nope.wasm")},
			[]string{filepath.Join(dir, "nope.wasm") + " does not exist"}, []string{"not a regular file"}},
		{"a folder is called a folder", []string{"inspect", dir},
			[]string{dir + " is a folder"}, nil},
	})
	t.Run("a folder named like a filter is the filter", func(t *testing.T) {
		require.NoError(t, os.Mkdir("tenantroute", 0o755)) // as in the checkout's root
		r := run(t, "", "inspect", "tenantroute")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "laneway build tenantroute", "read as the filter name, not as the folder")
	})
}

func TestRunHintsPointTheRightWay(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	route := "\n  routes: [{upstream: 127.0.0.1:1}]\n"
	checkHints(t, []hint{
		{"a missing config file says it does not exist", []string{"run", "-c", filepath.Join(dir, "missing.yaml")},
			[]string{"--config: " + filepath.Join(dir, "missing.yaml") + " does not exist"}, []string{"fix the field named above"}},
		{"a wasm path not found says it is resolved against the config's folder", []string{"run", "-c", write("wasm.yaml", "listeners:\n- name: a\n  filters: [{name: f, wasm: nope/x.wasm}]"+route)},
			[]string{"wasm " + filepath.Join(dir, "nope", "x.wasm") + " does not exist", "resolved against the config file's folder"}, nil},
		{"an address not on this machine says so", []string{"run", "-c", write("addr.yaml", "listeners:\n- name: a\n  address: 8.8.8.8:80"+route)},
			[]string{"address 8.8.8.8:80 is not local to this machine", "127.0.0.1:PORT"}, []string{"pick a free port"}},
		{"broken JSON is reported with its line and column", []string{"run", "-c", write("mesh.json", "{\"listeners\": [\n  {\"name\": \"a\",}]}")},
			[]string{"invalid JSON at line 2, column 16"}, []string{"yaml:"}},
		{"an unknown field is named", []string{"run", "-c", write("field.yaml", "listeners:\n- name: a\n  adress: x"+route)},
			[]string{`field "listeners[0].adress": got an unknown field`, "fix the field named above"}, nil},
	})
}

func TestWasmPluginHintsPointTheRightWay(t *testing.T) {
	broken := writeFile(t, "broken.json", "{\n  \"allow\": [\"a\"]\n  \"tenantHeader\": \"x\"\n}")
	checkHints(t, []hint{
		{"an upper-case repository is blamed on the repository", []string{"wasmplugin", "tenantroute", "--image", "localhost:5000/Laneway/TenantRoute:v1", "--sha256", pinned},
			[]string{`repository "Laneway/TenantRoute" has upper-case letters`, `write the repository as "laneway/tenantroute"`}, []string{"whose tag"}},
		{"broken JSON config is reported with its line and column", []string{"wasmplugin", "tenantroute", "--image", "r.example.com/laneway/tenantroute:v1", "--sha256", pinned, "--config", broken},
			[]string{"invalid JSON at line 3, column 3"}, []string{"yaml:"}},
		{"a missing config file says it does not exist", []string{"wasmplugin", "tenantroute", "--image", "r.example.com/laneway/tenantroute:v1", "--sha256", pinned, "--config", "/nonexistent/tr.yaml"},
			[]string{"--config: /nonexistent/tr.yaml does not exist"}, nil},
	})
}

func TestPushAndVerifyHintsPointTheRightWay(t *testing.T) {
	module := writeNamedModule(t, t.TempDir(), "tenantroute.wasm", "tenantroute")
	checkHints(t, []hint{
		{"push: an upper-case repository is blamed on the repository", []string{"push", module, "localhost:5000/Laneway/tenantroute:v1"},
			[]string{`repository "Laneway/tenantroute" has upper-case letters`}, []string{"whose tag", "Pushing"}},
		{"push: a bad tag is blamed on the tag", []string{"push", module, "localhost:5000/laneway/tenantroute:v1!"},
			[]string{`tag "v1!"`}, []string{"whose repository"}},
		{"push: a misspelt filter suggests the closest", []string{"push", "tenantrout", "localhost:5000/laneway/tenantroute:v1"},
			[]string{"did you mean tenantroute?"}, nil},
		{"verify: an upper-case repository is blamed on the repository", []string{"verify", "localhost:5000/Laneway/tenantroute:v1"},
			[]string{`repository "Laneway/tenantroute" has upper-case letters`}, nil},
	})
}
