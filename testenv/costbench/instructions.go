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

// InstructionsPerStream returns the Wasm instructions one full stream of c executes in ct (the whole chain
// for a chain), counted on instrumented copies of its modules after a warm-up.
func InstructionsPerStream(ctx context.Context, rt *testenv.Runtime, c Case, ct Contender) (float64, error) {
	type counted struct {
		vm    *testenv.VM
		funcs []instrcount.Func
	}
	var stages []counted
	defer func() {
		for _, s := range stages {
			_ = s.vm.Close(ctx)
		}
	}()
	var ch chain
	for _, st := range ct.stages() {
		wasm, funcs, err := instrcount.Instrument(st.Wasm)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", ct.Name, err)
		}
		cfg := c.PluginConfig
		if st.PluginConfig != "" {
			cfg = st.PluginConfig
		}
		vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{
			Profile: testenv.Envoy139, PluginConfig: []byte(cfg), Properties: c.Properties, LogLevel: testenv.LogInfo,
		})
		if err != nil {
			return 0, fmt.Errorf("loading %s counted: %w", ct.Name, err)
		}
		stages = append(stages, counted{vm, funcs})
		ch = append(ch, vm)
	}
	total := func() (uint64, error) {
		var n uint64
		for _, s := range stages {
			counts, err := instrcount.Snapshot(s.funcs, s.vm.ExportedGlobal)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", ct.Name, err)
			}
			for _, v := range counts {
				n += v
			}
		}
		return n, nil
	}
	for i := 0; i < instrWarmup; i++ {
		ch.cycle(c)
	}
	before, err := total()
	if err != nil {
		return 0, err
	}
	for i := 0; i < instrStreams; i++ {
		ch.cycle(c)
	}
	after, err := total()
	if err != nil {
		return 0, err
	}
	for _, vm := range ch {
		if err := vm.Err(); err != nil {
			return 0, fmt.Errorf("%s failed while counted: %w", ct.Name, err)
		}
	}
	return float64(after-before) / instrStreams, nil
}
