// Command benchreport turns `go test -bench` output (stdin) into a markdown report (stdout): the machine's
// details, every benchmark with its metrics, and the module sizes in dist/. Ratios are whatever the
// benchmarks themselves report (x-noop, entry-units, x-native, ...), all measured in the same run.
//
// With -v8 FILE (what testenv/costbench/v8peers.js wrote) it also sets the V8 peer comparison beside the
// wazero one (BenchmarkPeers); -v8-absent FILE holds why the V8 run did not happen, when it did not.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

type result struct {
	pkg, name string
	iters     string
	metrics   [][2]string // value, unit
}

// options are the report's inputs besides the benchmark output.
type options struct {
	dist     string // folder of the built modules (sizes)
	v8       string // JSON from v8peers.js; "" for none
	v8Absent string // file holding why there is no V8 run; "" for none
}

func main() {
	var o options
	flag.StringVar(&o.dist, "dist", "dist", "folder of the built modules")
	flag.StringVar(&o.v8, "v8", "", "JSON written by testenv/costbench/v8peers.js (the V8 peer comparison)")
	flag.StringVar(&o.v8Absent, "v8-absent", "", "file saying why the V8 comparison did not run")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, o options) error {
	var (
		results []result
		pkg     string
		cpu     string
		fails   []string
		notes   []string // "name: message" from the log lines under "--- SKIP: name" and "--- BENCH: name"
		note    string   // the benchmark whose log lines follow, "" for none
	)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "cpu: "):
			cpu = strings.TrimPrefix(line, "cpu: ")
		case strings.HasPrefix(line, "--- SKIP: ") || strings.HasPrefix(line, "--- BENCH: "):
			note = strings.TrimSpace(line[strings.Index(line, ": ")+2:])
			if i := strings.LastIndexByte(note, '-'); i > 0 && strings.Trim(note[i+1:], "0123456789") == "" {
				note = note[:i]
			}
			continue
		case note != "" && strings.HasPrefix(line, "    "):
			msg := strings.TrimSpace(line)
			if i := strings.Index(msg, ": "); i > 0 && strings.Contains(msg[:i], ".go:") {
				msg = msg[i+2:] // drop "file_test.go:12: "
			}
			if n := note + ": " + msg; !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
			continue
		case strings.HasPrefix(line, "--- FAIL") || strings.HasPrefix(line, "FAIL"):
			fails = append(fails, line)
		case strings.HasPrefix(line, "Benchmark"):
			if r, ok := parse(pkg, line); ok {
				results = append(results, r)
			}
		}
		note = ""
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("no benchmark results on stdin (pipe `go test -run '^$' -bench . ./...` into it)")
	}
	fmt.Fprintf(out, "# laneway benchmark report\n\n")
	fmt.Fprintf(out, "| machine | |\n|---|---|\n")
	fmt.Fprintf(out, "| date | %s |\n| go | %s %s/%s |\n| cpu | %s |\n| cores | %d |\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.Version(), runtime.GOOS, runtime.GOARCH, cpu, runtime.NumCPU())
	fmt.Fprintf(out, "Ratios (`x-noop`, `entry-units`, `x-native`, ...) are computed inside each benchmark from baselines measured in the same process, before and after the filter's run (the faster reading is kept, so a burst of load can only make a ratio larger), so they hold across machines better than the absolute times.\n\n")
	if err := peerSection(out, results, notes, o); err != nil {
		return err
	}
	if err := combinedSection(out, results, notes, o); err != nil {
		return err
	}
	instructionSection(out, results)
	if sizes := moduleSizes(o.dist); len(sizes) > 0 {
		fmt.Fprintf(out, "## Module sizes\n\n| module | bytes | MiB |\n|---|---:|---:|\n")
		for _, s := range sizes {
			fmt.Fprintf(out, "| %s | %d | %.2f |\n", s.name, s.size, float64(s.size)/(1<<20))
		}
		fmt.Fprintln(out)
	}
	byPkg := map[string][]result{}
	var pkgs []string
	for _, r := range results {
		if _, ok := byPkg[r.pkg]; !ok {
			pkgs = append(pkgs, r.pkg)
		}
		byPkg[r.pkg] = append(byPkg[r.pkg], r)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		fmt.Fprintf(out, "## %s\n\n| benchmark | iterations | metrics |\n|---|---:|---|\n", p)
		for _, r := range byPkg[p] {
			var ms []string
			for _, m := range r.metrics {
				ms = append(ms, m[0]+" "+m[1])
			}
			fmt.Fprintf(out, "| %s | %s | %s |\n", r.name, r.iters, strings.Join(ms, ", "))
		}
		fmt.Fprintln(out)
	}
	if len(fails) > 0 {
		fmt.Fprintf(out, "## Failures\n\n```\n%s\n```\n", strings.Join(fails, "\n"))
		return fmt.Errorf("%d benchmark failures", len(fails))
	}
	return nil
}

// parse reads "BenchmarkName-2  100  123 ns/op  4 B/op  1 allocs/op  2.5 x-noop".
func parse(pkg, line string) (result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return result{}, false
	}
	r := result{pkg: pkg, name: f[0], iters: f[1]}
	if i := strings.LastIndexByte(r.name, '-'); i > 0 && strings.Trim(r.name[i+1:], "0123456789") == "" {
		r.name = r.name[:i]
	}
	for i := 2; i+1 < len(f); i += 2 {
		r.metrics = append(r.metrics, [2]string{f[i], f[i+1]})
	}
	return r, true
}

type sized struct {
	name string
	size int64
}

func moduleSizes(dist string) []sized {
	files, _ := filepath.Glob(filepath.Join(dist, "*.wasm"))
	var out []sized
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			out = append(out, sized{filepath.Base(f), st.Size()})
		}
	}
	return out
}
