package costbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// PeersDirEnv names the environment variable that overrides where Compare's peer modules are read from.
const PeersDirEnv = "LANEWAY_PEERS_DIR"

// PeersDir is the folder of the peer modules (the same filters in C++ and C, see the peers' README):
// $LANEWAY_PEERS_DIR when set, else ../shared/peers/wasm beside the repository root.
func PeersDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv(PeersDirEnv); d != "" {
		return d
	}
	root := filepath.Dir(filepath.Dir(testenvtest.DistPath(tb, "x"))) // <root>/dist/x.wasm
	return filepath.Join(filepath.Dir(root), "shared", "peers", "wasm")
}

// Peer returns the bytes of the peer module <PeersDir>/<name>.wasm, or an error that says where it looked
// and how to point there.
func Peer(tb testing.TB, name string) ([]byte, error) {
	tb.Helper()
	p := filepath.Join(PeersDir(tb), name+".wasm")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("peer module %s.wasm absent (%v): put the peers at %s or set %s to their folder",
			name, err, PeersDir(tb), PeersDirEnv)
	}
	return b, nil
}

// Contender is one module of a comparison, or a chain of modules.
type Contender struct {
	// Name labels the contender in metrics and errors ("go", "cpp", "c").
	Name string
	// Wasm is the module's bytes.
	Wasm []byte
	// PluginConfig, when not empty, replaces the Case's plugin configuration for this module.
	PluginConfig string
	// Chain, when set, replaces Wasm: the contender is these modules as one Envoy filter chain, each in a VM
	// of its own with its own configuration, each handed the request headers the module before it left. Its
	// time per stream is the whole chain's (three separate filters against one module doing all three jobs).
	Chain []Contender
}

// stages lists the contender's modules in chain order.
func (ct Contender) stages() []Contender {
	if len(ct.Chain) > 0 {
		return ct.Chain
	}
	return []Contender{ct}
}

// chain is one contender's loaded VMs, in chain order.
type chain []*testenv.VM

// cycle runs one full stream through every VM of the chain, handing each the request the one before it left,
// and returns the last VM's stream.
func (ch chain) cycle(c Case) (s *testenv.HTTPStream) {
	req := c.Request
	for _, vm := range ch {
		s = vm.NewHTTPStream()
		s.RequestHeaders(req, true)
		if c.Response != nil {
			s.ResponseHeaders(c.Response, true)
		}
		s.Complete()
		req = s.Request().Headers
	}
	return s
}

// vmOptions are the VM options of the chain module st on c's exchange: st's plugin configuration when it has
// one, else c's.
func vmOptions(c Case, st Contender) testenv.VMOptions {
	cfg := c.PluginConfig
	if st.PluginConfig != "" {
		cfg = st.PluginConfig
	}
	return testenv.VMOptions{Profile: testenv.Envoy139, PluginConfig: []byte(cfg), Properties: c.Properties, LogLevel: testenv.LogInfo}
}

// Comparison holds per-round figures of each contender: nanoseconds per full stream, by wall clock and by
// the benchmark thread's CPU time (Linux schedstat; equal to wall where unavailable).
type Comparison struct {
	Names     []string
	Wall, CPU [][]float64 // [contender][round]
	// Instrs are the Wasm instructions per stream of each contender (CompareOptions.Instructions), else nil.
	Instrs []float64
}

// Median is contender i's median nanoseconds per stream over the rounds (CPU time).
func (c Comparison) Median(i int) float64 { return Median(c.CPU[i]) }

// Ratio is the median over rounds of contender i's time over contender j's in the same round (CPU time).
func (c Comparison) Ratio(i, j int) float64 { return ratio(c.CPU[i], c.CPU[j]) }

// WallRatio is Ratio by wall-clock time.
func (c Comparison) WallRatio(i, j int) float64 { return ratio(c.Wall[i], c.Wall[j]) }

// Report puts the figures on b: <name>-ns for each contender's median, and x-<name> (the first contender over
// that one) plus x-<name>-wall for the others.
func (c Comparison) Report(b *testing.B) {
	for i, n := range c.Names {
		b.ReportMetric(c.Median(i), n+"-ns")
	}
	for i := 1; i < len(c.Names); i++ {
		b.ReportMetric(c.Ratio(0, i), "x-"+c.Names[i])
		b.ReportMetric(c.WallRatio(0, i), "x-"+c.Names[i]+"-wall")
	}
	if c.Instrs == nil {
		return
	}
	for i, n := range c.Names {
		b.ReportMetric(c.Instrs[i], n+"-instrs")
	}
	for i := 1; i < len(c.Names); i++ {
		b.ReportMetric(c.Instrs[0]/c.Instrs[i], "x-"+c.Names[i]+"-instrs")
	}
}

// CompareOptions tunes Compare.
type CompareOptions struct {
	// Rounds is how many interleaved rounds run (default 5).
	Rounds int
	// RoundTime is about how long each contender runs per round (default 150 ms).
	RoundTime time.Duration
	// Check, when set, inspects one stream of each contender before anything is timed; an error fails the
	// comparison (so a peer that does not do the work it is compared for is never timed).
	// A chained contender's modules are checked one by one, named "<contender>/<module's Name>", each with
	// the stream of the request the module before it left.
	Check func(name string, vm *testenv.VM, s *testenv.HTTPStream) error
	// Instructions also counts each contender's Wasm instructions per stream (InstructionsPerStream) into
	// Comparison.Instrs: one more compilation per module.
	Instructions bool
}

// Compare runs c's exchange on every contender in one VM each (same headers, configuration and properties):
// after a warm-up, Rounds rounds, each timing a batch of full streams on every contender in turn, so that
// all of them see the same load; ratios are then taken within each round and the median kept.
func Compare(ctx context.Context, c Case, contenders []Contender, opts CompareOptions) (Comparison, error) {
	if opts.Rounds <= 0 {
		opts.Rounds = 5
	}
	if opts.RoundTime <= 0 {
		opts.RoundTime = 150 * time.Millisecond
	}
	rt, err := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	if err != nil {
		return Comparison{}, err
	}
	defer rt.Close(ctx)
	vms := make([]chain, len(contenders))
	out := Comparison{Wall: make([][]float64, len(contenders)), CPU: make([][]float64, len(contenders))}
	for i, ct := range contenders {
		req := c.Request
		for _, st := range ct.stages() {
			name := ct.Name
			if len(ct.Chain) > 0 {
				name += "/" + st.Name
			}
			vm, err := rt.LoadVM(ctx, st.Wasm, vmOptions(c, st))
			if err != nil {
				return Comparison{}, fmt.Errorf("loading %s: %w", name, err)
			}
			vms[i] = append(vms[i], vm)
			sc := c
			sc.Request = req
			s := RunStream(vm, sc)
			req = s.Request().Headers
			if opts.Check != nil {
				if err := opts.Check(name, vm, s); err != nil {
					return Comparison{}, fmt.Errorf("%s does not do what it is compared for: %w", name, err)
				}
			}
		}
		out.Names = append(out.Names, ct.Name)
	}
	runtime.LockOSThread() // the CPU clock read is this thread's
	defer runtime.UnlockOSThread()
	n := make([]int, len(vms))
	for i, ch := range vms {
		for j := 0; j < warmup; j++ {
			ch.cycle(c)
		}
		// streams per round: enough for RoundTime, from a short timed run
		t := time.Now()
		for j := 0; j < 2000; j++ {
			ch.cycle(c)
		}
		per := time.Since(t) / 2000
		n[i] = max(1000, int(opts.RoundTime/max(per, 1)))
	}
	for r := 0; r < opts.Rounds; r++ {
		for i, ch := range vms {
			c0, t0 := threadCPU(), time.Now()
			for j := 0; j < n[i]; j++ {
				ch.cycle(c)
			}
			wall := float64(time.Since(t0).Nanoseconds()) / float64(n[i])
			cpu := wall
			if c1 := threadCPU(); c0 >= 0 && c1 >= 0 {
				cpu = float64(c1-c0) / float64(n[i])
			}
			out.Wall[i] = append(out.Wall[i], wall)
			out.CPU[i] = append(out.CPU[i], cpu)
		}
	}
	var errs []error
	for i, ch := range vms {
		for _, vm := range ch {
			if err := vm.Err(); err != nil {
				errs = append(errs, fmt.Errorf("%s failed during the comparison: %w", contenders[i].Name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil || !opts.Instructions {
		return out, err
	}
	for _, ct := range contenders {
		n, err := InstructionsPerStream(ctx, rt, c, ct)
		if err != nil {
			return out, err
		}
		out.Instrs = append(out.Instrs, n)
	}
	return out, nil
}

// RunStream runs one full stream of c's exchange on vm (request headers, then response headers when c has
// them) and returns it: a chain of one.
func RunStream(vm *testenv.VM, c Case) *testenv.HTTPStream { return chain{vm}.cycle(c) }

// threadCPU is the calling thread's CPU time in nanoseconds (Linux schedstat), -1 where unavailable.
func threadCPU() int64 {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// Median is the middle of a (the mean of the two middle values for an even count; 0 for none); a is not changed.
func Median(a []float64) float64 {
	if len(a) == 0 {
		return 0
	}
	b := append([]float64(nil), a...)
	sort.Float64s(b)
	m := len(b) / 2
	if len(b)%2 == 1 {
		return b[m]
	}
	return (b[m-1] + b[m]) / 2
}

func ratio(a, b []float64) float64 {
	r := make([]float64, 0, len(a))
	for k := range a {
		if k < len(b) && b[k] > 0 {
			r = append(r, a[k]/b[k])
		}
	}
	return Median(r)
}
