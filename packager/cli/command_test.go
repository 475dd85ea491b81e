package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryCommandChecksItsOptionsInPreRunEAndRunsANamedFunction holds the command tree to one shape:
// every runnable command validates its option groups in PreRunE and its RunE only calls its run function.
func TestEveryCommandChecksItsOptionsInPreRunEAndRunsANamedFunction(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		n++
		assert.NotNil(t, c.PreRunE, "%s: its option groups are validated in PreRunE (withOptions)", c.CommandPath())
		assert.NotNil(t, c.RunE, "%s: RunE calls its run function", c.CommandPath())
		assert.Nil(t, c.Run, "%s: RunE, not Run", c.CommandPath())
	}
	walk(NewRootCommand(Streams{}))
	assert.GreaterOrEqual(t, n, 12, "every command is walked (build, inspect, push, verify, wasmplugin, routes, run, demo, token, compare serve|report|manifest)")
}

// TestBadOptionsAreRefusedBeforeTheCommandRuns gives each command a bad flag value together with an input
// the command itself would fail on (a missing module, an unreachable registry, a missing secret): the flag
// is what is reported, on one line, with nothing printed before it (no progress, no result), so the
// options were checked before anything ran.
func TestBadOptionsAreRefusedBeforeTheCommandRuns(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := t.TempDir()
	mesh := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, os.WriteFile(mesh, []byte("listeners: []\n"), 0o644))
	const unreachable = "127.0.0.1:1/laneway/tenantroute:v1"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"format: an unknown value", []string{"inspect", "missing.wasm", "--format", "xml"}, `--format: got "xml", expected one of text, json, yaml`},
		{"format: yaml where resources take yaml|json only", []string{"routes", "--service", "svc-b", "--format", "text"}, `--format: got "text", expected one of yaml, json`},
		{"registry: no attempts", []string{"push", "missing.wasm", unreachable, "--retries", "0"}, "--retries: got 0"},
		{"registry: no time", []string{"verify", unreachable, "--timeout", "0s"}, "--timeout: got 0s"},
		{"registry: a user without a password", []string{"wasmplugin", "tenantroute", "--image", unreachable, "-u", "bob"}, "--username: got a user name without --password-stdin"},
		{"registry: a password without a user", []string{"verify", unreachable, "--password-stdin"}, "--password-stdin: got no --username"},
		{"filter selection: a malformed --filter", []string{"verify", unreachable, "--filter", "Tenant Route"}, `--filter: got "Tenant Route"`},
		{"filter selection: an unknown filter", []string{"wasmplugin", "tenantrout", "--image", unreachable}, "tenantrout"},
		{"config: a missing plugin config", []string{"wasmplugin", "tenantroute", "--image", unreachable, "--config", filepath.Join(dir, "nope.yaml")}, "--config: " + filepath.Join(dir, "nope.yaml") + " does not exist"},
		{"config: a folder as the mesh file", []string{"run", "-c", dir}, "--config: " + dir + " is a folder"},
		{"run: an unknown log format", []string{"run", "-c", mesh, "--log-format", "xml"}, `--log-format: got "xml"`},
		{"run: too many workers", []string{"run", "-c", mesh, "--workers", "100000"}, "--workers: got 100000"},
		{"push: a bad annotation", []string{"push", "missing.wasm", "--annotation", "novalue"}, `--annotation: got "novalue", expected KEY=VALUE`},
		{"verify: a short digest", []string{"verify", unreachable, "--expect-sha256", "abc"}, `--expect-sha256: got "abc"`},
		{"token: a bad transaction id", []string{"token", "--secret-file", filepath.Join(dir, "no.secret"), "--txid", "a b"}, `--txid: got "a b"`},
		{"token: a required flag", []string{"token", "--txid", "t1"}, `required flag(s) "secret-file" not set`},
		{"compare report: a bad collector", []string{"compare", "report", "--collector", "ftp://127.0.0.1:1"}, "--collector: "},
		{"compare serve: no memory bound", []string{"compare", "serve", "--max-pairs", "0"}, "--max-pairs: got 0"},
		{"routes: tenants and hosts do not pair up", []string{"routes", "--service", "svc-b", "--tenant", "a", "--sandbox-host", "x", "--sandbox-host", "y"}, "--sandbox-host: got 2 for 1 --tenant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout, "no result is printed")
			require.True(t, strings.HasPrefix(r.stderr, "Error: "), "the error is all that is printed: %q", r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, 1, strings.Count(strings.TrimRight(r.stderr, "\n"), "\n")+1, "one line, no progress before it: %q", r.stderr)
		})
	}
}

// TestThePrinterWritesResultsInTheChosenFormatOnStdoutAndProgressOnStderr covers the one printer every
// command writes through: a report in each format, and Kubernetes resources in both JSON shapes.
func TestThePrinterWritesResultsInTheChosenFormatOnStdoutAndProgressOnStderr(t *testing.T) {
	type result struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	for _, tc := range []struct {
		format, want string
	}{
		{"text", "name a, count 1\n"},
		{"", "name a, count 1\n"},
		{"json", "{\n  \"name\": \"a\",\n  \"count\": 1\n}\n"},
		{"yaml", "count: 1\nname: a\n"},
	} {
		t.Run("report as "+tc.format, func(t *testing.T) {
			var out, errb bytes.Buffer
			p := newPrinter(Streams{Out: &out, Err: &errb}, tc.format)
			p.progress("working on %s", "a")
			require.NoError(t, p.report(result{"a", 1}, func(w io.Writer) error {
				_, err := io.WriteString(w, "name a, count 1\n")
				return err
			}))
			assert.Equal(t, tc.want, out.String())
			assert.Equal(t, "working on a\n", errb.String(), "progress goes to stderr only")
		})
	}

	cm := func(name string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name}}
	}
	for _, tc := range []struct {
		name, format string
		shape        jsonShape
		objs         []any
		want         string
	}{
		{"yaml, one object", "yaml", oneOrList, []any{cm("a")}, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"},
		{"yaml, two objects", "yaml", alwaysList, []any{cm("a"), cm("b")},
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"},
		{"json, one object as itself", "json", oneOrList, []any{cm("a")}, `"kind": "ConfigMap"`},
		{"json, one object as a List", "json", alwaysList, []any{cm("a")}, `"kind": "List"`},
		{"json, two objects as a List", "json", oneOrList, []any{cm("a"), cm("b")}, `"kind": "List"`},
	} {
		t.Run("resources as "+tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			p := newPrinter(Streams{Out: &out, Err: &errb}, tc.format)
			require.NoError(t, p.resources(tc.shape, tc.objs...))
			if tc.format == "yaml" {
				assert.Equal(t, tc.want, out.String())
			} else {
				assert.True(t, strings.HasPrefix(out.String(), "{\n") && strings.HasSuffix(out.String(), "}\n"), out.String())
				assert.Contains(t, out.String(), tc.want)
				if tc.want == `"kind": "ConfigMap"` {
					assert.NotContains(t, out.String(), `"items"`)
				}
			}
			assert.Empty(t, errb.String())
		})
	}
}
