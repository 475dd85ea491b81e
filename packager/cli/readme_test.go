//go:build unix

package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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

	"github.com/laneway/laneway/packager/internal/registrytest"
	"github.com/laneway/laneway/packager/wasmbuild"
)

// readmeSection is the README heading whose first ```sh block TestREADMEWalkThroughRuns runs.
const readmeSection = "## From source to a mesh"

// fixedAddrs are the addresses the walk-through and its example files use; the test maps each
// to a free loopback port so that parallel runs cannot collide. Nothing else is rewritten.
var fixedAddrs = []string{"localhost:5000", "127.0.0.1:15001", "127.0.0.1:18080", "127.0.0.1:18081"}

// untilCurl is the README's wait loop: `until curl -s -o /dev/null URL; do sleep 1; done`.
var untilCurl = regexp.MustCompile(`^until curl -s -o /dev/null (http://\S+); do sleep 1; done\s*(#.*)?$`)

// TestREADMEWalkThroughRuns runs the README's "From source to a mesh" block as written, in a
// fresh folder that links to this checkout's sources and holds its own copy of packager/examples/, bin/,
// dist/ and .build/: it builds the CLI and the module, starts the registry and pushes, verifies,
// writes the WasmPlugin and the routes, starts the upstreams and the local mesh, and checks that
// each curl prints what its comment says. A command the test does not know fails the test, so
// the README cannot grow a step that is not run.
func TestREADMEWalkThroughRuns(t *testing.T) {
	repo, err := wasmbuild.CheckoutRoot()
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	require.NoError(t, err)
	lines, err := readmeCommands(string(readme), readmeSection)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(lines), 10, "the walk-through block")
	registryBin, err := registrytest.FindDistribution()
	require.NoError(t, err)

	// Map every fixed address to a free port, in the commands and in the example files.
	repl := make([]string, 0, 2*len(fixedAddrs))
	var ports []string
	for _, a := range fixedAddrs {
		host, _, _ := net.SplitHostPort(a)
		p := freePort(t)
		repl = append(repl, a, net.JoinHostPort(host, p))
		ports = append(ports, p)
	}
	mapAddrs := strings.NewReplacer(repl...)
	root := t.TempDir()
	entries, err := os.ReadDir(repo)
	require.NoError(t, err)
	for _, e := range entries {
		switch e.Name() {
		case ".git", "dist", "bin", ".build", ".registry", "packager":
			continue
		}
		require.NoError(t, os.Symlink(filepath.Join(repo, e.Name()), filepath.Join(root, e.Name())))
	}
	// packager/ is linked entry by entry so that packager/examples can be a copy with the mapped ports.
	pkgEntries, err := os.ReadDir(filepath.Join(repo, "packager"))
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(root, "packager"), 0o755))
	for _, e := range pkgEntries {
		if e.Name() == "examples" {
			continue
		}
		require.NoError(t, os.Symlink(filepath.Join(repo, "packager", e.Name()), filepath.Join(root, "packager", e.Name())))
	}
	copyExamples(t, filepath.Join(repo, "packager", "examples"), filepath.Join(root, "packager", "examples"), mapAddrs)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var background []bgProcess
	defer func() {
		for _, b := range background {
			b.stop()
		}
	}()
	outputs := map[string]string{}
	for _, raw := range lines {
		line := mapAddrs.Replace(raw)
		c, err := parseCommand(line)
		require.NoError(t, err, "README line %q", raw)
		t.Logf("$ %s", line)
		var cmd *exec.Cmd
		switch {
		case len(c.args) >= 2 && c.args[0] == "go" && (c.args[1] == "build" || c.args[1] == "run"):
			cmd = exec.CommandContext(ctx, "go", c.args[1:]...)
		case c.args[0] == "bin/laneway" || c.args[0] == "bin/echo":
			cmd = exec.CommandContext(ctx, filepath.Join(root, c.args[0]), c.args[1:]...)
		case c.args[0] == "registry":
			cmd = exec.CommandContext(ctx, registryBin, c.args[1:]...)
		case untilCurl.MatchString(line):
			url := untilCurl.FindStringSubmatch(line)[1]
			deadline := time.Now().Add(3 * time.Minute)
			for {
				resp, err := http.Get(url)
				if err == nil {
					_ = resp.Body.Close()
					break
				}
				require.True(t, time.Now().Before(deadline), "%q: %s did not answer within 3 minutes: %v", raw, url, err)
				time.Sleep(time.Second)
			}
			continue
		case c.args[0] == "curl":
			checkCurl(t, c)
			continue
		default:
			t.Fatalf("README command %q is not one this test runs: teach TestREADMEWalkThroughRuns to run it", raw)
		}
		cmd.Dir = root
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if c.background {
			logPath := filepath.Join(root, fmt.Sprintf("background-%d.log", len(background)))
			logf, err := os.Create(logPath)
			require.NoError(t, err)
			defer logf.Close()
			cmd.Stdout, cmd.Stderr = logf, logf
			require.NoError(t, cmd.Start())
			b := bgProcess{cmd: cmd, exited: make(chan struct{})}
			go func() { _ = cmd.Wait(); close(b.exited) }()
			background = append(background, b)
			if err := waitListening(ports, line, root, c.args, b.exited); err != nil {
				out, _ := os.ReadFile(logPath)
				t.Fatalf("%v; its output:\n%s", err, out)
			}
			continue
		}
		require.NoError(t, cmd.Run(), "%s\nstdout:\n%s\nstderr:\n%s", line, stdout.String(), stderr.String())
		if c.redirect != "" {
			require.NoError(t, os.WriteFile(filepath.Join(root, c.redirect), stdout.Bytes(), 0o644))
		}
		outputs[strings.Join(c.args[:min(2, len(c.args))], " ")] = stdout.String()
	}

	assert.Regexp(t, `sha256:[0-9a-f]{64}`, outputs["bin/laneway push"], "push prints the manifest digest")
	wp, err := os.ReadFile(filepath.Join(root, "wasmplugin.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(wp), "kind: WasmPlugin")
	assert.Regexp(t, `sha256: [0-9a-f]{64}`, string(wp), "the WasmPlugin is pinned by digest")
	assert.Contains(t, string(wp), "invalidLogLimit: 16", "packager/examples/tenantroute.yaml went into pluginConfig")
	routes, err := os.ReadFile(filepath.Join(root, "routes.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(routes), "host: svc-b-sbx-1")
	groups, err := os.ReadFile(filepath.Join(root, "route-groups.yaml"))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(groups), "kind: VirtualService"))
}

// readmeCommands returns the command lines of the first ```sh block after heading, with
// backslash continuations joined.
func readmeCommands(readme, heading string) ([]string, error) {
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		return nil, fmt.Errorf("README has no %q section", heading)
	}
	rest := readme[i:]
	start := strings.Index(rest, "\n```sh\n")
	if start < 0 {
		return nil, fmt.Errorf("no ```sh block under %q", heading)
	}
	rest = rest[start+len("\n```sh\n"):]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		return nil, fmt.Errorf("the ```sh block under %q is not closed", heading)
	}
	var out []string
	var cur string
	for _, l := range strings.Split(rest[:end], "\n") {
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\")
			continue
		}
		cur += l
		if strings.TrimSpace(cur) != "" {
			out = append(out, strings.TrimSpace(cur))
		}
		cur = ""
	}
	return out, nil
}

// command is one parsed README line: arguments, "> file", a trailing "&" and the "# comment".
type command struct {
	args       []string
	redirect   string
	background bool
	comment    string
}

// parseCommand splits a line the way sh would for the README's simple commands: words, single
// and double quotes, "> file", a final "&" and a trailing comment.
func parseCommand(line string) (command, error) {
	var c command
	var words []string
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\'' || ch == '"':
			j := strings.IndexByte(line[i+1:], ch)
			if j < 0 {
				return c, fmt.Errorf("unclosed %c quote", ch)
			}
			w.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 1
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '#' && !inWord:
			c.comment = strings.TrimSpace(line[i+1:])
			i = len(line)
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	flush()
	for i := 0; i < len(words); i++ {
		switch words[i] {
		case ">":
			if i+1 >= len(words) {
				return c, fmt.Errorf("> without a file")
			}
			c.redirect = words[i+1]
			i++
		case "&":
			if i != len(words)-1 {
				return c, fmt.Errorf("& before the end of the line")
			}
			c.background = true
		default:
			c.args = append(c.args, words[i])
		}
	}
	if len(c.args) == 0 {
		return c, fmt.Errorf("no command")
	}
	return c, nil
}

func TestParseCommandSplitsLikeTheShellForTheREADMEsCommands(t *testing.T) {
	tests := []struct {
		line string
		want command
	}{
		{"bin/laneway build tenantroute      # dist/tenantroute.wasm", command{args: []string{"bin/laneway", "build", "tenantroute"}, comment: "dist/tenantroute.wasm"}},
		{"registry serve packager/examples/registry.yml &   # a registry", command{args: []string{"registry", "serve", "packager/examples/registry.yml"}, background: true, comment: "a registry"}},
		{"bin/laneway routes -f x.yaml > out.yaml", command{args: []string{"bin/laneway", "routes", "-f", "x.yaml"}, redirect: "out.yaml"}},
		{"curl -s -H 'baggage: laneway-tenant=sbx-1' http://h/   # prints svc-b", command{args: []string{"curl", "-s", "-H", "baggage: laneway-tenant=sbx-1", "http://h/"}, comment: "prints svc-b"}},
		{`echo "a # b"#c`, command{args: []string{"echo", "a # b#c"}}},
	}
	for _, tc := range tests {
		got, err := parseCommand(tc.line)
		require.NoError(t, err, tc.line)
		assert.Equal(t, tc.want, got, tc.line)
	}
	for _, bad := range []string{"curl 'x", "a & b", "a >", "# only a comment"} {
		_, err := parseCommand(bad)
		assert.Error(t, err, bad)
	}
}

// checkCurl runs a README curl line (-s, -H) with net/http and compares the body with the
// line's "# prints X" comment.
func checkCurl(t *testing.T, c command) {
	t.Helper()
	var url string
	hdr := http.Header{}
	for i := 1; i < len(c.args); i++ {
		switch a := c.args[i]; {
		case a == "-s":
		case a == "-H" && i+1 < len(c.args):
			k, v, ok := strings.Cut(c.args[i+1], ":")
			require.True(t, ok, "curl -H %q", c.args[i+1])
			hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			i++
		case url == "" && strings.HasPrefix(a, "http://"):
			url = a
		default:
			t.Fatalf("curl argument %q is not one this test understands", a)
		}
	}
	want, ok := strings.CutPrefix(c.comment, "prints ")
	require.True(t, ok, "a README curl line ends with `# prints <expected body>`: %v", c.args)
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header = hdr
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, want, strings.TrimSpace(string(body)), "curl %v", c.args)
}

// waitListening waits until every mapped port named in the line, or in a file it names, accepts
// connections; it fails when the process exits first or after three minutes (go run compiles).
func waitListening(ports []string, line, root string, args []string, exited <-chan struct{}) error {
	text := line
	for _, a := range args {
		if b, err := os.ReadFile(filepath.Join(root, a)); err == nil {
			text += "\n" + string(b)
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for _, p := range ports {
		if !regexp.MustCompile(`:` + p + `\b`).MatchString(text) {
			continue
		}
		for {
			conn, err := net.DialTimeout("tcp", "127.0.0.1:"+p, time.Second)
			if err == nil {
				_ = conn.Close()
				break
			}
			select {
			case <-exited:
				return fmt.Errorf("%q exited before listening on port %s", line, p)
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%q: nothing listens on port %s after 3 minutes", line, p)
			}
		}
	}
	return nil
}

// bgProcess is a README command run with "&".
type bgProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// stop ends the command and its children (go run starts the program as a child): SIGINT first,
// as Ctrl-C would, then SIGKILL.
func (b bgProcess) stop() {
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-b.exited:
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	<-b.exited
}

func copyExamples(t *testing.T, src, dst string, r *strings.Replacer) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, []byte(r.Replace(string(b))), 0o644)
	}))
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}
