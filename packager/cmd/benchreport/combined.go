package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The benchmarks (testenv/costbench) that set the combined laneway module against the three separate modules.
const (
	combinedBench     = "BenchmarkCombined/"
	memoryVersus      = "BenchmarkLinearMemory/combined-vs-separate"
	coldStartPrefix   = "BenchmarkColdStartPhases/"
	coldStartVersus   = coldStartPrefix + "combined-vs-separate"
	combinedModule    = "laneway"
	memoryTarget      = 0.4
	separateTarget    = 0.5
	combinedCPPTarget = 2.0
)

// separateModules are the modules the combined one replaces, in its role order.
var separateModules = []string{"synthetic", "shadowtag", "tenantroute"}

// medians merges the results of one benchmark run several times (go test -count N) into one figure per
// metric, the median of the runs, and says how many runs there were.
func medians(results []result, name string) (map[string]float64, int) {
	var runs []map[string]float64
	for _, r := range results {
		if r.name != name {
			continue
		}
		m := map[string]float64{}
		for _, kv := range r.metrics {
			if v, err := strconv.ParseFloat(kv[0], 64); err == nil {
				m[kv[1]] = v
			}
		}
		runs = append(runs, m)
	}
	if len(runs) == 0 {
		return nil, 0
	}
	out := map[string]float64{}
	for k := range runs[0] {
		var vs []float64
		for _, r := range runs {
			if v, ok := r[k]; ok {
				vs = append(vs, v)
			}
		}
		out[k] = medianOf(vs)
	}
	return out, len(runs)
}

func medianOf(a []float64) float64 {
	b := append([]float64(nil), a...)
	sort.Float64s(b)
	m := len(b) / 2
	if len(b)%2 == 1 {
		return b[m]
	}
	return (b[m-1] + b[m]) / 2
}

func verdict(x, target float64) string {
	if x <= target {
		return fmt.Sprintf("%.1f (met)", target)
	}
	return fmt.Sprintf("%.1f (not met)", target)
}

// combinedSection writes the combined module's rows: per request against the separate chain and the C++ peer
// on both engines, linear memory, cold start. Nothing when the run has none of them.
func combinedSection(out io.Writer, results []result, notes []string, o options) error {
	v8, _, err := readV8(o)
	if err != nil {
		return err
	}
	var names []string
	for _, r := range results {
		if strings.HasPrefix(r.name, combinedBench) && !slices.Contains(names, r.name) {
			names = append(names, r.name)
		}
	}
	mem, memRuns := medians(results, memoryVersus)
	cold, coldRuns := medians(results, coldStartVersus)
	if len(names) == 0 && mem == nil && cold == nil && (v8 == nil || len(v8.Combined) == 0) {
		return nil
	}
	fmt.Fprintf(out, "## Combined module (laneway) vs the three separate modules\n\n")
	fmt.Fprintf(out, "One request that exercises every role (testenv/costbench/combined.json: a tenant tenantroute routes, an ordinary GET "+
		"shadowtag passes, no synthetic marker) on the combined module with all three roles configured, on the three separate "+
		"modules as one filter chain (each stream through each, in the combined module's role order: their sum), and on the "+
		"C++ SDK tenantroute peer (tenantroute's common path only); each checked to set the tenant, clear the route cache once "+
		"and raise every role's counter before it is timed. Interleaved rounds in one run, median of the per-round ratios, ns "+
		"the thread's CPU time per full stream. Where a benchmark ran several times (-count), each figure is the median of the runs.\n\n")
	fmt.Fprintf(out, "| exchange | engine | runs | combined ns | separate (sum) ns | C++ ns | combined/separate | wall | target | combined/C++ | wall | target |\n")
	fmt.Fprintf(out, "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|\n")
	row := func(name, engine string, runs int, m map[string]float64) {
		cpp, cppWall, cppTarget := "-", "-", "C++ peer absent"
		if _, ok := m["x-cpp"]; ok {
			cpp, cppWall, cppTarget = fmt.Sprintf("%.2f", m["x-cpp"]), fmt.Sprintf("%.2f", m["x-cpp-wall"]), verdict(m["x-cpp"], combinedCPPTarget)
		}
		cppNs := "-"
		if v, ok := m["cpp-ns"]; ok {
			cppNs = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(out, "| %s | %s | %d | %.0f | %.0f | %s | %.2f | %.2f | %s | %s | %s | %s |\n", name, engine, runs,
			m["combined-ns"], m["separate-ns"], cppNs, m["x-separate"], m["x-separate-wall"], verdict(m["x-separate"], separateTarget),
			cpp, cppWall, cppTarget)
	}
	for _, n := range names {
		m, runs := medians(results, n)
		if _, ok := m["x-separate"]; ok {
			row(strings.TrimPrefix(n, combinedBench), "wazero (testenv)", runs, m)
		}
	}
	if v8 != nil {
		count := max(v8.Count, 1)
		for _, r := range v8.Combined {
			pr := v8.row(r)
			row(pr.name, fmt.Sprintf("V8 %s (node %s, %s)", v8.V8, v8.Node, strings.Join(v8.Flags, " ")), count, pr.metrics)
		}
	}
	breakdown(out, results, names, v8)
	for _, n := range notes {
		if strings.HasPrefix(n, combinedBench) {
			fmt.Fprintf(out, "\n- note: %s\n", n)
		}
	}
	fmt.Fprintln(out)
	if mem != nil {
		fmt.Fprintf(out, "Linear memory after the streams of BenchmarkLinearMemory on the same request (one VM per module and worker; "+
			"the separate modules are three VMs per worker), median of %d run(s):\n\n", memRuns)
		fmt.Fprintf(out, "| | combined (1 VM) | separate (3 VMs, sum) | combined/separate | target |\n|---|---:|---:|---:|---|\n")
		fmt.Fprintf(out, "| per worker | %.0f KiB | %.0f KiB | %.2f | %s |\n", mem["KiB-combined"], mem["KiB-separate"], mem["x-separate"], verdict(mem["x-separate"], memoryTarget))
		fmt.Fprintf(out, "| Envoy with 2 workers | %.0f KiB | %.0f KiB | %.2f | |\n\n", mem["KiB-2-workers-combined"], mem["KiB-2-workers-separate"], mem["x-separate"])
	}
	if cold != nil {
		fmt.Fprintf(out, "Cold start (BenchmarkColdStartPhases): compiling without a cache, and starting one VM in a host that compiled "+
			"the module (instantiate, _initialize, root context, vm_start, configure), median of %d run(s):\n\n", coldRuns)
		fmt.Fprintf(out, "| module | compile ms | start ms |\n|---|---:|---:|\n")
		for _, mod := range append([]string{combinedModule}, separateModules...) {
			if m, _ := medians(results, coldStartPrefix+mod); m != nil {
				fmt.Fprintf(out, "| %s | %.1f | %.1f |\n", mod, m["compile-ms"], m["start-ms"])
			}
		}
		fmt.Fprintf(out, "| the three separate (sum) | %.1f | %.1f |\n", cold["compile-ms-separate"], cold["start-ms-separate"])
		fmt.Fprintf(out, "| combined/separate | %.2f | %.2f |\n\n", cold["x-separate-compile"], cold["x-separate-start"])
	}
	return nil
}

// breakdown writes where the combined module's time goes, from the same runs: tenantroute alone, the combined
// module with only its tenantroute role, and with all three (rows that have those figures).
func breakdown(out io.Writer, results []result, names []string, v8 *v8Run) {
	type row struct {
		engine string
		m      map[string]float64
	}
	var rows []row
	for _, n := range names {
		if m, _ := medians(results, n); m != nil {
			rows = append(rows, row{"wazero (testenv)", m})
		}
	}
	if v8 != nil {
		for _, r := range v8.Combined {
			rows = append(rows, row{"V8 " + v8.V8, v8.row(r).metrics})
		}
	}
	header := false
	for _, r := range rows {
		m := r.m
		if _, ok := m["combined-tenantroute-ns"]; !ok {
			continue
		}
		if !header {
			fmt.Fprintf(out, "\nWhere the combined module's time goes (same runs): tenantroute alone, the combined module with only its "+
				"tenantroute role (what the module adds to that role), and with all three (what synthetic and shadowtag cost inside it).\n\n")
			fmt.Fprintf(out, "| engine | tenantroute alone ns | combined, tenantroute only ns | combined, all roles ns | separate (sum) ns | combined tenantroute-only / tenantroute alone | synthetic + shadowtag inside the module ns |\n")
			fmt.Fprintf(out, "|---|---:|---:|---:|---:|---:|---:|\n")
			header = true
		}
		fmt.Fprintf(out, "| %s | %.0f | %.0f | %.0f | %.0f | %.2f | %.0f |\n", r.engine, m["tenantroute-ns"], m["combined-tenantroute-ns"],
			m["combined-ns"], m["separate-ns"], m["combined-tenantroute-ns"]/m["tenantroute-ns"], m["combined-ns"]-m["combined-tenantroute-ns"])
	}
}
