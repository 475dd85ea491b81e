package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// instructionSection writes the executed Wasm instructions per stream of BenchmarkPeers' and BenchmarkCombined's
// contenders (their *-instrs metrics, testenv/costbench/instrcount): the same comparisons as the timed tables,
// in a figure no engine, machine or load changes. Nothing when the run has none.
func instructionSection(out io.Writer, results []result) {
	var peers, combined []string
	for _, r := range results {
		switch {
		case strings.HasPrefix(r.name, peerBench) && !slices.Contains(peers, r.name):
			peers = append(peers, r.name)
		case strings.HasPrefix(r.name, combinedBench) && !slices.Contains(combined, r.name):
			combined = append(combined, r.name)
		}
	}
	header := false
	start := func() {
		if header {
			return
		}
		header = true
		fmt.Fprintf(out, "## Executed Wasm instructions per stream\n\n")
		fmt.Fprintf(out, "The same contenders and exchanges as the two tables above, counted instead of timed: each module is "+
			"rewritten by testenv/costbench/instrcount to count the Wasm instructions every function executes (block, loop, "+
			"end and nop left out: they compile to nothing), then runs the exchange after a warm-up; the figure is per full "+
			"stream and does not depend on the engine, the machine or its load. It leaves out what the host does per call "+
			"(the header map, the JS or Go host functions, the engine's entry and exit), which the timed tables include: a "+
			"chain of three VMs pays that three times.\n\n")
		fmt.Fprintf(out, "| exchange | Go | C++ SDK | C | Go/C++ | Go/C | combined, all roles | separate (sum) | combined/separate | combined/C++ |\n")
		fmt.Fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	}
	cell := func(m map[string]float64, k, f string) string {
		if v, ok := m[k]; ok {
			return fmt.Sprintf(f, v)
		}
		return "-"
	}
	for _, n := range peers {
		m, _ := medians(results, n)
		if _, ok := m["go-instrs"]; !ok {
			continue
		}
		start()
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | | | | |\n", strings.TrimPrefix(n, peerBench), cell(m, "go-instrs", "%.0f"),
			cell(m, "cpp-instrs", "%.0f"), cell(m, "c-instrs", "%.0f"), cell(m, "x-cpp-instrs", "%.2f"), cell(m, "x-c-instrs", "%.2f"))
	}
	for _, n := range combined {
		m, _ := medians(results, n)
		if _, ok := m["combined-instrs"]; !ok {
			continue
		}
		start()
		fmt.Fprintf(out, "| %s | | %s | | | | %s | %s | %s | %s |\n", strings.TrimPrefix(n, combinedBench), cell(m, "cpp-instrs", "%.0f"),
			cell(m, "combined-instrs", "%.0f"), cell(m, "separate-instrs", "%.0f"), cell(m, "x-separate-instrs", "%.2f"), cell(m, "x-cpp-instrs", "%.2f"))
	}
	if header {
		fmt.Fprintln(out)
	}
}
