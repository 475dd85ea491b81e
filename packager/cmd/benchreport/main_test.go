package main

import (
	"bytes"
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
	require.NoError(t, run(strings.NewReader(in), &out, t.TempDir()))
	s := out.String()
	assert.Contains(t, s, "| cpu | Test CPU @ 2.0GHz |")
	assert.Contains(t, s, "## github.com/laneway/laneway/tenantroute")
	assert.Contains(t, s, "| BenchmarkCost/wasm | 10000 | 12000 ns/op, 1.20 x-noop, 4.10 entry-units, 512 B/op, 3 allocs/op |")
}

func TestReportRefusesInputWithoutBenchmarks(t *testing.T) {
	err := run(strings.NewReader("PASS\nok pkg 0.1s\n"), &bytes.Buffer{}, t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no benchmark results")
}

func TestReportFailsWhenABenchmarkFailed(t *testing.T) {
	in := "pkg: p\nBenchmarkX-2 1 5 ns/op\n--- FAIL: BenchmarkY\n"
	var out bytes.Buffer
	err := run(strings.NewReader(in), &out, t.TempDir())
	require.Error(t, err)
	assert.Contains(t, out.String(), "--- FAIL: BenchmarkY")
}
