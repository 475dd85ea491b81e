package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportListsBenchmarksWithTheirMetricsByPackage(t *testing.T) {
	in := `goos: linux
pkg: github.com/laneway/laneway/tenantroute
cpu: Test CPU @ 2.0GHz
BenchmarkCost/wasm-2   	   10000	     12000 ns/op	   1.20 x-noop	   4.10 entry-units	    512 B/op	       3 allocs/op
PASS
`
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: t.TempDir()}))
	s := out.String()
	assert.Contains(t, s, "| cpu | Test CPU @ 2.0GHz |")
	assert.Contains(t, s, "## github.com/laneway/laneway/tenantroute")
	assert.Contains(t, s, "| BenchmarkCost/wasm | 10000 | 12000 ns/op, 1.20 x-noop, 4.10 entry-units, 512 B/op, 3 allocs/op |")
}

func TestReportRefusesInputWithoutBenchmarks(t *testing.T) {
	err := run(strings.NewReader("PASS\nok pkg 0.1s\n"), &bytes.Buffer{}, options{dist: t.TempDir()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no benchmark results")
}

func TestReportFailsWhenABenchmarkFailed(t *testing.T) {
	in := "pkg: p\nBenchmarkX-2 1 5 ns/op\n--- FAIL: BenchmarkY\n"
	var out bytes.Buffer
	err := run(strings.NewReader(in), &out, options{dist: t.TempDir()})
	require.Error(t, err)
	assert.Contains(t, out.String(), "--- FAIL: BenchmarkY")
}

func TestReportSetsPeersOnBothEnginesSideBySide(t *testing.T) {
	in := `pkg: github.com/laneway/laneway/tenantroute
BenchmarkPeers/noop-stream-2   	  1000	  2000 ns/op	  700.0 c-ns	  1000 cpp-ns	  2000 go-ns	  2.857 x-c	  2.5 x-c-wall	  2.000 x-cpp	  1.9 x-cpp-wall	  592 B/op	  8 allocs/op
BenchmarkPeers/tenantroute-routed-2   	  1000	  5000 ns/op	  2000 c-ns	  3000 cpp-ns	  4200 go-ns	  2.1 x-c	  2.2 x-c-wall	  1.4 x-cpp	  1.45 x-cpp-wall	  1424 B/op	  12 allocs/op
`
	dir := t.TempDir()
	v8 := dir + "/v8.json"
	require.NoError(t, os.WriteFile(v8, []byte(`{"node":"v20","v8":"11.3","flags":["--no-liftoff"],"rounds":5,"rows":[{"name":"noop-stream","go-ns":600,"cpp-ns":400,"c-ns":300,"x-cpp":1.5,"x-cpp-wall":1.6,"x-c":2,"x-c-wall":2.1}]}`), 0o644))
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: dir, v8: v8}))
	s := out.String()
	assert.Contains(t, s, "| noop-stream | wazero (testenv) | 2000 | 1000 | 700 | 2.00 | 1.90 | 2.86 | 2.50 | 1.3 (not met) |")
	assert.Contains(t, s, "| tenantroute-routed | wazero (testenv) | 4200 | 3000 | 2000 | 1.40 | 1.45 | 2.10 | 2.20 | 1.5 (met) |")
	assert.Contains(t, s, "| noop-stream | V8 11.3 (node v20, --no-liftoff) | 600 | 400 | 300 | 1.50 | 1.60 | 2.00 | 2.10 | 1.3 (not met) |")
	assert.NotContains(t, s, "absent")
	assert.NotContains(t, s, "node processes", "one process: no medians over processes to announce")

	require.NoError(t, os.WriteFile(v8, []byte(`{"node":"v20","v8":"11.3","flags":["--no-liftoff"],"rounds":5,"count":5,"processes":5,"rows":[{"name":"noop-stream","go-ns":600,"cpp-ns":400,"c-ns":300,"x-cpp":1.5,"x-cpp-wall":1.6,"x-c":2,"x-c-wall":2.1}]}`), 0o644))
	out.Reset()
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: dir, v8: v8}))
	assert.Contains(t, out.String(), "The V8 figures here and below are the medians of 5 node processes")
}

func TestReportSaysWhenPeersAreAbsent(t *testing.T) {
	in := `pkg: github.com/laneway/laneway/tenantroute
BenchmarkPeers/noop-stream-2   	  1000	  2000 ns/op	  592 B/op	  8 allocs/op
--- BENCH: BenchmarkPeers/noop-stream-2
    peers_bench_test.go:131: peer module cpp-noop.wasm absent: put the peers at X
    peers_bench_test.go:131: peer module cpp-noop.wasm absent: put the peers at X
`
	dir := t.TempDir()
	why := dir + "/v8.absent"
	require.NoError(t, os.WriteFile(why, []byte("node is not installed\n"), 0o644))
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(in), &out, options{dist: dir, v8: dir + "/none.json", v8Absent: why}))
	s := out.String()
	assert.Contains(t, s, "- **absent**: wazero: no peer figures in this run (BenchmarkPeers/noop-stream: peer module cpp-noop.wasm absent: put the peers at X)")
	assert.Contains(t, s, "- **absent**: V8: node is not installed")
	assert.NotContains(t, s, "| exchange |")
}

func TestReportRefusesABrokenV8File(t *testing.T) {
	dir := t.TempDir()
	v8 := dir + "/v8.json"
	require.NoError(t, os.WriteFile(v8, []byte(`{"rows":`), 0o644))
	err := run(strings.NewReader("pkg: p\nBenchmarkX-2 1 5 ns/op\n"), &bytes.Buffer{}, options{dist: dir, v8: v8})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expected the JSON testenv/costbench/v8peers.js writes")
}
