// Package wasmbuild compiles laneway's filters to proxy-wasm modules with the standard Go toolchain
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared), patching proxy-wasm-go-sdk v0.24.0 with laneway's ABI
// glue in a private copy under .build/ so that the module cache is never touched. Two small size patches to
// gjson and pretty are applied the same way (see patches.go); native builds use the modules unchanged.
package wasmbuild

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/packager/internal/progress"
	"github.com/laneway/laneway/packager/wasmbuild/filterid"
)

// SDKModule is the proxy-wasm SDK module the glue patches.
const SDKModule = "github.com/tetratelabs/proxy-wasm-go-sdk"

// CallbacksDirective is the comment in a filter's main.go naming the callback groups it exports.
const CallbacksDirective = "//laneway:callbacks"

// CallbackGroups lists the callback groups the glue can export (see filters/internal/abiglue).
var CallbackGroups = []string{
	"request_headers", "request_body", "request_trailers",
	"response_headers", "response_body", "response_trailers",
	"log", "done", "http_call_response", "queue_ready", "tick", "l4",
}

// Options configures a build.
type Options struct {
	// Root is the laneway module root (the directory holding go.mod and filters/).
	Root string
	// OutDir receives <filter>.wasm for the shipped filters; default <Root>/dist.
	OutDir string
	// Filters names the filters to build (see package filters); empty means every shipped filter, and every
	// test fixture too when Fixtures is set.
	Filters []string
	// Fixtures allows the test fixtures (filters/fixtures/<name>), which are written to filters.FixturesDir,
	// never to OutDir. Without it a fixture's name is refused: `laneway build` never builds one.
	Fixtures bool
	// Stderr receives the Go toolchain's diagnostics; nil means os.Stderr.
	Stderr *os.File
	// Progress, when set, receives a line before and after each step (preparing the SDK copy, each
	// module) and a "still ..." line every Heartbeat while a step runs, so that a first build on a
	// fresh machine (minutes, mostly silent go commands) never looks stuck.
	Progress io.Writer
	// Heartbeat is the interval of the "still ..." lines; zero means progress.DefaultEvery.
	Heartbeat time.Duration
	// KeepNames links without -s, so each module keeps Wasm's name section (function names for profilers
	// and wazero's function listeners; the code is the shipped build's), and writes every module, test
	// fixtures too, to OutDir, which must then be set: such a module is never shipped.
	KeepNames bool
}

// Artifact is one built module.
type Artifact struct {
	Filter    string   `json:"filter"`
	Path      string   `json:"path"`
	Size      int64    `json:"size"`
	Callbacks []string `json:"callbacks"`
}

// WriteSummary prints one aligned line per artifact: filter, path, size. `make build` and `laneway build`
// both print their result with it, so the two look the same.
func WriteSummary(w io.Writer, arts []Artifact) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range arts {
		fmt.Fprintf(tw, "%s\t%s\t%d bytes\n", a.Filter, a.Path, a.Size)
	}
	return tw.Flush()
}

// FindRoot walks up from dir to the directory whose go.mod declares the laneway module (filters.FindRoot).
func FindRoot(dir string) (string, error) { return filters.FindRoot(dir) }

// CheckoutRoot returns the laneway checkout around the working directory: the one way the CLI, the
// build, the demos and the tests find the repository.
func CheckoutRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the laneway checkout: %w", err)
	}
	return FindRoot(wd)
}

// Build compiles the requested filters and returns what it wrote.
func Build(ctx context.Context, opts Options) ([]Artifact, error) {
	if opts.Root == "" {
		var err error
		if opts.Root, err = CheckoutRoot(); err != nil {
			return nil, err
		}
	}
	if opts.OutDir == "" {
		if opts.KeepNames {
			return nil, errors.New("a build that keeps the name section needs an output folder of its own (OutDir), never dist/")
		}
		opts.OutDir = filepath.Join(opts.Root, "dist")
	}
	// go build runs in Root: a relative OutDir means the caller's working directory, so make it absolute.
	outDir, err := filepath.Abs(opts.OutDir)
	if err != nil {
		return nil, err
	}
	opts.OutDir = outDir
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	names := opts.Filters
	if len(names) == 0 {
		names = filters.Shipped()
		if opts.Fixtures {
			names = append(names, filters.Fixtures()...)
		}
	}
	for _, n := range names {
		if opts.Fixtures && filters.IsFixture(n) {
			continue
		}
		if err := filters.CheckShipped(n); err != nil {
			return nil, err
		}
	}
	unlock, err := lockBuild(opts.Root)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var modfile string
	err = opts.step("preparing the patched proxy-wasm SDK copy (first time: downloads modules)", "", func() (string, error) {
		var err error
		modfile, err = prepare(ctx, opts.Root, filepath.Join(opts.Root, ".build"), stderr)
		return "", err
	})
	if err != nil {
		return nil, err
	}
	var out []Artifact
	for i, n := range names {
		src := filters.SourceDir(n)
		groups, err := callbackGroups(filepath.Join(opts.Root, filepath.FromSlash(src), "main.go"))
		if err != nil {
			return nil, err
		}
		tags := []string{"laneway_glue"}
		for _, g := range groups {
			tags = append(tags, "laneway_cb_"+g)
		}
		// Build into a temporary file and rename it once the filter name is recorded, so that a reader of
		// dst (a test running while `make build` does) never sees a partial module or one without its name.
		dst := filepath.Join(opts.OutDir, n+".wasm")
		if filters.IsFixture(n) && !opts.KeepNames {
			dst = filters.ModulePath(opts.Root, n)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		tmp := dst + ".tmp"
		cmd := exec.CommandContext(ctx, "go", buildArgs(modfile, tags, tmp, n, opts.KeepNames)...)
		cmd.Dir = opts.Root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off")
		cmd.Stdout, cmd.Stderr = stderr, stderr
		var size int64
		err = opts.step(fmt.Sprintf("compiling %s (%d/%d)", n, i+1, len(names)), n, func() (string, error) {
			if err := cmd.Run(); err != nil {
				_ = os.Remove(tmp)
				return "", fmt.Errorf("building %s for wasip1/wasm: %w", src, err)
			}
			var err error
			if size, err = recordFilter(tmp, n); err != nil {
				return "", err
			}
			if err := os.Rename(tmp, dst); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s, %d bytes", dst, size), nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, Artifact{Filter: n, Path: dst, Size: size, Callbacks: groups})
	}
	return out, nil
}

// step runs fn as a progress.Step on opts.Progress; what is "preparing" or the filter being compiled.
func (opts Options) step(label, what string, fn func() (string, error)) error {
	doing := "preparing"
	if what != "" {
		doing = "compiling " + what
	}
	return progress.Step(opts.Progress, opts.Heartbeat, label, doing, fn)
}

// recordFilter appends the laneway.filter custom section naming filter to the module at path (see filterid)
// and returns the module's new size.
func recordFilter(path, filter string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if b, err = filterid.Append(b, filter); err != nil {
		return 0, fmt.Errorf("%s: recording the filter name: %w", path, err)
	}
	return int64(len(b)), os.WriteFile(path, b, 0o644)
}

// buildArgs is the go command line of one module. Everything that could differ between two checkouts of the
// same commit is left out of the module: -trimpath drops source paths, -buildvcs=false the VCS stamp (a
// copy without .git, or with untracked files, would otherwise differ from a clean clone), and the
// modfile's replacements are relative (see prepare), so the same commit and toolchain give the same bytes.
// keepNames drops -s from LDFlags (see Options.KeepNames).
func buildArgs(modfile string, tags []string, dst, filter string, keepNames bool) []string {
	ldflags := LDFlags
	if keepNames {
		ldflags = strings.Replace(ldflags, "-s ", "", 1)
	}
	return []string{"build", "-modfile=" + modfile, "-buildmode=c-shared", "-trimpath", "-buildvcs=false",
		"-ldflags=" + ldflags, "-tags=" + strings.Join(tags, ","), "-o", dst, "./" + filters.SourceDir(filter)}
}

// callbackGroups reads the //laneway:callbacks directive; without one the module exports every callback.
func callbackGroups(mainGo string) ([]string, error) {
	f, err := os.Open(mainGo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, CallbacksDirective) {
			continue
		}
		fields := strings.Fields(strings.TrimPrefix(line, CallbacksDirective))
		if len(fields) == 1 && fields[0] == "all" {
			return []string{"all"}, nil
		}
		for _, g := range fields {
			if !contains(CallbackGroups, g) {
				return nil, fmt.Errorf("%s: unknown callback group %q in %s: expected \"all\" or any of %s", mainGo, g, CallbacksDirective, strings.Join(CallbackGroups, " "))
			}
		}
		return fields, nil
	}
	return []string{"all"}, sc.Err()
}

// prepare fills build (normally <root>/.build) with the SDK copy plus glue and the patched dependency copies,
// and writes build/go.mod replacing each of those modules with its copy. It returns the modfile path.
func prepare(ctx context.Context, root, build string, stderr *os.File) (string, error) {
	mods := []string{SDKModule}
	for _, p := range dependencyPatches {
		if !contains(mods, p.Module) {
			mods = append(mods, p.Module)
		}
	}
	dirs, err := moduleDirs(ctx, root, mods, stderr)
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	mod = append(mod, '\n')
	for _, m := range mods {
		dst := filepath.Join(build, copyDir(m))
		if err := os.RemoveAll(dst); err != nil {
			return "", err
		}
		if err := copyTree(dirs[m], dst); err != nil {
			return "", fmt.Errorf("copying %s to %s: %w", m, dst, err)
		}
		// The go command records a directory replacement's path as written in the module's build info, so
		// write it relative to the module root: an absolute path would put the checkout's location into
		// every module, and modules built from the same commit in two folders would differ.
		// (Build always uses <root>/.build; tests prepare elsewhere, hence a path that may start with "..".)
		rel, err := filepath.Rel(root, dst)
		if err != nil {
			return "", fmt.Errorf("locating the build directory %s relative to the checkout %s: %w", build, root, err)
		}
		mod = append(mod, []byte(fmt.Sprintf("replace %s => %s\n", m, relativeModPath(rel)))...)
	}
	if err := addGlue(root, filepath.Join(build, copyDir(SDKModule))); err != nil {
		return "", err
	}
	for _, p := range dependencyPatches {
		if err := p.apply(filepath.Join(build, copyDir(p.Module))); err != nil {
			return "", err
		}
	}
	modfile := filepath.Join(build, "go.mod")
	if err := os.WriteFile(modfile, mod, 0o644); err != nil {
		return "", err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return "", err
	}
	return modfile, os.WriteFile(filepath.Join(build, "go.sum"), sum, 0o644)
}

// relativeModPath spells a relative directory the way go.mod needs it to be read as a local path.
func relativeModPath(rel string) string {
	rel = filepath.ToSlash(rel)
	if strings.HasPrefix(rel, "../") {
		return rel
	}
	return "./" + rel
}

// copyDir names the directory under .build holding a module's copy: "sdk" for the SDK, else the module's last
// path element.
func copyDir(module string) string {
	if module == SDKModule {
		return "sdk"
	}
	return path.Base(module)
}

// moduleDirs asks the go command where the versions of mods that go.mod selects sit in the module cache.
func moduleDirs(ctx context.Context, root string, mods []string, stderr *os.File) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"mod", "download", "-json"}, mods...)...)
	cmd.Dir = root
	cmd.Stderr = stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("locating %s in the module cache (go mod download): %w", strings.Join(mods, ", "), err)
	}
	dirs := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(outb))
	for {
		var m struct{ Path, Dir, Error string }
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go mod download output: %w", err)
		}
		if m.Error != "" {
			return nil, fmt.Errorf("go mod download %s: %s", m.Path, m.Error)
		}
		dirs[m.Path] = m.Dir
	}
	for _, m := range mods {
		if dirs[m] == "" {
			return nil, fmt.Errorf("go mod download did not report a directory for %s: %s", m, outb)
		}
	}
	return dirs, nil
}

// glueDirs maps each folder of the ABI glue (under filters/internal/abiglue) to the SDK package it joins.
var glueDirs = map[string]string{
	".":         "proxywasm/internal", // the ABI binding itself
	"proxywasm": "proxywasm",          // the functions filters/proxyhost calls
}

// addGlue copies the ABI glue into the SDK copy's packages (as laneway_<file>) and raises its language version.
func addGlue(root, sdk string) error {
	for from, to := range glueDirs {
		glue, err := filepath.Glob(filepath.Join(root, "filters", "internal", "abiglue", from, "*.go"))
		if err != nil || len(glue) == 0 {
			return fmt.Errorf("no ABI glue found in filters/internal/abiglue/%s", from)
		}
		for _, g := range glue {
			if strings.HasSuffix(g, "_test.go") {
				continue
			}
			if err := copyFile(g, filepath.Join(sdk, filepath.FromSlash(to), "laneway_"+filepath.Base(g))); err != nil {
				return err
			}
		}
	}
	// //go:wasmexport needs language version go1.24 in the package that uses it.
	sdkMod := filepath.Join(sdk, "go.mod")
	b, err := os.ReadFile(sdkMod)
	if err != nil {
		return err
	}
	b = bytes.Replace(b, []byte("\ngo 1.19\n"), []byte("\ngo 1.24\n"), 1)
	return os.WriteFile(sdkMod, b, 0o644)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(t, 0o755)
		}
		return copyFile(p, t)
	})
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
