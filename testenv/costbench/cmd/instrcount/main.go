// Command instrcount counts the Wasm instructions each module executes per stream, per function, on the
// requests the cost benchmarks time: a profile that does not depend on the engine, the machine or its load
// (package instrcount adds a counter per function; the modules run in testenv on wazero).
//
//	go run ./packager/cmd/wasmbuild -names .build/names    # modules that keep the name section
//	go run ./testenv/costbench/cmd/instrcount [-dist .build/names] [-peers DIR] [-only CASE,...] [-top 15]
//	go run ./testenv/costbench/cmd/instrcount -a DIR|FILE -b DIR|FILE -cases FILE [-only NAME,...] [-top 15]
//
// The first form runs every module of the profiling exchanges (costbench.Exchanges: tenantroute-routed,
// tenantroute-baseline, all-roles; the C++ SDK peer, and the C peer next to it, when -peers holds them; the
// peers are stripped, so their functions read as func[N]). It prints per module the instructions per stream
// and the functions that run the most, then per exchange a summary with each module's ratio to the C++ SDK
// peer. memory.copy and memory.fill are shown apart too (one instruction each, but wazero pays a memmove
// call for them).
//
// The second (A/B) form runs the cases of a JSON file, a list of {"Name", "Module", "Config",
// "Props": {path: value}, "Req": [[k, v], ...], "Resp": [[k, v], ...] or null}, on A's and B's build of each
// case's Module (DIR/<Module>.wasm, or the FILE itself for every case). It prints per case the instructions
// per stream in A and B, B/A, the memory.copy and memory.fill per stream, and the functions whose counts differ the most (matched by name when both
// builds have names, else by index).
//
// Each module is warmed up with 20,000 streams and counted over the next 2,000. Results (markdown) go to
// stdout, progress to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
)

func main() {
	dist := flag.String("dist", ".build/names", "folder of the Go modules (built with wasmbuild -names, or dist/ without function names)")
	peers := flag.String("peers", os.Getenv(costbench.PeersDirEnv), "folder of the C++/C peers (empty: left out)")
	only := flag.String("only", "", "comma-separated exchanges (default all): tenantroute-routed, tenantroute-baseline, all-roles; with -cases, case names")
	top := flag.Int("top", 15, "functions listed per module (per case with -cases)")
	a := flag.String("a", "", "A/B: folder (or one .wasm file) of the A modules")
	b := flag.String("b", "", "A/B: folder (or one .wasm file) of the B modules")
	cases := flag.String("cases", "", "A/B: JSON file of the cases to run")
	runs := flag.String("runs", "", "comma-separated function names counted run by run (each straight-line run listed as NAME@0xOFFSET, the offset wasm-objdump -d prints)")
	flag.Parse()
	ctx := context.Background()
	set := settings{warmup: 20000, streams: 2000, top: *top, only: splitList(*only), runs: splitList(*runs), progress: os.Stderr}
	var err error
	switch {
	case *a == "" && *b == "" && *cases == "":
		var rs []exchangeResult
		if rs, err = profileExchanges(ctx, *dist, *peers, set); err == nil {
			printExchanges(os.Stdout, rs, *top)
		}
	case *a == "" || *b == "" || *cases == "":
		fmt.Fprintf(os.Stderr, "instrcount: the A/B form needs -a, -b and -cases (got -a %q -b %q -cases %q): -a DIR|FILE -b DIR|FILE -cases FILE\n", *a, *b, *cases)
		os.Exit(2)
	default:
		var cs []costbench.FileCase
		if cs, err = costbench.ReadCases(*cases); err == nil {
			var rs []abResult
			if rs, err = profileAB(ctx, *a, *b, cs, set); err == nil {
				printAB(os.Stdout, rs, *top)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "instrcount:", err)
		os.Exit(1)
	}
}

// settings are how a run counts: streams run before counting, streams counted, functions listed, the
// exchanges or cases to run (all when empty), where progress goes, and a compilation cache to share
// (nil: the run's own).
type settings struct {
	warmup, streams, top int
	only, runs           []string
	progress             io.Writer
	cache                wazero.CompilationCache
}

func (s settings) selected(name string) bool {
	return len(s.only) == 0 || slices.Contains(s.only, name)
}

// firstUnknown returns the first name of -only that known does not know, and whether there is one.
func (s settings) firstUnknown(known func(name string) bool) (name string, found bool) {
	for _, n := range s.only {
		if !known(n) {
			return n, true
		}
	}
	return "", false
}

// scenario is one module's configuration and the exchange it runs.
type scenario struct {
	config      string
	props       map[string][]byte
	req, resp   testenv.Headers // resp nil: request only
	tenant      string          // the x-laneway-tenant the request must carry afterwards, when checkTenant
	checkTenant bool
}

// profile is one module's count: Wasm instructions per stream in all and per function that ran (largest
// first).
type profile struct {
	file      string
	named     bool // the module has a name section
	perStream float64
	bulk      float64 // memory.copy and memory.fill per stream (included in perStream)
	funcs     []funcCount
}

// funcCount is one function's instructions per stream.
type funcCount struct {
	index uint32
	name  string
	n     float64
}

// counter runs modules in one testenv runtime, which compiles each module once.
type counter struct {
	rt  *testenv.Runtime
	set settings
}

func newCounter(ctx context.Context, set settings) (*counter, error) {
	rt, err := testenv.NewRuntime(ctx, testenv.RuntimeOptions{CompilationCache: set.cache})
	if err != nil {
		return nil, err
	}
	return &counter{rt: rt, set: set}, nil
}

func (c *counter) close(ctx context.Context) { _ = c.rt.Close(ctx) }

// count warms the module at path up on s and returns its instructions per stream (costbench.CountInstructions).
func (c *counter) count(ctx context.Context, path string, s scenario) (profile, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return profile{}, err
	}
	opts := costbench.CountOptions{Warmup: c.set.warmup, Streams: c.set.streams, Runs: c.set.runs}
	if s.checkTenant {
		opts.Check = func(st *testenv.HTTPStream) error {
			if got, _ := st.Request().Headers.Get("x-laneway-tenant"); got != s.tenant {
				return fmt.Errorf("x-laneway-tenant is %q, expected %q: the module does not handle this request as the others do", got, s.tenant)
			}
			return nil
		}
	}
	counts, err := costbench.CountInstructions(ctx, c.rt, costbench.Case{PluginConfig: s.config, Properties: s.props, Request: s.req, Response: s.resp},
		costbench.Contender{Name: path, Wasm: wasm}, opts)
	if err != nil {
		return profile{}, err
	}
	ic := counts[0]
	p := profile{file: filepath.Base(path)}
	for i, f := range ic.Funcs {
		p.bulk += ic.Bulk[i]
		p.named = p.named || f.Name != fmt.Sprintf("func[%d]", f.Index)
		if n := ic.Instrs[i]; n > 0 {
			p.funcs = append(p.funcs, funcCount{f.Index, f.Name, n})
			p.perStream += n
		}
	}
	sort.Slice(p.funcs, func(i, j int) bool {
		return p.funcs[i].n > p.funcs[j].n || p.funcs[i].n == p.funcs[j].n && p.funcs[i].name < p.funcs[j].name
	})
	return p, nil
}

// exchangeResult is one exchange's modules, each with its profile.
type exchangeResult struct {
	name    string
	modules []moduleResult
}

type moduleResult struct {
	name string
	profile
}

// cppPeer is the module every exchange's ratios are taken against.
const cppPeer = "cpp-tenantroute"

// moduleFileConfig is an exchange's module with the file it is read from.
type moduleFileConfig struct {
	costbench.ExchangeModule
	path string
}

// exchangeModules are x's modules to run: the Go modules, and the peers when peers is set (the C peer
// c-tenantroute next to the C++ one when peers holds it; it takes the same empty config).
func exchangeModules(x costbench.Exchange, dist, peers string) []moduleFileConfig {
	var out []moduleFileConfig
	add := func(m costbench.ExchangeModule, dir string) {
		out = append(out, moduleFileConfig{m, filepath.Join(dir, m.Module+".wasm")})
	}
	for _, m := range x.Modules {
		if !strings.Contains(m.Module, "-") {
			add(m, dist)
			continue
		}
		if peers == "" {
			continue
		}
		add(m, peers)
		if m.Module == cppPeer {
			if _, err := os.Stat(filepath.Join(peers, "c-tenantroute.wasm")); err == nil {
				add(costbench.ExchangeModule{Name: "c-tenantroute", Module: "c-tenantroute", Config: m.Config}, peers)
			}
		}
	}
	return out
}

// profileExchanges counts every module of the selected exchanges.
func profileExchanges(ctx context.Context, dist, peers string, set settings) ([]exchangeResult, error) {
	xs, err := costbench.Exchanges()
	if err != nil {
		return nil, err
	}
	if name, found := set.firstUnknown(func(name string) bool {
		return slices.ContainsFunc(xs, func(x costbench.Exchange) bool { return x.Name == name })
	}); found {
		return nil, fmt.Errorf("-only: no exchange %q: expected tenantroute-routed, tenantroute-baseline or all-roles", name)
	}
	c, err := newCounter(ctx, set)
	if err != nil {
		return nil, err
	}
	defer c.close(ctx)
	var out []exchangeResult
	for _, x := range xs {
		if !set.selected(x.Name) {
			continue
		}
		r := exchangeResult{name: x.Name}
		for _, m := range exchangeModules(x, dist, peers) {
			fmt.Fprintf(set.progress, "instrcount: %s: %s (%s)\n", x.Name, m.Name, m.path)
			p, err := c.count(ctx, m.path, scenario{config: m.Config, req: x.Request, resp: x.Response, tenant: x.Tenant, checkTenant: true})
			if errors.Is(err, os.ErrNotExist) && !strings.Contains(m.Module, "-") {
				err = fmt.Errorf("%w (build the Go modules with: go run ./packager/cmd/wasmbuild -names %s)", err, dist)
			}
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", x.Name, m.Name, err)
			}
			r.modules = append(r.modules, moduleResult{m.Name, p})
		}
		out = append(out, r)
	}
	return out, nil
}

// printExchanges writes per module its instructions per stream and top functions, then per exchange the
// summary with the ratio to the C++ SDK peer.
func printExchanges(w io.Writer, rs []exchangeResult, top int) {
	for _, r := range rs {
		fmt.Fprintf(w, "\n## %s\n", r.name)
		for _, m := range r.modules {
			fmt.Fprintf(w, "\n### %s: %s (%s)\n\n%s Wasm instructions per stream (%s of them memory.copy or memory.fill), in %d functions.\n\n",
				r.name, m.name, m.file, num(m.perStream), num(m.bulk), len(m.funcs))
			printTop(w, m.profile, top)
		}
		fmt.Fprintf(w, "\n### %s: summary\n\n| module | Wasm instructions per stream | x %s | memory.copy/fill per stream |\n|---|---:|---:|---:|\n", r.name, cppPeer)
		var cpp float64
		for _, m := range r.modules {
			if m.name == cppPeer {
				cpp = m.perStream
			}
		}
		for _, m := range r.modules {
			ratio := "-"
			if cpp > 0 {
				ratio = fmt.Sprintf("%.2f", m.perStream/cpp)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", m.name, num(m.perStream), ratio, num(m.bulk))
		}
	}
}

// printTop writes p's top functions by instructions per stream, and the rest as one row.
func printTop(w io.Writer, p profile, top int) {
	fmt.Fprintf(w, "| function | instructions per stream | share |\n|---|---:|---:|\n")
	var rest float64
	for i, f := range p.funcs {
		if i >= top {
			rest += f.n
			continue
		}
		fmt.Fprintf(w, "| `%s` | %s | %.1f%% |\n", f.name, num(f.n), 100*f.n/p.perStream)
	}
	if len(p.funcs) > top {
		fmt.Fprintf(w, "| (%d more functions) | %s | %.1f%% |\n", len(p.funcs)-top, num(rest), 100*rest/p.perStream)
	}
}

// abResult is one case counted in A and B.
type abResult struct {
	name string
	a, b profile
}

// profileAB counts every selected case in A and B.
func profileAB(ctx context.Context, a, b string, cs []costbench.FileCase, set settings) ([]abResult, error) {
	if name, found := set.firstUnknown(func(name string) bool {
		return slices.ContainsFunc(cs, func(c costbench.FileCase) bool { return c.Name == name })
	}); found {
		return nil, fmt.Errorf("-only: the cases file has no case %q", name)
	}
	c, err := newCounter(ctx, set)
	if err != nil {
		return nil, err
	}
	defer c.close(ctx)
	var out []abResult
	for _, k := range cs {
		if !set.selected(k.Name) {
			continue
		}
		kc := k.Case()
		s := scenario{config: kc.PluginConfig, req: kc.Request, resp: kc.Response, props: kc.Properties}
		r := abResult{name: k.Name}
		for _, side := range []struct {
			dir string
			p   *profile
		}{{a, &r.a}, {b, &r.b}} {
			path, err := costbench.ModuleFile(side.dir, k.Module)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.Name, err)
			}
			fmt.Fprintf(set.progress, "instrcount: %s (%s)\n", k.Name, path)
			if *side.p, err = c.count(ctx, path, s); err != nil {
				return nil, fmt.Errorf("%s: %w", k.Name, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// funcDiff is one function's instructions per stream in A and B.
type funcDiff struct {
	name string
	a, b float64
}

// diffs returns the functions whose counts differ between a and b, largest difference first. Functions
// are matched by name when both modules have names (indexes move between builds), else by index (the
// same build with and without names, or two stripped builds), under the name one side knows.
func diffs(a, b profile) []funcDiff {
	byName := a.named && b.named
	m := map[string]*funcDiff{}
	get := func(f funcCount) *funcDiff {
		key := f.name
		if !byName {
			key = fmt.Sprintf("func[%d]", f.index)
		}
		if m[key] == nil {
			m[key] = &funcDiff{name: key}
		}
		if !byName && f.name != key {
			m[key].name = f.name
		}
		return m[key]
	}
	for _, f := range a.funcs {
		get(f).a += f.n
	}
	for _, f := range b.funcs {
		get(f).b += f.n
	}
	var out []funcDiff
	for _, d := range m {
		if d.a != d.b {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := math.Abs(out[i].b-out[i].a), math.Abs(out[j].b-out[j].a)
		return di > dj || di == dj && out[i].name < out[j].name
	})
	return out
}

// printAB writes the summary of every case, then per case the functions that differ the most.
func printAB(w io.Writer, rs []abResult, top int) {
	fmt.Fprintf(w, "| case | A instructions per stream | B instructions per stream | B/A | A memory.copy/fill | B memory.copy/fill |\n|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %s | %.3f | %s | %s |\n", r.name, num(r.a.perStream), num(r.b.perStream), r.b.perStream/r.a.perStream, num(r.a.bulk), num(r.b.bulk))
	}
	for _, r := range rs {
		fmt.Fprintf(w, "\n### %s: A %s, B %s\n\n", r.name, r.a.file, r.b.file)
		ds := diffs(r.a, r.b)
		if len(ds) == 0 {
			fmt.Fprintf(w, "No function's count differs.\n")
			continue
		}
		fmt.Fprintf(w, "| function | A | B | B-A |\n|---|---:|---:|---:|\n")
		var rest float64
		for i, d := range ds {
			if i >= top {
				rest += d.b - d.a
				continue
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | %+.1f |\n", d.name, num(d.a), num(d.b), d.b-d.a)
		}
		if len(ds) > top {
			fmt.Fprintf(w, "| (%d more functions) | | | %+.1f |\n", len(ds)-top, rest)
		}
	}
}

// num prints a per-stream figure: whole numbers as such, others with one decimal.
func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
