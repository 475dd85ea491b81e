// Command abcompare times two builds of the Go modules against each other and against the C++ SDK peer on
// wazero, in interleaved rounds of one run (costbench.Compare), for every module of the profiling exchanges
// (costbench.Exchanges): is a change to the Go code measurably cheaper?
//
//	go run ./testenv/costbench/cmd/abcompare -old DIR -new DIR [-peers DIR] [-only CASE,...] [-count 3]
//
// Per exchange and module it prints new/old, new/cpp and old/cpp (thread CPU time per full stream; medians
// over the rounds of one comparison, then over -count comparisons).
//
// With -cases FILE it times instead every case of a cases file (costbench.ReadCases: the format of
// testenv/costbench/filter-requests.json, the requests of the filters' BenchmarkCost tables) on -old's and -new's
// build of the case's module, and prints new/old per case (the contenders' order alternates between
// comparisons; -rounds sets the rounds of each).
//
// With -floor it times instead, on tenantroute's routed and baseline requests, the rungs from the C++ SDK peer
// to the Go module in -new, each over the peer: the C peer, the Go no-op, the costprobe fixture up to each step
// of tenantroute's path (none, read, route, edit, clear, count) and tenantroute (fixtures from -fixtures).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/laneway/laneway/testenv/costbench"
)

func main() {
	oldDir := flag.String("old", "", "folder of the modules before the change")
	newDir := flag.String("new", "dist", "folder of the modules after the change")
	peers := flag.String("peers", os.Getenv(costbench.PeersDirEnv), "folder of the C++ SDK peer (empty: new/old only)")
	only := flag.String("only", "", "comma-separated cases (default all): tenantroute-routed, tenantroute-baseline, all-roles")
	count := flag.Int("count", 3, "comparisons per module; each figure is the median")
	floor := flag.Bool("floor", false, "time the rungs from the C++ peer to tenantroute instead (needs -peers)")
	fixtures := flag.String("fixtures", ".build/fixtures", "folder of the noop and costprobe fixtures (-floor)")
	cases := flag.String("cases", "", "JSON file of cases to time instead of the exchanges (see costbench.ReadCases)")
	rounds := flag.Int("rounds", 0, "interleaved rounds per comparison (default costbench's)")
	flag.Parse()
	if *floor {
		if err := runFloor(*newDir, *fixtures, *peers, *count); err != nil {
			fmt.Fprintln(os.Stderr, "abcompare:", err)
			os.Exit(1)
		}
		return
	}
	if *oldDir == "" {
		fmt.Fprintln(os.Stderr, "abcompare: -old DIR is required: the folder of the modules before the change")
		os.Exit(2)
	}
	if *cases != "" {
		if err := runCases(*oldDir, *newDir, *cases, *only, *count, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "abcompare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*oldDir, *newDir, *peers, *only, *count); err != nil {
		fmt.Fprintln(os.Stderr, "abcompare:", err)
		os.Exit(1)
	}
}

func run(oldDir, newDir, peers, only string, count int) error {
	xs, err := costbench.Exchanges()
	if err != nil {
		return err
	}
	fmt.Println("| case | module | new ns | old ns | new/old | new/cpp | old/cpp |\n|---|---|---:|---:|---:|---:|---:|")
	for _, x := range xs {
		if !selected(only, x.Name) {
			continue
		}
		var peer []byte
		for _, m := range x.Modules {
			if strings.Contains(m.Module, "-") && peers != "" {
				if peer, err = os.ReadFile(filepath.Join(peers, m.Module+".wasm")); err != nil {
					return err
				}
			}
		}
		for _, m := range x.Modules {
			if strings.Contains(m.Module, "-") {
				continue
			}
			read := func(dir string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, m.Module+".wasm")) }
			nw, err := read(newDir)
			if err != nil {
				return err
			}
			old, err := read(oldDir)
			if err != nil {
				return err
			}
			cs := []costbench.Contender{{Name: "new", Wasm: nw, PluginConfig: m.Config}, {Name: "old", Wasm: old, PluginConfig: m.Config}}
			if peer != nil {
				cs = append(cs, costbench.Contender{Name: "cpp", Wasm: peer, PluginConfig: "{}"})
			}
			var f [5][]float64
			for k := 0; k < count; k++ {
				c, err := costbench.Compare(context.Background(), costbench.Case{Module: m.Module, PluginConfig: m.Config, Request: x.Request, Response: x.Response}, cs, costbench.CompareOptions{})
				if err != nil {
					return fmt.Errorf("%s/%s: %w", x.Name, m.Name, err)
				}
				f[0], f[1], f[2] = append(f[0], c.Median(0)), append(f[1], c.Median(1)), append(f[2], c.Ratio(0, 1))
				if peer != nil {
					f[3], f[4] = append(f[3], c.Ratio(0, 2)), append(f[4], c.Ratio(1, 2))
				}
			}
			fmt.Printf("| %s | %s | %.0f | %.0f | %.3f | %.2f | %.2f |\n", x.Name, m.Name, costbench.Median(f[0]), costbench.Median(f[1]), costbench.Median(f[2]), costbench.Median(f[3]), costbench.Median(f[4]))
		}
	}
	return nil
}

// selected reports whether -only (a comma-separated list; empty: all) names the case.
func selected(only, name string) bool {
	return only == "" || strings.Contains(","+only+",", ","+name+",")
}

// runCases times every selected case of the cases file on old's and new's build of its module (see -cases).
func runCases(oldDir, newDir, file, only string, count, rounds int) error {
	cs, err := costbench.ReadCases(file)
	if err != nil {
		return err
	}
	fmt.Println("| case | new ns | old ns | new/old | q1-q3 |\n|---|---:|---:|---:|---|")
	for _, fc := range cs {
		if !selected(only, fc.Name) {
			continue
		}
		var wasm [2][]byte // new, old
		for i, dir := range []string{newDir, oldDir} {
			path, err := costbench.ModuleFile(dir, fc.Module)
			if err != nil {
				return fmt.Errorf("%s: %w", fc.Name, err)
			}
			if wasm[i], err = os.ReadFile(path); err != nil {
				return fmt.Errorf("%s: %w", fc.Name, err)
			}
		}
		c := fc.Case()
		var nw, old, ratios []float64
		for k := 0; k < count; k++ {
			cs := []costbench.Contender{{Name: "new", Wasm: wasm[0], PluginConfig: c.PluginConfig}, {Name: "old", Wasm: wasm[1], PluginConfig: c.PluginConfig}}
			n, o := 0, 1
			if k%2 == 1 { // the other order: neither build always runs first in a round
				cs[0], cs[1], n, o = cs[1], cs[0], 1, 0
			}
			cmp, err := costbench.Compare(context.Background(), c, cs, costbench.CompareOptions{Rounds: rounds})
			if err != nil {
				return fmt.Errorf("%s: %w", fc.Name, err)
			}
			nw, old = append(nw, cmp.Median(n)), append(old, cmp.Median(o))
			for r := range cmp.CPU[n] {
				ratios = append(ratios, cmp.CPU[n][r]/cmp.CPU[o][r])
			}
		}
		slices.Sort(ratios)
		q := func(f float64) float64 { return ratios[int(f*float64(len(ratios)-1))] }
		fmt.Printf("| %s | %.0f | %.0f | %.3f | %.3f-%.3f |\n", fc.Name, costbench.Median(nw), costbench.Median(old), costbench.Median(ratios), q(0.25), q(0.75))
	}
	return nil
}

// runFloor times the rungs from the C++ peer to tenantroute on the routed and baseline requests (see -floor).
func runFloor(dist, fixtures, peers string, count int) error {
	if peers == "" {
		return fmt.Errorf("-floor needs -peers: the folder of cpp-tenantroute.wasm and c-tenantroute.wasm")
	}
	xs, err := costbench.Exchanges()
	if err != nil {
		return err
	}
	type rung struct{ name, file, config string }
	rungs := []rung{
		{"cpp-tenantroute", filepath.Join(peers, "cpp-tenantroute.wasm"), "{}"},
		{"c-tenantroute", filepath.Join(peers, "c-tenantroute.wasm"), "{}"},
		{"go noop", filepath.Join(fixtures, "noop.wasm"), "{}"},
	}
	for _, st := range []string{"none", "read", "route", "edit", "clear", "count"} {
		rungs = append(rungs, rung{"costprobe upTo " + st, filepath.Join(fixtures, "costprobe.wasm"), `{"upTo":"` + st + `"}`})
	}
	rungs = append(rungs, rung{"tenantroute", filepath.Join(dist, "tenantroute.wasm"), ""})
	for _, x := range xs {
		if !strings.HasPrefix(x.Name, "tenantroute-") {
			continue
		}
		var cs []costbench.Contender
		for _, r := range rungs {
			b, err := os.ReadFile(r.file)
			if err != nil {
				return err
			}
			cs = append(cs, costbench.Contender{Name: r.name, Wasm: b, PluginConfig: r.config})
		}
		ns, xc := make([][]float64, len(cs)), make([][]float64, len(cs))
		for k := 0; k < count; k++ {
			c, err := costbench.Compare(context.Background(), costbench.Case{Module: "tenantroute", Request: x.Request, Response: x.Response}, cs, costbench.CompareOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", x.Name, err)
			}
			for i := range cs {
				ns[i] = append(ns[i], c.Median(i))
				xc[i] = append(xc[i], c.Ratio(i, 0))
			}
		}
		fmt.Printf("\n### %s: rungs over the C++ SDK peer (thread CPU per stream, median of %d comparisons)\n\n| module | ns/stream | x cpp |\n|---|---:|---:|\n", x.Name, count)
		for i, r := range rungs {
			fmt.Printf("| %s | %.0f | %.2f |\n", r.name, costbench.Median(ns[i]), costbench.Median(xc[i]))
		}
	}
	return nil
}
