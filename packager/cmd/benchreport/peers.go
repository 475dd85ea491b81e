package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// peerBench is the benchmark whose sub-benchmarks compare the Go modules with their C++ SDK and C peers.
const peerBench = "BenchmarkPeers/"

// peerTargets are issue #20's targets for Go over the C++ SDK peer, by BenchmarkPeers row.
var peerTargets = map[string]float64{"noop-stream": 1.3, "tenantroute-routed": 1.5, "tenantroute-baseline": 1.5}

// peerRow is one exchange on one engine: per-stream nanoseconds and Go's ratios, all from one run.
type peerRow struct {
	name    string
	metrics map[string]float64 // go-ns, cpp-ns, c-ns, x-cpp, x-c, x-cpp-wall, x-c-wall
}

// v8Run is what testenv/costbench/v8peers.js writes.
type v8Run struct {
	Node   string   `json:"node"`
	V8     string   `json:"v8"`
	Flags  []string `json:"flags"`
	Rounds int      `json:"rounds"`
	Count  int      `json:"count"`
	// Processes is how many node processes the figures are the medians of (v8peers.js --processes).
	Processes int              `json:"processes"`
	Rows      []map[string]any `json:"rows"`
	// Combined are the combined module's rows (combined, separate and cpp figures).
	Combined []map[string]any `json:"combined"`
}

// peerSection writes the Go vs C++ SDK vs C table: wazero (BenchmarkPeers) and V8 (v8peers.js) side by side,
// or why either is missing.
func peerSection(out io.Writer, results []result, notes []string, o options) error {
	var wz []peerRow
	for _, r := range results {
		if !strings.HasPrefix(r.name, peerBench) {
			continue
		}
		row := peerRow{name: strings.TrimPrefix(r.name, peerBench), metrics: map[string]float64{}}
		for _, m := range r.metrics {
			if v, err := strconv.ParseFloat(m[0], 64); err == nil {
				row.metrics[m[1]] = v
			}
		}
		if _, ok := row.metrics["x-cpp"]; ok {
			wz = append(wz, row)
		}
	}
	v8, v8Why, err := readV8(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "## Go vs C++ SDK vs C (peers)\n\n")
	fmt.Fprintf(out, "The same exchange on the Go module, the proxy-wasm C++ SDK peer and the hand-written C peer "+
		"(see the peers' README: the C++/C tenantroute peers do the common path only, so they are a lower bound), "+
		"each checked to set the same tenant header and route cache clears before it is timed. Interleaved rounds "+
		"in one run, median of the per-round ratios; ns are the benchmark thread's CPU time per full stream "+
		"(steadier than wall time on a shared machine), `wall` the same ratio by wall clock. Target: Go/C++ at most "+
		"1.3 for the no-op stream, 1.5 for tenantroute.\n\n")
	if v8 != nil && v8.Processes > 1 {
		fmt.Fprintf(out, "The V8 figures here and below are the medians of %d node processes run one after another: on V8 a module's "+
			"time moves from process to process (code placement, the compiler's choices) more than from round to round.\n\n", v8.Processes)
	}
	var why []string
	if len(wz) == 0 {
		why = append(why, "wazero: no peer figures in this run"+absentReason(notes))
	}
	if v8 == nil {
		why = append(why, "V8: "+v8Why)
	}
	for _, w := range why {
		fmt.Fprintf(out, "- **absent**: %s\n", w)
	}
	if len(why) > 0 {
		fmt.Fprintln(out)
	}
	if len(wz) == 0 && v8 == nil {
		return nil
	}
	fmt.Fprintf(out, "| exchange | engine | Go ns | C++ ns | C ns | Go/C++ | Go/C++ wall | Go/C | Go/C wall | target Go/C++ |\n")
	fmt.Fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	rows := func(engine string, rs []peerRow) {
		for _, r := range rs {
			m := r.metrics
			target := "-"
			if t, ok := peerTargets[r.name]; ok {
				verdict := "met"
				if m["x-cpp"] > t {
					verdict = "not met"
				}
				target = fmt.Sprintf("%.1f (%s)", t, verdict)
			}
			fmt.Fprintf(out, "| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %s |\n", r.name, engine,
				m["go-ns"], m["cpp-ns"], m["c-ns"], m["x-cpp"], m["x-cpp-wall"], m["x-c"], m["x-c-wall"], target)
		}
	}
	rows("wazero (testenv)", wz)
	if v8 != nil {
		rows(fmt.Sprintf("V8 %s (node %s, %s)", v8.V8, v8.Node, strings.Join(v8.Flags, " ")), v8.peerRows())
	}
	fmt.Fprintln(out)
	return nil
}

func (v *v8Run) peerRows() []peerRow {
	var out []peerRow
	for _, r := range v.Rows {
		out = append(out, v.row(r))
	}
	return out
}

// row reads one row of the V8 run: its name and numeric figures.
func (v *v8Run) row(r map[string]any) peerRow {
	row := peerRow{metrics: map[string]float64{}}
	for k, x := range r {
		switch val := x.(type) {
		case string:
			if k == "name" {
				row.name = val
			}
		case float64:
			row.metrics[k] = val
		}
	}
	return row
}

// readV8 reads the V8 run, or says why there is none.
func readV8(o options) (*v8Run, string, error) {
	if o.v8 != "" {
		b, err := os.ReadFile(o.v8)
		if err == nil {
			var v v8Run
			if err := json.Unmarshal(b, &v); err != nil {
				return nil, "", fmt.Errorf("reading the V8 comparison %s: %v (expected the JSON testenv/costbench/v8peers.js writes; rerun make bench)", o.v8, err)
			}
			if len(v.Rows) == 0 {
				return nil, "", fmt.Errorf("the V8 comparison %s has no rows (expected one per exchange; rerun make bench)", o.v8)
			}
			return &v, "", nil
		}
	}
	if o.v8Absent != "" {
		if b, err := os.ReadFile(o.v8Absent); err == nil {
			return nil, strings.TrimSpace(string(b)), nil
		}
	}
	return nil, "not run (make bench runs it when node and the v8host folder are present)", nil
}

// absentReason is what BenchmarkPeers logged about the peers, if anything.
func absentReason(notes []string) string {
	for _, n := range notes {
		if strings.HasPrefix(n, peerBench) {
			return " (" + n + ")"
		}
	}
	return ""
}
