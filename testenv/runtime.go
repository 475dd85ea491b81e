package testenv

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/testenv/envoyabi"
)

// RuntimeOptions configures a Runtime.
type RuntimeOptions struct {
	// CompilationCache is shared with other Runtimes when set; by default each
	// Runtime makes its own in-memory cache, shared by all its VMs.
	CompilationCache wazero.CompilationCache
	// DisableCompilationCache compiles every module from scratch (cold-start
	// benchmarks).
	DisableCompilationCache bool
	// CacheDir, when set (and CompilationCache is not), keeps compiled modules in wazero's
	// cache in this folder, so the next process does not compile them again.
	CacheDir string
}

// Runtime compiles modules and hosts VMs. It is safe for concurrent use.
type Runtime struct {
	cache   wazero.CompilationCache
	ownsC   bool
	mu      sync.Mutex
	engines map[Profile]*engine
	shared  *sharedState
	closed  bool
}

// engine is one wazero runtime with one profile's host modules linked.
type engine struct {
	profile  Profile
	r        wazero.Runtime
	mu       sync.Mutex
	compiled map[[32]byte]*compiledModule
	// hostNames names the host functions by counter index ("env.proxy_log").
	hostNames []string
}

type compiledModule struct {
	cm  wazero.CompiledModule
	abi envoyabi.ABIVersion
}

// NewRuntime creates a Runtime.
func NewRuntime(ctx context.Context, opts RuntimeOptions) (*Runtime, error) {
	rt := &Runtime{engines: map[Profile]*engine{}, shared: newSharedState()}
	switch {
	case opts.DisableCompilationCache:
	case opts.CompilationCache != nil:
		rt.cache = opts.CompilationCache
	case opts.CacheDir != "":
		c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache in %s: %w", opts.CacheDir, err)
		}
		rt.cache, rt.ownsC = c, true
	default:
		rt.cache = wazero.NewCompilationCache()
		rt.ownsC = true
	}
	return rt, nil
}

// Close releases every VM and compiled module of the runtime.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil
	}
	rt.closed = true
	var errs []error
	for _, e := range rt.engines {
		errs = append(errs, e.r.Close(ctx))
	}
	if rt.ownsC {
		errs = append(errs, rt.cache.Close(ctx))
	}
	return errors.Join(errs...)
}

func (rt *Runtime) engine(ctx context.Context, p Profile) (*engine, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return nil, errors.New("testenv: runtime is closed")
	}
	if e, ok := rt.engines[p]; ok {
		return e, nil
	}
	cfg := wazero.NewRuntimeConfigCompiler().WithMemoryLimitPages(16384) // V8's 1 GiB cap
	if rt.cache != nil {
		cfg = cfg.WithCompilationCache(rt.cache)
	}
	e := &engine{profile: p, r: wazero.NewRuntimeWithConfig(ctx, cfg), compiled: map[[32]byte]*compiledModule{}}
	if err := e.linkHost(ctx); err != nil {
		_ = e.r.Close(ctx)
		return nil, err
	}
	rt.engines[p] = e
	return e, nil
}

// LoadVMFile reads a .wasm file and starts a VM from it (see LoadVM).
func (rt *Runtime) LoadVMFile(ctx context.Context, path string, opts VMOptions) (*VM, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("testenv: read module: %w", err)
	}
	return rt.LoadVM(ctx, wasm, opts)
}

// LoadVM checks the module against the profile's imports as Envoy does, instantiates
// it and starts it: `_initialize` (restricted phase), proxy_on_context_create for the
// root context, proxy_on_vm_start with the VM config and proxy_on_configure with the
// plugin config. A refusal or a false start returns an error that includes the
// module's log lines.
func (rt *Runtime) LoadVM(ctx context.Context, wasm []byte, opts VMOptions) (*VM, error) {
	if opts.Profile == 0 {
		opts.Profile = Envoy139
	}
	e, err := rt.engine(ctx, opts.Profile)
	if err != nil {
		return nil, err
	}
	cm, err := e.compile(ctx, wasm)
	if err != nil {
		return nil, err
	}
	return newVM(ctx, rt, e, cm, opts)
}

func (e *engine) compile(ctx context.Context, wasm []byte) (*compiledModule, error) {
	sum := sha256.Sum256(wasm)
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.compiled[sum]; ok {
		return c, nil
	}
	cm, err := e.r.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("testenv: compile module: %w", err)
	}
	abi, err := envoyabi.Check(e.profile, envoyabi.Describe(cm))
	if err != nil {
		_ = cm.Close(ctx)
		return nil, fmt.Errorf("testenv: load refused: %w", err)
	}
	c := &compiledModule{cm: cm, abi: abi}
	e.compiled[sum] = c
	return c, nil
}
