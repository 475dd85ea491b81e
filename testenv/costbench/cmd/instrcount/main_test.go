package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/testenv/costbench"
	"github.com/laneway/laneway/testenv/testenvtest"
)

const routedCase = `{"Name": "tenantroute/sidecar-routed", "Module": "tenantroute", "Config": "", "Props": {},
 "Req": [[":method", "GET"], [":authority", "svc-b.shop.svc.cluster.local:8080"], [":path", "/api/orders/42"], [":scheme", "http"],
  ["baggage", "userid=42,laneway-tenant=sbx-1"]], "Resp": [[":status", "200"]]}`

func TestDiffs(t *testing.T) {
	named := func(fs ...funcCount) profile { return profile{named: true, funcs: fs} }
	stripped := func(fs ...funcCount) profile { return profile{funcs: fs} }
	cases := []struct {
		name string
		a, b profile
		want []funcDiff
	}{
		{"identical", named(funcCount{1, "f", 10}), named(funcCount{1, "f", 10}), nil},
		{"by name when both have names, largest difference first",
			named(funcCount{1, "f", 10}, funcCount{2, "g", 5}, funcCount{3, "gone", 1}),
			named(funcCount{7, "f", 12}, funcCount{8, "g", 1}, funcCount{9, "new", 3}),
			[]funcDiff{{"g", 5, 1}, {"new", 0, 3}, {"f", 10, 12}, {"gone", 1, 0}}},
		{"by index, under the known name, when one has none",
			stripped(funcCount{1, "func[1]", 10}, funcCount{2, "func[2]", 4}),
			named(funcCount{1, "f", 10}, funcCount{2, "g", 6}),
			[]funcDiff{{"g", 4, 6}}},
		{"by index when neither has names",
			stripped(funcCount{1, "func[1]", 10}), stripped(funcCount{2, "func[2]", 10}),
			[]funcDiff{{"func[1]", 10, 0}, {"func[2]", 0, 10}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, diffs(c.a, c.b))
		})
	}
}

func TestPrintExchanges(t *testing.T) {
	tr := profile{file: "tenantroute.wasm", named: true, perStream: 300, bulk: 2, funcs: []funcCount{{5, "scan", 200}, {6, "decide", 75}, {7, "small", 25}}}
	cpp := profile{file: "cpp-tenantroute.wasm", perStream: 100.5, funcs: []funcCount{{30, "func[30]", 100.5}}}
	cases := []struct {
		name string
		rs   []exchangeResult
		want []string
	}{
		{"with the C++ peer", []exchangeResult{{"tenantroute-routed", []moduleResult{{"tenantroute", tr}, {"cpp-tenantroute", cpp}}}}, []string{
			"## tenantroute-routed\n",
			"### tenantroute-routed: tenantroute (tenantroute.wasm)\n\n300 Wasm instructions per stream (2 of them memory.copy or memory.fill), in 3 functions.\n",
			"| `scan` | 200 | 66.7% |\n| `decide` | 75 | 25.0% |\n| (1 more functions) | 25 | 8.3% |\n",
			"100.5 Wasm instructions per stream (0 of them memory.copy or memory.fill), in 1 functions.",
			"| module | Wasm instructions per stream | x cpp-tenantroute | memory.copy/fill per stream |\n|---|---:|---:|---:|\n| tenantroute | 300 | 2.99 | 2 |\n| cpp-tenantroute | 100.5 | 1.00 | 0 |\n",
		}},
		{"without", []exchangeResult{{"all-roles", []moduleResult{{"combined", tr}}}}, []string{"| combined | 300 | - | 2 |\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			printExchanges(&b, c.rs, 2)
			for _, w := range c.want {
				assert.Contains(t, b.String(), w)
			}
		})
	}
}

func TestPrintAB(t *testing.T) {
	a := profile{file: "a.wasm", named: true, perStream: 200, bulk: 1.5, funcs: []funcCount{{1, "f", 150}, {2, "g", 40}, {3, "h", 10}}}
	b := profile{file: "b.wasm", named: true, perStream: 150, funcs: []funcCount{{1, "f", 110}, {2, "g", 30}, {3, "h", 10}}}
	var out bytes.Buffer
	printAB(&out, []abResult{{"changed", a, b}, {"same", a, a}}, 1)
	for _, w := range []string{
		"| changed | 200 | 150 | 0.750 | 1.5 | 0 |\n| same | 200 | 200 | 1.000 | 1.5 | 1.5 |\n",
		"### changed: A a.wasm, B b.wasm\n\n| function | A | B | B-A |\n|---|---:|---:|---:|\n| `f` | 150 | 110 | -40.0 |\n| (1 more functions) | | | -10.0 |\n",
		"### same: A a.wasm, B a.wasm\n\nNo function's count differs.\n",
	} {
		assert.Contains(t, out.String(), w)
	}
}

// distDir is the folder make build writes the modules to.
func distDir(t *testing.T) string { return filepath.Dir(testenvtest.DistPath(t, "tenantroute")) }

// quick counts few streams, and the tests share one compilation cache (the instrumented module compiles once).
var quick = settings{warmup: 500, streams: 500, top: 10, progress: io.Discard, cache: wazero.NewCompilationCache()}

// TestProfileExchangesRunsTheGoModules runs tenantroute-routed on the built tenantroute (make build): the
// profile is consistent (functions sum to the total, largest first).
func TestProfileExchangesRunsTheGoModules(t *testing.T) {
	testenvtest.DistModule(t, "tenantroute") // fails with the fix when dist/ was not built
	set := quick
	set.only = []string{"tenantroute-routed"}
	rs, err := profileExchanges(context.Background(), distDir(t), "", set)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Len(t, rs[0].modules, 1, "no peers without -peers")
	m := rs[0].modules[0]
	assert.Equal(t, "tenantroute", m.name)
	assert.Greater(t, m.perStream, 1000.0)
	var sum float64
	for i, f := range m.funcs {
		sum += f.n
		if i > 0 {
			assert.GreaterOrEqual(t, m.funcs[i-1].n, f.n, "largest first")
		}
	}
	assert.InDelta(t, m.perStream, sum, 1e-6)

	set.only = []string{"tenantroute-routd"}
	_, err = profileExchanges(context.Background(), distDir(t), "", set)
	assert.ErrorContains(t, err, `no exchange "tenantroute-routd"`)
}

// TestCountChecksTheRouting: a module that leaves another tenant than expected is an error.
func TestCountChecksTheRouting(t *testing.T) {
	c, err := newCounter(context.Background(), quick)
	require.NoError(t, err)
	defer c.close(context.Background())
	_, err = c.count(context.Background(), filepath.Join(distDir(t), "tenantroute.wasm"),
		scenario{req: costbench.PeerRequest("userid=42,laneway-tenant=sbx-1"), tenant: "sbx-2", checkTenant: true})
	assert.ErrorContains(t, err, `x-laneway-tenant is "sbx-1", expected "sbx-2"`)
}

// TestProfileABOfOneBuildIsEven compares the built tenantroute with itself (a folder against the file):
// B/A is exactly 1 and no function differs.
func TestProfileABOfOneBuildIsEven(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cases.json")
	require.NoError(t, os.WriteFile(path, []byte(`[`+routedCase+`]`), 0o644))
	cs, err := costbench.ReadCases(path)
	require.NoError(t, err)
	dist := distDir(t)
	rs, err := profileAB(context.Background(), dist, filepath.Join(dist, "tenantroute.wasm"), cs, quick)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Greater(t, rs[0].a.perStream, 1000.0)
	assert.Equal(t, rs[0].a.perStream, rs[0].b.perStream)
	assert.Empty(t, diffs(rs[0].a, rs[0].b))

	set := quick
	set.only = []string{"absent"}
	_, err = profileAB(context.Background(), dist, dist, cs, set)
	assert.ErrorContains(t, err, `no case "absent"`)
}
