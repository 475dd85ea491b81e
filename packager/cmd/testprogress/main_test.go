package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleModule is a module whose packages show every kind of result go test prints.
var sampleModule = map[string]string{
	"go.mod": "module sample\n\ngo 1.24\n",
	"pass/pass_test.go": `package pass
import "testing"
func TestPasses(t *testing.T) { t.Log("a log line go test hides for a passing test") }
func TestParallel(t *testing.T) { t.Parallel() }
`,
	"fail/fail_test.go": `package fail
import "testing"
func TestPasses(t *testing.T) { t.Log("hidden") }
func TestFails(t *testing.T) {
	t.Run("passing subtest", func(t *testing.T) { t.Log("hidden too") })
	t.Run("failing subtest", func(t *testing.T) { t.Error("the reason it failed") })
}
`,
	"panics/panics_test.go": `package panics
import "testing"
func TestPanics(t *testing.T) { t.Log("before the panic"); panic("the panic message") }
`,
	"broken/broken_test.go": `package broken
import "testing"
func TestBroken(t *testing.T) { unused := 1 }
`,
	"notests/notests.go": "package notests\n",
}

func writeModule(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

// resultLines keeps the lines CI reads (package results, test failures, panics, build errors) with
// timings replaced and indentation kept, so two runs of the same tests compare equal.
func resultLines(out string) []string {
	timing := regexp.MustCompile(`\d+\.\d+s`)
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(l)
		for _, prefix := range []string{"ok ", "FAIL", "?   ", "--- FAIL", "panic:", "fail_test.go:", "panics_test.go:", "broken_test.go:"} {
			if strings.HasPrefix(trimmed, prefix) {
				keep = append(keep, timing.ReplaceAllString(l, "T"))
				break
			}
		}
	}
	return keep
}

// packageBlocks groups result lines into one block per package, each ending with the package's result line
// (ok, FAIL or ?); go test's closing FAIL is a block of its own.
func packageBlocks(lines []string) []string {
	var blocks []string
	var cur []string
	for _, l := range lines {
		cur = append(cur, l)
		if strings.HasPrefix(l, "ok  \t") || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "?   \t") {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	if len(cur) > 0 {
		blocks = append(blocks, strings.Join(cur, "\n"))
	}
	return blocks
}

func TestPrintsWhatGoTestPrintsAndExitsWithItsStatus(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "this test runs the go command")
	cases := []struct {
		name     string
		files    map[string]string
		wantCode int
		want     []string // lines that must appear in this order
	}{
		{"every kind of result", sampleModule, 1, []string{
			"FAIL\tsample/broken [build failed]",
			"--- FAIL: TestFails (T)",
			"    --- FAIL: TestFails/failing_subtest (T)",
			"        fail_test.go:6: the reason it failed",
			"FAIL\tsample/fail\tT",
			"?   \tsample/notests\t[no test files]",
			"--- FAIL: TestPanics (T)",
			"    panics_test.go:3: before the panic",
			"panic: the panic message [recovered, repanicked]",
			"FAIL\tsample/panics\tT",
			"ok  \tsample/pass\tT",
			"FAIL",
		}},
		{"all passing", map[string]string{"go.mod": sampleModule["go.mod"], "pass/pass_test.go": sampleModule["pass/pass_test.go"]}, 0,
			[]string{"ok  \tsample/pass\tT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(writeModule(t, c.files))
			plain := exec.Command(goBin, "test", "-count=1", "./...")
			var plainOut bytes.Buffer
			plain.Stdout, plain.Stderr = &plainOut, &plainOut
			err := plain.Run()
			plainCode := 0
			if err != nil {
				plainCode = plain.ProcessState.ExitCode()
			}
			require.Equal(t, c.wantCode, plainCode, "go test itself: %s", plainOut.String())

			var out, progress bytes.Buffer
			var events bytes.Buffer
			code := run(goBin, []string{"-count=1", "./..."}, time.Minute, &out, &progress, &events)
			assert.Equal(t, plainCode, code, "the exit status is go test's")
			got := resultLines(out.String())
			// Package by package: go test prints a package without tests when its action ends, so where its line
			// falls among the others depends on timing, in go test's own output as in ours.
			assert.ElementsMatch(t, packageBlocks(resultLines(plainOut.String())), packageBlocks(got),
				"the same result lines as go test; ours:\n%s\ngo test's:\n%s", out.String(), plainOut.String())
			assert.Subset(t, got, c.want)
			assert.Equal(t, c.want[len(c.want)-1], got[len(got)-1], "go test's closing line comes last")
			assert.NotContains(t, out.String(), "hidden", "output of passing tests stays hidden, as go test hides it")
			assert.NotContains(t, out.String(), "=== RUN", "no -v framing")
			assert.Contains(t, events.String(), `"Action":"run"`, "-save gets go test's events")
			if c.wantCode != 0 {
				assert.Contains(t, out.String(), "the reason it failed", "a failed test's log is shown")
				assert.Contains(t, out.String(), "before the panic", "a panicking test's log is shown")
				assert.Contains(t, out.String(), "declared and not used", "the build error is shown")
			}
		})
	}
}

func TestCannotStartGoIsExit2WithAHint(t *testing.T) {
	var out, progress bytes.Buffer
	code := run(filepath.Join(t.TempDir(), "no-such-go"), []string{"./..."}, time.Minute, &out, &progress, nil)
	assert.Equal(t, 2, code)
	assert.Contains(t, progress.String(), "is Go installed and on PATH (or give -go)?")
}

// ev builds one go test -json line.
func ev(action, pkg, test, output string) string {
	b, err := json.Marshal(event{Action: action, Package: pkg, Test: test, Output: output})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestHeartbeatNamesRunningTestsWhenNothingWasPrinted(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		at    int
		event string // a go test -json line, or "" for a tick
		want  string // what the tick prints on the progress writer ("" for nothing)
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"before any package reported: waiting", []step{
			{19, "", ""},
			{20, "", "[testprogress 20s] 0 package(s) done (0 ok, 0 FAIL, 0 without tests); waiting for the next package's results (go test reports packages in order; it may be compiling or running)\n"},
			{30, "", ""},
			{40, "", "[testprogress 40s] 0 package(s) done (0 ok, 0 FAIL, 0 without tests); waiting for the next package's results (go test reports packages in order; it may be compiling or running)\n"},
		}},
		{"a long test is named with its running time; subtests and finished tests are not", []step{
			{1, ev("start", "m/a", "", ""), ""},
			{2, ev("run", "m/a", "TestQuick", ""), ""},
			{2, ev("pass", "m/a", "TestQuick", ""), ""},
			{3, ev("run", "m/a", "TestSoak", ""), ""},
			{4, ev("run", "m/a", "TestSoak/sub", ""), ""},
			{5, ev("start", "m/b", "", ""), ""},
			{25, "", "[testprogress 25s] 0 package(s) done (0 ok, 0 FAIL, 0 without tests); running m/a (TestSoak 22s); m/b (starting)\n"},
		}},
		{"a finished package prints its result, which resets the heartbeat", []step{
			{1, ev("start", "m/a", "", ""), ""},
			{2, ev("run", "m/a", "TestX", ""), ""},
			{3, ev("pass", "m/a", "TestX", ""), ""},
			{4, ev("output", "m/a", "", "ok  \tm/a\t1.0s\n"), ""},
			{15, ev("pass", "m/a", "", ""), ""},
			{30, "", ""},
			{35, "", "[testprogress 35s] 1 package(s) done (1 ok, 0 FAIL, 0 without tests); waiting for the next package's results (go test reports packages in order; it may be compiling or running)\n"},
		}},
		{"paused parallel tests are counted, not named", []step{
			{1, ev("start", "m/a", "", ""), ""},
			{1, ev("run", "m/a", "TestP1", ""), ""},
			{1, ev("pause", "m/a", "TestP1", ""), ""},
			{1, ev("run", "m/a", "TestP2", ""), ""},
			{1, ev("pause", "m/a", "TestP2", ""), ""},
			{1, ev("run", "m/a", "TestSerial", ""), ""},
			{21, "", "[testprogress 21s] 0 package(s) done (0 ok, 0 FAIL, 0 without tests); running m/a (TestSerial 20s, 2 parallel test(s) waiting)\n"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, progress bytes.Buffer
			p := newPrinter(&out, &progress, 20*time.Second, t0)
			for _, s := range c.steps {
				if s.event != "" {
					p.stdoutLine(s.event, at(s.at))
					continue
				}
				progress.Reset()
				p.tick(at(s.at))
				assert.Equal(t, s.want, progress.String(), "tick at %ds", s.at)
			}
		})
	}
}

func TestLinesThatAreNotEventsArePassedOn(t *testing.T) {
	var out, progress bytes.Buffer
	p := newPrinter(&out, &progress, time.Minute, time.Now())
	p.stdoutLine("not json at all", time.Now())
	p.stdoutLine(`{"no":"action"}`, time.Now())
	p.stderrLine("go: downloading example.com/m v1.0.0", time.Now())
	assert.Equal(t, "not json at all\n{\"no\":\"action\"}\n", out.String())
	assert.Equal(t, "go: downloading example.com/m v1.0.0\n", progress.String())
}

func FuzzPrinterNeverPanics(f *testing.F) {
	f.Add(ev("start", "m/a", "", ""), ev("output", "m/a", "TestX", "x\n"), ev("fail", "m/a", "", ""))
	f.Add(`{"Action":"build-output","ImportPath":"m/a","Output":"# m/a\n"}`, "{", `{"Action":"pass"}`)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var out, progress bytes.Buffer
		now := time.Now()
		p := newPrinter(&out, &progress, time.Second, now)
		for i, l := range []string{a, b, c} {
			p.stdoutLine(l, now.Add(time.Duration(i)*time.Second))
			p.tick(now.Add(time.Duration(i) * time.Second))
		}
		p.close(1, now)
	})
}
