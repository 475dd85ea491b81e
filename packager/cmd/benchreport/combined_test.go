package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportSetsTheCombinedModuleAgainstTheSeparateOnesWithMediansOfTheRuns(t *testing.T) {
	in := `pkg: github.com/laneway/laneway/testenv/costbench
BenchmarkCombined/all-roles-2   	  1000	  6000 ns/op	  6000 combined-ns	  16000 separate-ns	  3000 cpp-ns	  0.40 x-separate	  0.41 x-separate-wall	  2.0 x-cpp	  2.1 x-cpp-wall
BenchmarkCombined/all-roles-2   	  1000	  6500 ns/op	  6500 combined-ns	  13000 separate-ns	  3100 cpp-ns	  0.55 x-separate	  0.56 x-separate-wall	  2.2 x-cpp	  2.3 x-cpp-wall
BenchmarkCombined/all-roles-2   	  1000	  9000 ns/op	  9000 combined-ns	  20000 separate-ns	  3500 cpp-ns	  0.45 x-separate	  0.46 x-separate-wall	  2.5 x-cpp	  2.6 x-cpp-wall
BenchmarkLinearMemory/combined-vs-separate-2   	  1	  10 ns/op	  4000 KiB-combined	  12000 KiB-separate	  8000 KiB-2-workers-combined	  24000 KiB-2-workers-separate	  0.3333 x-separate
BenchmarkColdStartPhases/laneway-2   	  1	  10 ns/op	  900 compile-ms	  9 start-ms
BenchmarkColdStartPhases/synthetic-2   	  1	  10 ns/op	  800 compile-ms	  8 start-ms
BenchmarkColdStartPhases/shadowtag-2   	  1	  10 ns/op	  800 compile-ms	  8 start-ms
BenchmarkColdStartPhases/tenantroute-2   	  1	  10 ns/op	  700 compile-ms	  7 start-ms
BenchmarkColdStartPhases/combined-vs-separate-2   	  1	  10 ns/op	  900 compile-ms-combined	  2300 compile-ms-separate	  9 start-ms-combined	  23 start-ms-separate	  0.3913 x-separate-compile	  0.3913 x-separate-start
`
	dir := t.TempDir()
	v8 := dir + "/v8.json"
	require.NoError(t, os.WriteFile(v8, []byte(`{"node":"v20","v8":"11.3","flags":["--no-liftoff"],"rounds":5,"count":3,"rows":[{"name":"noop-stream","go-ns":600,"cpp-ns":400,"c-ns":300,"x-cpp":1.5,"x-cpp-wall":1.6,"x-c":2,"x-c-wall":2.1}],`+
		`"combined":[{"name":"all-roles","combined-ns":2500,"separate-ns":6000,"cpp-ns":1400,"x-separate":0.42,"x-separate-wall":0.43,"x-cpp":1.8,"x-cpp-wall":1.7}]}`), 0o644))
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: dir, v8: v8}))
	s := out.String()
	// medians of the three runs, each figure on its own: 6500 ns, 16000 ns, 3100 ns, 0.45, 0.46, 2.2, 2.3
	assert.Contains(t, s, "| all-roles | wazero (testenv) | 3 | 6500 | 16000 | 3100 | 0.45 | 0.46 | 0.5 (met) | 2.20 | 2.30 | 2.0 (not met) |")
	assert.Contains(t, s, "| all-roles | V8 11.3 (node v20, --no-liftoff) | 3 | 2500 | 6000 | 1400 | 0.42 | 0.43 | 0.5 (met) | 1.80 | 1.70 | 2.0 (met) |")
	assert.NotContains(t, s, "Where the combined module's time goes", "no breakdown figures in this input")
	assert.Contains(t, s, "| per worker | 4000 KiB | 12000 KiB | 0.33 | 0.4 (met) |")
	assert.Contains(t, s, "| Envoy with 2 workers | 8000 KiB | 24000 KiB | 0.33 | |")
	assert.Contains(t, s, "| laneway | 900.0 | 9.0 |")
	assert.Contains(t, s, "| the three separate (sum) | 2300.0 | 23.0 |")
	assert.Contains(t, s, "| combined/separate | 0.39 | 0.39 |")
}

func TestReportLeavesTheCombinedSectionOutWithoutItsBenchmarks(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader("pkg: p\nBenchmarkX-2 1 5 ns/op\n"), &out, options{dist: t.TempDir()}))
	assert.NotContains(t, out.String(), "Combined module")
}

func TestReportSaysWhenTheCPPPeerWasAbsentFromTheCombinedComparison(t *testing.T) {
	in := "pkg: p\nBenchmarkCombined/all-roles-2 1000 6000 ns/op 6000 combined-ns 16000 separate-ns 0.375 x-separate 0.38 x-separate-wall\n"
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: t.TempDir()}))
	assert.Contains(t, out.String(), "| all-roles | wazero (testenv) | 1 | 6000 | 16000 | - | 0.38 | 0.38 | 0.5 (met) | - | - | C++ peer absent |")
}

func TestReportSaysWhereTheCombinedModulesTimeGoes(t *testing.T) {
	in := "pkg: p\nBenchmarkCombined/all-roles-2 1000 6000 ns/op 6000 combined-ns 9000 separate-ns 3000 tenantroute-ns 3600 combined-tenantroute-ns 0.66 x-separate 0.7 x-separate-wall\n"
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: t.TempDir()}))
	assert.Contains(t, out.String(), "| wazero (testenv) | 3000 | 3600 | 6000 | 9000 | 1.20 | 2400 |")
}

func TestReportCountsInstructionsBesideTheTimedComparisons(t *testing.T) {
	in := `pkg: p
BenchmarkPeers/tenantroute-routed-2   	  1	  5000 ns/op	  3127 c-instrs	  5785 cpp-instrs	  11145 go-instrs	  3.564 x-c-instrs	  1.927 x-cpp-instrs	  1.4 x-cpp
BenchmarkPeers/noop-stream-2   	  1	  2000 ns/op	  1.4 x-cpp
BenchmarkCombined/all-roles-2   	  1	  6000 ns/op	  24571 combined-instrs	  29460 separate-instrs	  5785 cpp-instrs	  0.834 x-separate-instrs	  4.247 x-cpp-instrs	  0.6 x-separate
BenchmarkCombined/all-roles-2   	  1	  6000 ns/op	  24571 combined-instrs	  29460 separate-instrs	  5785 cpp-instrs	  0.834 x-separate-instrs	  4.247 x-cpp-instrs	  0.6 x-separate
`
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: t.TempDir()}))
	s := out.String()
	assert.Contains(t, s, "## Executed Wasm instructions per stream")
	assert.Contains(t, s, "| tenantroute-routed | 11145 | 5785 | 3127 | 1.93 | 3.56 | | | | |")
	assert.Contains(t, s, "| all-roles | | 5785 | | | | 24571 | 29460 | 0.83 | 4.25 |")
	assert.NotContains(t, s, "| noop-stream | -", "a row without counts is left out")

	out.Reset()
	require.NoError(t, run(strings.NewReader("pkg: p\nBenchmarkPeers/noop-stream-2 1 5 ns/op 1.4 x-cpp\n"), &out, options{dist: t.TempDir()}))
	assert.NotContains(t, out.String(), "Executed Wasm instructions", "no section without counts")
}
