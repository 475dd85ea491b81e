package costbench

import (
	"context"
	"fmt"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench/instrcount"
)

// Instruction counting: instrumented copies of the modules (instrcount) run the same exchange, and the counters
// give the Wasm instructions one full stream executes, a figure no engine, machine or load changes.
const (
	instrWarmup  = 2000 // streams before counting: the per-stream count is steady well before this
	instrStreams = 1000 // streams counted; a GC cycle inside them is part of the per-stream cost
)

// InstructionCount is what one module executed per stream, function by function.
type InstructionCount struct {
	Funcs []instrcount.Func
	// Instrs and Bulk are each function's Wasm instructions, and memory.copy and memory.fill among them, per
	// stream, in Funcs' order.
	Instrs, Bulk []float64
}

// Total is the module's Wasm instructions per stream.
func (ic InstructionCount) Total() float64 {
	var n float64
	for _, v := range ic.Instrs {
		n += v
	}
	return n
}

// CountOptions tunes CountInstructions.
type CountOptions struct {
	// Warmup and Streams are the streams run before counting and the streams counted (defaults 2,000 and 1,000).
	Warmup, Streams int
	// Check, when set, inspects the last counted stream of the last module, so that a module is only counted
	// doing the work it is compared for.
	Check func(s *testenv.HTTPStream) error
	// Runs names functions counted run by run (instrcount.Options.Runs).
	Runs []string
}

// CountInstructions runs c's exchange on instrumented copies of ct's modules (one for a module, the chain's for a
// chain) and returns each module's count per stream, in chain order.
func CountInstructions(ctx context.Context, rt *testenv.Runtime, c Case, ct Contender, opts CountOptions) ([]InstructionCount, error) {
	if opts.Warmup <= 0 {
		opts.Warmup = instrWarmup
	}
	if opts.Streams <= 0 {
		opts.Streams = instrStreams
	}
	var ch chain
	defer func() {
		for _, vm := range ch {
			_ = vm.Close(ctx)
		}
	}()
	counts := make([]InstructionCount, len(ct.stages()))
	for i, st := range ct.stages() {
		wasm, funcs, err := instrcount.InstrumentWith(st.Wasm, instrcount.Options{Runs: opts.Runs})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ct.Name, err)
		}
		vm, err := rt.LoadVM(ctx, wasm, vmOptions(c, st))
		if err != nil {
			return nil, fmt.Errorf("loading %s counted: %w", ct.Name, err)
		}
		ch = append(ch, vm)
		counts[i].Funcs = funcs
	}
	snapshot := func() (instrs, bulk [][]uint64, err error) {
		for i, vm := range ch {
			in, err := instrcount.Snapshot(counts[i].Funcs, vm.ExportedGlobal)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", ct.Name, err)
			}
			bk, err := instrcount.SnapshotBulk(counts[i].Funcs, vm.ExportedGlobal)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", ct.Name, err)
			}
			instrs, bulk = append(instrs, in), append(bulk, bk)
		}
		return instrs, bulk, nil
	}
	for i := 0; i < opts.Warmup; i++ {
		ch.cycle(c)
	}
	before, bulkBefore, err := snapshot()
	if err != nil {
		return nil, err
	}
	var last *testenv.HTTPStream
	for i := 0; i < opts.Streams; i++ {
		last = ch.cycle(c)
	}
	after, bulkAfter, err := snapshot()
	if err != nil {
		return nil, err
	}
	for _, vm := range ch {
		if err := vm.Err(); err != nil {
			return nil, fmt.Errorf("%s failed while counted: %w", ct.Name, err)
		}
	}
	if opts.Check != nil {
		if err := opts.Check(last); err != nil {
			return nil, fmt.Errorf("%s: %w", ct.Name, err)
		}
	}
	per := func(a, b uint64) float64 { return float64(b-a) / float64(opts.Streams) }
	for i := range counts {
		for j := range counts[i].Funcs {
			counts[i].Instrs = append(counts[i].Instrs, per(before[i][j], after[i][j]))
			counts[i].Bulk = append(counts[i].Bulk, per(bulkBefore[i][j], bulkAfter[i][j]))
		}
	}
	return counts, nil
}

// InstructionsPerStream returns the Wasm instructions one full stream of c executes in ct (the whole chain
// for a chain), counted on instrumented copies of its modules after a warm-up.
func InstructionsPerStream(ctx context.Context, rt *testenv.Runtime, c Case, ct Contender) (float64, error) {
	counts, err := CountInstructions(ctx, rt, c, ct, CountOptions{})
	if err != nil {
		return 0, err
	}
	var n float64
	for _, ic := range counts {
		n += ic.Total()
	}
	return n, nil
}
