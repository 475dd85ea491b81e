package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionPrintsTheLinkerVersionElseTheBuildInfo(t *testing.T) {
	r := run(t, "", "--version")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^laneway version \(devel\)( [0-9a-f]+(-dirty)?)? go1\.\d+(\.\d+)?\S* \w+/\w+\n$`, r.stdout, "a test binary has no module version or ldflags")

	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v1.2.3"
	r = run(t, "", "--version")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "laneway version v1.2.3 go1."), r.stdout)
}

// TestRootHelpPromisesOnlyTheFormatsEachCommandHas reads the root help's --format sentences and checks each
// named command has exactly those values, and that every command with --format is named.
func TestRootHelpPromisesOnlyTheFormatsEachCommandHas(t *testing.T) {
	root := NewRootCommand(Streams{})
	help := strings.Join(strings.Fields(root.Long), " ")
	promised := map[string]string{}
	for _, m := range regexp.MustCompile(`\(([a-z, ]+)\) takes? --format ([a-z|]+)`).FindAllStringSubmatch(help, -1) {
		for _, c := range strings.Split(m[1], ",") {
			promised[strings.TrimSpace(c)] = m[2]
		}
	}
	require.NotEmpty(t, promised)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c == root {
			return
		}
		name := strings.TrimPrefix(c.CommandPath(), "laneway ")
		f := c.Flags().Lookup("format")
		if f == nil {
			assert.NotContains(t, promised, name, "root help promises --format for %s, which has none", name)
			return
		}
		want, ok := promised[name]
		if assert.True(t, ok, "%s has --format but the root help does not say which values", name) {
			assert.Equal(t, "output format: "+want, f.Usage, name)
		}
	}
	walk(root)
}

func TestFlagHelpHasNoEmptyListDefaults(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		assert.NotContains(t, c.Flags().FlagUsages(), "(default [])", c.CommandPath())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCommand(Streams{}))
	r := run(t, "", "wasmplugin", "--help")
	assert.Contains(t, r.stdout, "--port PORT")
}

func TestFlagErrorsSpellTheFlagAsTyped(t *testing.T) {
	checkHints(t, []hint{
		{"routes: a bad namespace", []string{"routes", "--service", "svc-b", "--tenant", "a", "--sandbox-host", "b", "-n", "Shop"}, []string{`--namespace: got "Shop"`}, []string{"Error: namespace:"}},
		{"routes: a bad header", []string{"routes", "--service", "svc-b", "--tenant", "a", "--sandbox-host", "b", "--header", "X Tenant"}, []string{`--header: got "X Tenant"`}, nil},
		{"routes: a bad tenant", []string{"routes", "--service", "svc-b", "--tenant", "A_1", "--sandbox-host", "b"}, []string{`--tenant: got "A_1"`}, nil},
		{"routes: a bad baseline label", []string{"routes", "--service", "svc-b", "--tenant", "a", "--subset-label", "t", "--baseline-label", "version=v 1"}, []string{`--baseline-label: got label version="v 1"`}, nil},
		{"wasmplugin: a bad fail strategy", []string{"wasmplugin", "tenantroute", "--image", "r.example.com/x/y:v1", "--sha256", pinned, "--fail-strategy", "open"}, []string{`--fail-strategy: got "open"`}, []string{"failStrategy"}},
		{"wasmplugin: selector and target-ref", []string{"wasmplugin", "tenantroute", "--image", "r.example.com/x/y:v1", "--sha256", pinned, "--selector", "a=b", "--target-ref", "Gateway/g"}, []string{"--selector and --target-ref: got both"}, []string{"targetRefs"}},
	})
}

// TestReadmeListsEveryCommand keeps the README's command list in step with the CLI.
func TestReadmeListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	line := regexp.MustCompile("the `laneway` CLI: (.*)").FindSubmatch(b)
	require.NotNil(t, line, "README names the CLI's commands after \"the `laneway` CLI:\"")
	for _, c := range NewRootCommand(Streams{}).Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		assert.Contains(t, string(line[1]), "`"+c.Name()+"`", "README's command list misses %s", c.Name())
	}
	assert.True(t, strings.Contains(string(b), "GOTOOLCHAIN=local") && strings.Contains(string(b), "GOTOOLCHAIN=auto make"),
		"README says what to do where a distribution's Go pins the local toolchain")
}
