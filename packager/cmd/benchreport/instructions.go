package main

import (
	"fmt"
	"io"
	"strings"
)

// instructionSection writes the executed Wasm instructions per stream of BenchmarkPeers' and BenchmarkCombined's
// contenders (their *-instrs metrics, testenv/costbench/instrcount): the same comparisons as the timed tables,
// in a figure no engine, machine or load changes. Nothing when the run has none.
func instructionSection(out io.Writer, results []result) {
	cell := func(m map[string]float64, k, f string) string {
		if v, ok := m[k]; ok {
			return fmt.Sprintf(f, v)
		}
		return "-"
	}
	var rows []string
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r.name] {
			continue
		}
		seen[r.name] = true
		m, _ := medians(results, r.name)
		_, peer := m["go-instrs"]
		_, combined := m["combined-instrs"]
		switch {
		case peer && strings.HasPrefix(r.name, peerBench):
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | | | | |", strings.TrimPrefix(r.name, peerBench),
				cell(m, "go-instrs", "%.0f"), cell(m, "cpp-instrs", "%.0f"), cell(m, "c-instrs", "%.0f"),
				cell(m, "x-cpp-instrs", "%.2f"), cell(m, "x-c-instrs", "%.2f")))
		case combined && strings.HasPrefix(r.name, combinedBench):
			rows = append(rows, fmt.Sprintf("| %s | | %s | | | | %s | %s | %s | %s |", strings.TrimPrefix(r.name, combinedBench),
				cell(m, "cpp-instrs", "%.0f"), cell(m, "combined-instrs", "%.0f"), cell(m, "separate-instrs", "%.0f"),
				cell(m, "x-separate-instrs", "%.2f"), cell(m, "x-cpp-instrs", "%.2f")))
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(out, "## Executed Wasm instructions per stream\n\n")
	fmt.Fprintf(out, "The same contenders and exchanges as the two tables above, counted instead of timed: each module is "+
		"rewritten by testenv/costbench/instrcount to count the Wasm instructions every function executes (block, loop, "+
		"end and nop left out: they compile to nothing), then runs the exchange after a warm-up; the figure is per full "+
		"stream and does not depend on the engine, the machine or its load. It leaves out what the host does per call "+
		"(the header map, the JS or Go host functions, the engine's entry and exit), which the timed tables include: a "+
		"chain of three VMs pays that three times.\n\n")
	fmt.Fprintf(out, "| exchange | Go | C++ SDK | C | Go/C++ | Go/C | combined, all roles | separate (sum) | combined/separate | combined/C++ |\n")
	fmt.Fprintf(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintln(out, r)
	}
	fmt.Fprintln(out)
}
