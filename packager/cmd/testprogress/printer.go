package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent plus the build events of Go >= 1.24).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// line is one line of a package's output, with the test it belongs to ("" for the package itself).
type line struct{ test, text string }

// testState is what the printer knows about one test (or subtest) of a running package.
type testState struct {
	started time.Time
	paused  bool
	done    bool
	failed  bool
}

// pkgState is a package whose test binary has started and not yet finished.
type pkgState struct {
	started time.Time
	lines   []line
	tests   map[string]*testState
	order   []string // test names in the order they first appeared
}

// printer turns the events of `go test -json` back into what `go test` prints without -v: the ok, FAIL
// and ? line of each package, the output of failed tests (in the order `go test -v` shows it), build
// errors, and a closing FAIL when a package failed. It adds a heartbeat line on the progress writer when
// nothing was printed for `every`.
type printer struct {
	out, progress io.Writer
	every         time.Duration
	begun, last   time.Time
	pkgs          map[string]*pkgState
	ok, failed    int
	noTests       int
}

func newPrinter(out, progress io.Writer, every time.Duration, now time.Time) *printer {
	return &printer{out: out, progress: progress, every: every, begun: now, last: now, pkgs: map[string]*pkgState{}}
}

// stdoutLine handles one line of go test's standard output, received at now.
func (p *printer) stdoutLine(text string, now time.Time) {
	var e event
	if !strings.HasPrefix(text, "{") || json.Unmarshal([]byte(text), &e) != nil || e.Action == "" {
		p.print(p.out, text+"\n", now) // not an event (go test printed it itself): pass it on unchanged
		return
	}
	switch e.Action {
	case "build-output":
		p.print(p.out, e.Output, now)
		return
	case "build-fail":
		return
	}
	if e.Package == "" {
		return
	}
	ps := p.pkgs[e.Package]
	if ps == nil {
		ps = &pkgState{started: now, tests: map[string]*testState{}}
		p.pkgs[e.Package] = ps
	}
	if e.Test != "" {
		p.testEvent(ps, e, now)
		return
	}
	switch e.Action {
	case "output":
		ps.lines = append(ps.lines, line{text: e.Output})
	case "pass", "skip":
		p.finish(e.Package, ps, false, now)
		if e.Action == "skip" {
			p.noTests++
		} else {
			p.ok++
		}
	case "fail":
		p.finish(e.Package, ps, true, now)
		p.failed++
	}
}

func (p *printer) testEvent(ps *pkgState, e event, now time.Time) {
	ts := ps.tests[e.Test]
	if ts == nil {
		ts = &testState{started: now}
		ps.tests[e.Test] = ts
		ps.order = append(ps.order, e.Test)
	}
	switch e.Action {
	case "output":
		ps.lines = append(ps.lines, line{test: e.Test, text: e.Output})
	case "pause":
		ts.paused = true
	case "cont":
		ts.paused = false
	case "pass", "skip":
		ts.done = true
	case "fail":
		ts.done, ts.failed = true, true
	}
}

// finish prints a package's result as go test does. For a pass: its own lines (the ok line). For a
// failure: each failed or unfinished test in the order they started, its "--- FAIL" line first and then its
// output, indented by its depth as go test does without -v; then the package's own lines (FAIL, the FAIL line).
func (p *printer) finish(pkg string, ps *pkgState, failed bool, now time.Time) {
	delete(p.pkgs, pkg)
	var b strings.Builder
	if failed {
		byTest := map[string][]string{}
		for _, l := range ps.lines {
			if l.test != "" && !isFraming(l.text) {
				byTest[l.test] = append(byTest[l.test], l.text)
			}
		}
		for _, name := range ps.order {
			if ts := ps.tests[name]; ts.done && !ts.failed {
				continue
			}
			indent := strings.Repeat("    ", ps.depth(name))
			texts := byTest[name]
			for _, t := range texts {
				if strings.HasPrefix(t, "--- FAIL: ") {
					b.WriteString(indent + t)
				}
			}
			for _, t := range texts {
				if !strings.HasPrefix(t, "--- FAIL: ") {
					b.WriteString(indent + t)
				}
			}
		}
	}
	for _, l := range ps.lines {
		if l.test == "" && !isFraming(l.text) && (failed || l.text != "PASS\n") {
			b.WriteString(l.text)
		}
	}
	p.print(p.out, b.String(), now)
}

// depth is the number of tests of ps that name is a subtest of.
func (ps *pkgState) depth(name string) int {
	d := 0
	for i := range len(name) {
		if name[i] == '/' && ps.tests[name[:i]] != nil {
			d++
		}
	}
	return d
}

// isFraming reports whether text is one of the lines `go test -v` adds around a test's output.
func isFraming(text string) bool {
	for _, prefix := range []string{"=== RUN ", "=== PAUSE ", "=== CONT ", "=== NAME "} {
		if strings.HasPrefix(text, prefix) {
			return true
		}
	}
	return false
}

// stderrLine passes on one line of go test's standard error (module downloads, its own errors).
func (p *printer) stderrLine(text string, now time.Time) {
	p.print(p.progress, text+"\n", now)
}

// close prints go test's closing FAIL line when a package failed and go test failed.
func (p *printer) close(exitCode int, now time.Time) {
	if exitCode != 0 && p.failed > 0 {
		p.print(p.out, "FAIL\n", now)
	}
}

func (p *printer) print(w io.Writer, s string, now time.Time) {
	if s == "" {
		return
	}
	_, _ = io.WriteString(w, s)
	p.last = now
}

// tick prints a heartbeat on the progress writer when nothing was printed for `every`: the time so far,
// the packages done, and the tests running now with how long they have run.
func (p *printer) tick(now time.Time) {
	if now.Sub(p.last) < p.every {
		return
	}
	var running []string
	for _, name := range sortedKeys(p.pkgs) {
		ps := p.pkgs[name]
		var tests []string
		paused := 0
		for _, tn := range sortedKeys(ps.tests) {
			ts := ps.tests[tn]
			switch {
			case ts.done || strings.Contains(tn, "/"):
			case ts.paused:
				paused++
			default:
				tests = append(tests, fmt.Sprintf("%s %s", tn, roundDuration(now.Sub(ts.started))))
			}
		}
		desc := strings.Join(tests, ", ")
		if paused > 0 {
			desc = strings.TrimPrefix(desc+fmt.Sprintf(", %d parallel test(s) waiting", paused), ", ")
		}
		if desc == "" {
			desc = "starting"
		}
		running = append(running, fmt.Sprintf("%s (%s)", name, desc))
	}
	// go test reports packages in order, so packages after the one it waits for may already be
	// compiling or running without a word yet.
	state := "waiting for the next package's results (go test reports packages in order; it may be compiling or running)"
	if len(running) > 0 {
		state = "running " + strings.Join(running, "; ")
	}
	p.print(p.progress, fmt.Sprintf("[testprogress %s] %d package(s) done (%d ok, %d FAIL, %d without tests); %s\n",
		roundDuration(now.Sub(p.begun)), p.ok+p.failed+p.noTests, p.ok, p.failed, p.noTests, state), now)
}

func roundDuration(d time.Duration) time.Duration { return d.Round(time.Second) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
