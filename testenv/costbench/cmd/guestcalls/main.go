// Command guestcalls counts, on wazero, the guest function calls and host calls each proxy-wasm callback of
// one stream makes, with the functions called most, for the requests the cost benchmarks time:
//
//	go run ./packager/cmd/wasmbuild -names .build/names    # modules that keep the name section
//	go run ./testenv/costbench/cmd/guestcalls [-dist .build/names] [-peers DIR] [-only CASE,...] [-top 15]
//
// Cases: tenantroute-routed and tenantroute-baseline (tenantroute's BenchmarkPeers requests), all-roles
// (combined.json: the combined module with all roles, with tenantroute only, and tenantroute alone); each next
// to the C++ SDK tenantroute peer when -peers holds it (the peers are stripped: their functions read as
// their index). It uses wazero's experimental function listeners, which see every call of a function
// defined in the module (a call into Go's runtime included); a module is warmed up with 20,000 streams first
// and the counts are one stream's after that. Results (markdown) go to stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
)

func main() {
	dist := flag.String("dist", ".build/names", "folder of the Go modules (built with wasmbuild -names, or dist/ without function names)")
	peers := flag.String("peers", os.Getenv(costbench.PeersDirEnv), "folder of the C++/C peers (empty: left out)")
	only := flag.String("only", "", "comma-separated cases to run (default all): tenantroute-routed, tenantroute-baseline, all-roles")
	top := flag.Int("top", 15, "functions listed per callback")
	cases := flag.String("cases", "", "JSON file of cases to count instead of the exchanges (see costbench.ReadCases; modules from -dist)")
	flag.Parse()
	var err error
	if *cases != "" {
		err = runCases(context.Background(), os.Stdout, *dist, *cases, *only, *top)
	} else {
		err = run(context.Background(), os.Stdout, *dist, *peers, *only, *top)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "guestcalls:", err)
		os.Exit(1)
	}
}

// counter is the function listener: it attributes every guest call to the callback (the outermost export
// call) it happens in, while on.
type counter struct {
	on       bool
	depth    int
	callback string
	calls    map[string]map[string]int // callback -> function -> calls (host functions as "host module.name")
}

func (c *counter) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	return c
}

func (c *counter) Before(_ context.Context, _ api.Module, def api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	if c.depth == 0 {
		c.callback = def.Name()
		if ex := def.ExportNames(); len(ex) > 0 {
			c.callback = ex[0]
		}
	}
	c.depth++
	if !c.on {
		return
	}
	name := def.Name()
	if name == "" {
		name = fmt.Sprintf("func[%d]", def.Index())
	}
	if m, n, ok := def.Import(); ok {
		name = "host " + m + "." + n
	} else if def.GoFunction() != nil {
		name = "host " + def.ModuleName() + "." + name
	}
	m := c.calls[c.callback]
	if m == nil {
		m = map[string]int{}
		c.calls[c.callback] = m
	}
	m[name]++
}

func (c *counter) After(context.Context, api.Module, api.FunctionDefinition, []uint64) { c.depth-- }

func (c *counter) Abort(context.Context, api.Module, api.FunctionDefinition, error) { c.depth-- }

func run(ctx context.Context, w io.Writer, dist, peers, only string, top int) error {
	xs, err := costbench.Exchanges()
	if err != nil {
		return err
	}
	for _, x := range xs {
		if only != "" && !contains(strings.Split(only, ","), x.Name) {
			continue
		}
		for _, c := range x.Modules {
			dir := dist
			if strings.Contains(c.Module, "-") {
				if peers == "" {
					continue
				}
				dir = peers
			}
			if err := count(ctx, w, x, c, nil, filepath.Join(dir, c.Module+".wasm"), top); err != nil {
				return fmt.Errorf("%s/%s: %w", x.Name, c.Name, err)
			}
		}
	}
	return nil
}

// runCases counts every selected case of a cases file on -dist's build of its module.
func runCases(ctx context.Context, w io.Writer, dist, file, only string, top int) error {
	cs, err := costbench.ReadCases(file)
	if err != nil {
		return err
	}
	for _, fc := range cs {
		if only != "" && !contains(strings.Split(only, ","), fc.Name) {
			continue
		}
		path, err := costbench.ModuleFile(dist, fc.Module)
		if err != nil {
			return fmt.Errorf("%s: %w", fc.Name, err)
		}
		c := fc.Case()
		x := costbench.Exchange{Name: fc.Name, Request: c.Request, Response: c.Response}
		if err := count(ctx, w, x, costbench.ExchangeModule{Name: fc.Module, Module: fc.Module, Config: c.PluginConfig}, c.Properties, path, top); err != nil {
			return fmt.Errorf("%s: %w", fc.Name, err)
		}
	}
	return nil
}

// count counts one stream of x on the module at path, after a warm-up; x.Tenant is checked when set.
func count(ctx context.Context, w io.Writer, x costbench.Exchange, c costbench.ExchangeModule, props map[string][]byte, path string, top int) error {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (build the Go modules with: go run ./packager/cmd/wasmbuild -names .build/names)", err)
	}
	cnt := &counter{calls: map[string]map[string]int{}}
	// The listener is compiled in, so this runtime compiles the module itself (no shared cache).
	lctx := experimental.WithFunctionListenerFactory(ctx, cnt)
	rt, err := testenv.NewRuntime(lctx, testenv.RuntimeOptions{DisableCompilationCache: true})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	vm, err := rt.LoadVM(lctx, wasm, testenv.VMOptions{PluginConfig: []byte(c.Config), Properties: props, LogLevel: testenv.LogInfo})
	if err != nil {
		return err
	}
	stream := func() *testenv.HTTPStream {
		return costbench.RunStream(vm, costbench.Case{Request: x.Request, Response: x.Response})
	}
	for i := 0; i < 20000; i++ {
		stream()
	}
	cnt.on = true
	st := stream()
	cnt.on = false
	if err := vm.Err(); err != nil {
		return err
	}
	if got, _ := st.Request().Headers.Get("x-laneway-tenant"); x.Tenant != "" && got != x.Tenant {
		return fmt.Errorf("x-laneway-tenant is %q, expected %q", got, x.Tenant)
	}
	fmt.Fprintf(w, "\n### %s: %s (%s)\n\n| callback | guest calls | host calls |\n|---|---:|---:|\n", x.Name, c.Name, filepath.Base(path))
	cbs := make([]string, 0, len(cnt.calls))
	for cb := range cnt.calls {
		cbs = append(cbs, cb)
	}
	order := []string{"proxy_on_context_create", "proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_log", "proxy_on_done", "proxy_on_delete"}
	sort.Slice(cbs, func(i, j int) bool { return index(order, cbs[i]) < index(order, cbs[j]) })
	var tg, th int
	for _, cb := range cbs {
		g, h := split(cnt.calls[cb])
		tg, th = tg+g, th+h
		fmt.Fprintf(w, "| `%s` | %d | %d |\n", cb, g, h)
	}
	fmt.Fprintf(w, "| stream | %d | %d |\n", tg, th)
	for _, cb := range cbs {
		if cb != "proxy_on_request_headers" {
			continue
		}
		fmt.Fprintf(w, "\n`%s`, by function:\n\n| function | calls |\n|---|---:|\n", cb)
		type fc struct {
			name string
			n    int
		}
		var fs []fc
		for name, n := range cnt.calls[cb] {
			fs = append(fs, fc{name, n})
		}
		sort.Slice(fs, func(i, j int) bool { return fs[i].n > fs[j].n || fs[i].n == fs[j].n && fs[i].name < fs[j].name })
		for i, f := range fs {
			if i == top {
				fmt.Fprintf(w, "| (%d more functions) | |\n", len(fs)-top)
				break
			}
			fmt.Fprintf(w, "| `%s` | %d |\n", f.name, f.n)
		}
	}
	return nil
}

// split returns the guest and host calls of one callback.
func split(m map[string]int) (guest, host int) {
	for name, n := range m {
		if strings.HasPrefix(name, "host ") {
			host += n
		} else {
			guest += n
		}
	}
	return guest, host
}

func index(order []string, s string) int {
	for i, o := range order {
		if o == s {
			return i
		}
	}
	return len(order)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
