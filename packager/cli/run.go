package cli

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/wasmbuild/filterid"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/proxy"
)

// meshReference documents every field of the mesh file; TestRunHelpDocumentsEveryMeshField holds it to
// testenv/proxy's config types and parser.
//
//go:embed meshref.yaml
var meshReference string

// indent prefixes every non-empty line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

type runOptions struct {
	config    configOptions
	logFormat string
	logLevel  string
	workers   int
	// level is --log-level parsed, set by validate.
	level testenv.LogLevel
}

func newRunCommand(s Streams) *cobra.Command {
	o := runOptions{config: configOptions{short: "c", usage: "mesh configuration file (YAML)",
		expected: "the mesh config file (YAML or JSON; `laneway run --help` shows the format)"}}
	cmd := &cobra.Command{
		Use:   "run -c MESH.yaml",
		Short: "Start the local mesh (an Envoy-like proxy running the real .wasm filters) from a config file",
		Long: `Run starts laneway's local mesh on this machine: each listener runs its chain of proxy-wasm
filters (the real .wasm modules, in Envoy's order), then picks the first route whose
Istio-style header match holds and forwards the request; routes may mirror requests to a
shadow upstream with Envoy's "-shadow" host suffix, fire and forget.

The listeners' addresses are printed on stdout once they are up; one decision line per
request (listener, tenant, route, upstream, status, shadow/synthetic markers, local reply,
mirrors) is logged on stderr, and so are the filters' own log lines (why a tenant was
ignored, what a filter started with) at --log-level and above, formatted as Envoy prints
wasm log lines. The level is also what the filters read through proxy_get_log_level, so
at debug they build their per-request debug lines, as in Envoy. Stop it with Ctrl-C or
SIGTERM: the listeners close, requests in flight get up to 5 s to finish, a summary is
printed and the exit status is 0.

Before anything starts, the plugin config of each laneway filter (tenantroute, shadowtag,
synthetic, and laneway, the combined module that runs all three in one VM: known by the
filter its module names, its .wasm file name, else its name) is checked with that filter's
own ParseConfig (for laneway, each role's section with its filter's), so a bad field is
reported here rather than as a failed VM. Give a listener one laneway plugin rather than
several filters: one VM per worker, one header read per request, the roles in a fixed order.

The mesh file (YAML or JSON; unknown fields are errors). Every field, with an example value:

` + indent(meshReference, "  "),
		Example: `  # Start the mesh and watch the decisions
  laneway run -c mesh.yaml

  # JSON decision lines, one worker
  laneway run -c mesh.yaml --log-format json --workers 1

  # Also the filters' debug lines (Envoy: --component-log-level wasm:debug)
  laneway run -c mesh.yaml --log-level debug`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMesh(cmd.Context(), s, &o) },
	}
	withOptions(cmd, &o.config, &o)
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func (o *runOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.logFormat, "log-format", "text", "decision and filter log format on stderr: text|json")
	fs.StringVar(&o.logLevel, "log-level", defaultFilterLogLevel, "lowest level of the filters' own log lines printed on stderr, and the level they read from proxy_get_log_level: "+
		testenv.LogLevelNames+" (info is Envoy's default for its wasm logger; Istio sidecars run at warning)")
	fs.IntVar(&o.workers, "workers", 0, "override the config's number of workers")
}

func (o *runOptions) validate(*cobra.Command, []string) error {
	if o.logFormat != "text" && o.logFormat != "json" {
		return fmt.Errorf("--log-format: got %q, expected text or json", o.logFormat)
	}
	var err error
	if o.level, err = testenv.ParseLogLevel(o.logLevel); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if o.workers != 0 && (o.workers < 1 || o.workers > proxy.MaxWorkers) {
		return fmt.Errorf("--workers: got %d, expected 1 to %d", o.workers, proxy.MaxWorkers)
	}
	return nil
}

// runMesh starts the local mesh, prints its listeners' addresses and serves until ctx ends.
func runMesh(ctx context.Context, s Streams, o *runOptions) error {
	p := newPrinter(s, "")
	logger := slog.New(slog.NewTextHandler(p.logs(), nil))
	if o.logFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(p.logs(), nil))
	}
	filterLogs := newFilterLogWriter(p.logs(), o.logFormat)
	cfg, err := proxy.LoadFile(o.config.path)
	if err != nil {
		var ce *proxy.ConfigError
		if errors.As(err, &ce) && ce.Field != "" {
			return fmt.Errorf("%w\nfix the field named above; `laneway run --help` shows the format", err)
		}
		return fmt.Errorf("%w\n`laneway run --help` shows the format", err)
	}
	if o.workers != 0 {
		cfg.Workers = o.workers
	}
	if err := validatePluginConfigs(p, o.config.path, cfg); err != nil {
		return err
	}
	rt, err := meshRuntime(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = rt.Close(context.Background()) }()
	level := o.level
	px, err := proxy.Start(ctx, cfg, proxy.Options{Logger: logger, Runtime: rt, FilterLogLevel: &level, OnFilterLog: filterLogs.write})
	if err != nil {
		return err
	}
	if err := p.report(nil, func(w io.Writer) error {
		for _, l := range cfg.Listeners {
			if _, err := fmt.Fprintf(w, "%s\thttp://%s\n", l.Name, px.Addr(l.Name)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	p.progress("Local mesh up with %d listener(s) and %d worker(s); Ctrl-C or SIGTERM stops it", len(cfg.Listeners), cfg.Workers)
	<-ctx.Done()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = px.Close(cctx)
	st := px.Stats()
	p.progress("Stopped: %d requests, %d local replies, %d mirrored (%d delivered, %d failed)",
		st.Requests, st.LocalReplies, st.MirrorsStarted, st.MirrorsCompleted, st.MirrorsFailed)
	return err
}

// meshRuntime hosts the mesh's VMs with wazero's compilation cache in the user cache folder (the one
// `laneway demo` uses), so a second run does not compile the modules again; without a usable cache
// folder it compiles in memory.
func meshRuntime(ctx context.Context) (*testenv.Runtime, error) {
	if dir, err := os.UserCacheDir(); err == nil {
		if rt, err := testenv.NewRuntime(ctx, testenv.RuntimeOptions{CacheDir: filepath.Join(dir, "laneway", "wazero")}); err == nil {
			return rt, nil
		}
	}
	return testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
}

// validatePluginConfigs checks each laneway filter's plugin config with the filter's own
// ParseConfig (the nil config of a filter without one included, as Envoy would hand it over).
func validatePluginConfigs(p *printer, path string, cfg proxy.Config) error {
	for i, l := range cfg.Listeners {
		for j, fc := range l.Filters {
			f, ok, err := lanewayFilter(fc)
			if err != nil {
				return fmt.Errorf("%s: listeners[%d].filters[%d] (listener %q, filter %q): %w", path, i, j, l.Name, fc.Name, err)
			}
			if !ok {
				p.progress("listeners[%d].filters[%d] (%s, %s) is not one of %s: its config is checked only when it starts",
					i, j, fc.Name, filepath.Base(fc.Wasm), strings.Join(filterconfig.Names(), ", "))
				continue
			}
			if err := f.Validate(fc.PluginConfig); err != nil {
				return fmt.Errorf("%s: listeners[%d].filters[%d].config (listener %q, filter %q) is rejected by %s.ParseConfig: %w\nfix that field of the plugin config; the filter would fail to start with it",
					path, i, j, l.Name, fc.Name, f.Name, err)
			}
		}
	}
	return nil
}

// lanewayFilter identifies a chain entry by the filter its module names (its laneway.filter section),
// else by its module's file name, else by its name. A module that names a filter other than the laneway
// filter the entry's name or file name claims is refused.
func lanewayFilter(fc proxy.FilterConfig) (filterconfig.Filter, bool, error) {
	claims := []string{strings.TrimSuffix(filepath.Base(fc.Wasm), ".wasm"), fc.Name}
	if b, err := os.ReadFile(fc.Wasm); err == nil {
		if id, err := filterid.Read(b); err == nil && id != "" {
			for k, c := range claims {
				if _, err := filterconfig.Lookup(c); err == nil && c != id {
					what := [...]string{"its file name", "the entry's name"}[k]
					return filterconfig.Filter{}, false, fmt.Errorf("wasm %s holds filter %s, not %s (%s): point wasm at the %s module, or name the entry after the filter the module holds",
						fc.Wasm, id, c, what, c)
				}
			}
			f, err := filterconfig.Lookup(id)
			return f, err == nil, nil
		}
	}
	for _, n := range claims {
		if f, err := filterconfig.Lookup(n); err == nil {
			return f, true, nil
		}
	}
	return filterconfig.Filter{}, false, nil
}
