// Command pgoprofile writes the profiles the Wasm build optimizes the shipped filters with: Go's
// profile-guided optimization, which go build applies to a main package from the default.pgo beside it
// (-pgo=auto). Each filters/<name>/default.pgo is a CPU profile of laneway's own code running natively, under
// proxytest, on the requests the cost benchmarks measure (testenv/costbench/filter-requests.json, and for the
// combined module combined.json's all-roles request besides each of those requests with only its role on).
//
//	go run ./testenv/costbench/cmd/pgoprofile [-cases FILE] [-per 1s] [-root .] [-go go]    # make pgo
//
// With a profile, the compiler inlines the calls that are hot in it with a far larger budget than its usual
// 80 nodes. That matters most in Wasm, where a call into a Go function costs 30 to 60 instructions
// (prologue, stack check, the resume dispatcher) before its body runs. Frames outside laneway (the runtime,
// proxytest, the SDK) are cut from the profile (go tool pprof -show): natively the runtime's hot paths are
// allocation and write barriers, which a Wasm request never takes, and inlining them only grows the modules.
// A stale profile costs only speed: the compiler ignores what no longer matches the code.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/tenantroute"
	"github.com/laneway/laneway/testenv/costbench"
)

// natives are the VM contexts of the modules' code built natively.
var natives = map[string]func() types.VMContext{
	"tenantroute": tenantroute.NewVMContext,
	"shadowtag":   shadowtag.NewVMContext,
	"synthetic":   synthetic.NewVMContext,
	"laneway":     combined.NewVMContext,
}

// laneway is the combined module, whose config holds each role's under the role's module name.
const laneway = "laneway"

// sampleHz is the CPU profiler's sampling rate.
const sampleHz = 1000

// keepFrames selects the frames kept in a profile: laneway's own functions.
const keepFrames = `^github\.com/laneway/laneway/`

func main() {
	casesFile := flag.String("cases", "testenv/costbench/filter-requests.json", "JSON file of the cases to profile")
	per := flag.Duration("per", time.Second, "how long each case runs")
	root := flag.String("root", ".", "the laneway checkout")
	goCmd := flag.String("go", "go", "the go command (for go tool pprof)")
	flag.Parse()
	if err := run(*casesFile, *per, *root, *goCmd); err != nil {
		fmt.Fprintln(os.Stderr, "pgoprofile:", err)
		os.Exit(1)
	}
}

func run(casesFile string, per time.Duration, root, goCmd string) error {
	fcs, err := costbench.ReadCases(casesFile)
	if err != nil {
		return err
	}
	all, err := costbench.Combined()
	if err != nil {
		return err
	}
	for _, name := range filters.Shipped() {
		cases, err := casesFor(name, fcs, all)
		if err != nil {
			return err
		}
		out := filepath.Join(root, filepath.FromSlash(filters.SourceDir(name)), "default.pgo")
		if err := profile(cases, per, goCmd, out); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "pgoprofile: %s: %d cases, %s\n", name, len(cases), out)
	}
	return nil
}

// casesFor returns the cases module name is profiled on, each with its native VM context: its own (the
// compare build runs shadowtag's, its common path), and for the combined module the all-roles request and
// every case with only its role configured.
func casesFor(name string, fcs []costbench.FileCase, all costbench.CombinedScenario) ([]costbench.Case, error) {
	own := name
	if name == "shadowtag-compare" {
		own = "shadowtag"
	}
	var cs []costbench.Case
	if name == laneway {
		c := all.Case(all.Combined)
		c.Native = natives[laneway]
		cs = append(cs, c)
	}
	for _, fc := range fcs {
		if natives[fc.Module] == nil {
			return nil, fmt.Errorf("case %s: module %q has no native VM context here", fc.Name, fc.Module)
		}
		switch {
		case name == laneway:
			c := fc.Case()
			cfg := c.PluginConfig
			if cfg == "" {
				cfg = "{}"
			}
			c.Module, c.PluginConfig, c.Native = laneway, `{"`+fc.Module+`":`+cfg+`}`, natives[laneway]
			cs = append(cs, c)
		case fc.Module == own:
			c := fc.Case()
			c.Native = natives[own]
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil, errors.New("no case runs this module")
	}
	return cs, nil
}

// profile runs each case for per under the CPU profiler, after starting its plugin and a warm-up outside it
// (plugin start, config parsing, is not the request path), and writes the cases' profiles merged, cut to
// laneway's frames, to out.
func profile(cases []costbench.Case, per time.Duration, goCmd, out string) error {
	dir, err := os.MkdirTemp("", "pgoprofile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var raws []string
	for i, c := range cases {
		raw := filepath.Join(dir, fmt.Sprintf("case%d.pprof", i))
		if err := profileCase(c, per, raw); err != nil {
			return err
		}
		raws = append(raws, raw)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(goCmd, append([]string{"tool", "pprof", "-proto", "-show", keepFrames}, raws...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go tool pprof: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if stdout.Len() == 0 {
		return errors.New("go tool pprof wrote no profile")
	}
	return os.WriteFile(out, stdout.Bytes(), 0o644)
}

// profileCase runs one case for per under the CPU profiler, writing the profile to path.
func profileCase(c costbench.Case, per time.Duration, path string) error {
	run, release, err := costbench.NativeRun(c)
	if err != nil {
		return err
	}
	defer release()
	run(1000)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Ten times the profiler's default rate, so that the short functions of a request get samples: set before
	// StartCPUProfile, which then keeps it (the runtime prints "cannot set cpu profile rate until previous
	// profile has finished" for StartCPUProfile's own attempt: harmless).
	runtime.SetCPUProfileRate(sampleHz)
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	for start := time.Now(); time.Since(start) < per; {
		run(200)
	}
	pprof.StopCPUProfile()
	return f.Close()
}
