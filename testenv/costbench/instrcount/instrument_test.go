package instrcount

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// fn1 is a function (i32) -> i32.
func fn1(name string, body ...any) tfunc {
	return tfunc{name: name, params: []byte{i32}, results: []byte{i32}, body: code(body...)}
}

func f32bits(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }

func f64bits(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }

var tripleImport = timport{module: "host", name: "triple", params: []byte{i32}, results: []byte{i32}}

// countCase is a module, an export to call with an argument, the result it returns and how many
// instructions each function runs for that call.
type countCase struct {
	name   string
	mod    tmodule
	call   string
	arg    uint64
	result uint64
	counts map[string]uint64 // by function name; functions left out must count 0
	bulk   map[string]uint64 // memory.copy and memory.fill by function name; nil: none
}

// countCases are the modules whose instruction counts are worked out by hand; the comments give the runs
// (straight-line stretches, each counted whole) and what they count: block, loop, end and nop count 0.
func countCases() []countCase {
	straight := tmodule{funcs: []tfunc{fn1("f", opLocalGet, 0, i32c(1), opI32Add, opEnd)}} // [get const add end] 3
	ifElse := tmodule{funcs: []tfunc{fn1("f",
		opLocalGet, 0, opIf, i32, // [get if] 2
		i32c(10), i32c(1), opI32Add, opElse, // [const const add else] 4
		i32c(20), opEnd, // [const end] 1
		opEnd)}} // [end] 0
	ifNoElse := tmodule{funcs: []tfunc{fn1("f",
		opLocalGet, 0, opIf, empty, // [get if] 2
		i32c(1), opDrop, opEnd, // [const drop end] 2
		i32c(7), opEnd)}} // [const end] 1
	loop := tmodule{funcs: []tfunc{{name: "sum", params: []byte{i32}, results: []byte{i32}, locals: []byte{i32}, body: code(
		opLoop, empty, // [loop] 0
		opLocalGet, 1, opLocalGet, 0, opI32Add, opLocalSet, 1, // [get get add set
		opLocalGet, 0, i32c(1), opI32Sub, opLocalTee, 0, opBrIf, 0, //  get const sub tee br_if] 9 per turn
		opEnd,                   // [end] 0
		opLocalGet, 1, opEnd)}}} // [get end] 1
	brIf := tmodule{funcs: []tfunc{fn1("f",
		opBlock, empty, opLocalGet, 0, opBrIf, 0, // [block get br_if] 2
		i32c(5), opLocalSet, 0, opEnd, // [const set end] 2
		opLocalGet, 0, opEnd)}} // [get end] 1
	brTable := tmodule{funcs: []tfunc{fn1("f",
		opBlock, empty, opBlock, empty, opBlock, empty, opLocalGet, 0, opBrTable, 2, 0, 1, 2, // [block block block get br_table] 2
		opEnd,               // [end] 0
		i32c(100), opReturn, // [const return] 2: target 0
		opEnd,
		i32c(150), i32c(50), opI32Add, opReturn, // [const const add return] 4: target 1
		opEnd,
		i32c(300), opNop, opEnd)}} // [const nop end] 1: the default
	call := tmodule{funcs: []tfunc{
		fn1("caller", opLocalGet, 0, opCall, 1, opCall, 1, opEnd), // [get call call end] 3
		fn1("callee", opLocalGet, 0, i32c(2), opI32Mul, opEnd),    // [get const mul end] 3 per call
	}}
	fact := tmodule{funcs: []tfunc{fn1("fact",
		opLocalGet, 0, 0x45, opIf, i32, // [get eqz if] 3
		i32c(1), opElse, // [const else] 2
		opLocalGet, 0, opLocalGet, 0, i32c(1), opI32Sub, opCall, 0, opI32Mul, opEnd, // [get get const sub call mul end] 6
		opEnd)}} // [end] 0
	early := tmodule{funcs: []tfunc{fn1("f",
		opLocalGet, 0, opIf, empty, // [get if] 2
		i32c(1), opReturn, // [const return] 2
		opEnd,                               // [end] 0
		i32c(2), i32c(3), opI32Add, opEnd)}} // [const const add end] 3
	imported := tmodule{imports: []timport{tripleImport}, funcs: []tfunc{
		fn1("f", opLocalGet, 0, opCall, 0, i32c(1), opI32Add, opEnd)}} // [get call const add end] 4; the import has no counter
	dead := tmodule{funcs: []tfunc{fn1("f",
		opBlock, empty, opBr, 0, // [block br] 1
		i32c(1), opDrop, opEnd, // [const drop end] 2, dead code
		opLocalGet, 0, opEnd)}} // [get end] 1
	immediates := tmodule{memory: true, funcs: []tfunc{fn1("f",
		i32c(0), i32c(7), i32c(8), opPrefixFC, 11, 0, // memory.fill: 4
		i32c(0), opLocalGet, 0, opI32Store, 2, 4, // i32.store offset=4: 3
		i32c(0), opI32Load, 2, 4, // i32.load offset=4: 2
		i32c(0), opI32Load8U, 0, 0, // i32.load8_u: 2
		opI32Add,                                // 1
		opI64Const, sleb(-123456789012), opDrop, // 2
		opF64Const, f64bits(2.5), opDrop, // 2
		opF32Const, f32bits(-1.5), opPrefixFC, 0, opDrop, // f32.const, i32.trunc_sat_f32_s, drop: 3
		i32c(16), i32c(0), i32c(4), opPrefixFC, 10, 0, 0, // memory.copy: 4
		opEnd)}} // 0: 23 in all, 2 of them bulk memory
	return []countCase{
		{"straight line", straight, "f", 5, 6, map[string]uint64{"f": 3}, nil},
		{"if/else, then taken", ifElse, "f", 1, 11, map[string]uint64{"f": 2 + 4}, nil},
		{"if/else, else taken", ifElse, "f", 0, 20, map[string]uint64{"f": 2 + 1}, nil},
		{"if without else, skipped", ifNoElse, "f", 0, 7, map[string]uint64{"f": 2 + 1}, nil},
		{"if without else, taken", ifNoElse, "f", 1, 7, map[string]uint64{"f": 2 + 2 + 1}, nil},
		{"loop once", loop, "sum", 1, 1, map[string]uint64{"sum": 9 + 1}, nil},
		{"loop 10 times", loop, "sum", 10, 55, map[string]uint64{"sum": 9*10 + 1}, nil},
		{"loop 1000 times", loop, "sum", 1000, 500500, map[string]uint64{"sum": 9*1000 + 1}, nil},
		{"br_if out of a block", brIf, "f", 3, 3, map[string]uint64{"f": 2 + 1}, nil},
		{"br_if falls through", brIf, "f", 0, 5, map[string]uint64{"f": 2 + 2 + 1}, nil},
		{"br_table target 0", brTable, "f", 0, 100, map[string]uint64{"f": 2 + 2}, nil},
		{"br_table target 1", brTable, "f", 1, 200, map[string]uint64{"f": 2 + 4}, nil},
		{"br_table default", brTable, "f", 7, 300, map[string]uint64{"f": 2 + 1}, nil},
		{"call: the caller counts each call once, the callee its own", call, "caller", 3, 12, map[string]uint64{"caller": 3, "callee": 2 * 3}, nil},
		{"recursion", fact, "fact", 5, 120, map[string]uint64{"fact": 5*(3+6) + (3 + 2)}, nil},
		{"early return", early, "f", 1, 1, map[string]uint64{"f": 2 + 2}, nil},
		{"no early return", early, "f", 0, 5, map[string]uint64{"f": 2 + 3}, nil},
		{"import call", imported, "f", 4, 13, map[string]uint64{"f": 4}, nil},
		{"dead code after br", dead, "f", 9, 9, map[string]uint64{"f": 1 + 1}, nil},
		{"immediates, loads, stores, 0xFC", immediates, "f", 1000, 1007, map[string]uint64{"f": 23}, map[string]uint64{"f": 2}},
	}
}

// newRuntime returns a wazero runtime with the modules the test modules import: "host" (a Go function
// triple) and "genv" (two mutable i32 globals g0, g1 set to 7).
func newRuntime(t *testing.T) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = rt.Close(ctx) })
	_, err := rt.NewHostModuleBuilder("host").
		NewFunctionBuilder().WithFunc(func(x uint32) uint32 { return 3 * x }).Export("triple").
		Instantiate(ctx)
	require.NoError(t, err)
	_, err = rt.InstantiateWithConfig(ctx, tmodule{globals: []byte{i32, i32}}.bytes(), wazero.NewModuleConfig().WithName("genv"))
	require.NoError(t, err)
	return rt
}

func instantiate(t *testing.T, rt wazero.Runtime, wasm []byte) api.Module {
	t.Helper()
	ctx := context.Background()
	m, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(ctx) })
	return m
}

// counts reads every instruction counter of an instantiated instrumented module, by function name.
func counts(t *testing.T, m api.Module, funcs []Func) map[string]uint64 {
	return read(t, m, funcs, Snapshot)
}

// bulks reads every memory.copy/memory.fill counter of an instantiated instrumented module, by function name.
func bulks(t *testing.T, m api.Module, funcs []Func) map[string]uint64 {
	return read(t, m, funcs, SnapshotBulk)
}

func read(t *testing.T, m api.Module, funcs []Func, snapshot func([]Func, func(string) (uint64, bool)) ([]uint64, error)) map[string]uint64 {
	t.Helper()
	vs, err := snapshot(funcs, func(name string) (uint64, bool) {
		g := m.ExportedGlobal(name)
		if g == nil {
			return 0, false
		}
		return g.Get(), true
	})
	require.NoError(t, err)
	out := map[string]uint64{}
	for i, f := range funcs {
		out[f.Name] = vs[i]
	}
	return out
}

func TestInstrumentCountsExactly(t *testing.T) {
	rt := newRuntime(t)
	for _, c := range countCases() {
		t.Run(c.name, func(t *testing.T) {
			c.mod.names = true
			wasm := c.mod.bytes()
			out, funcs, err := Instrument(wasm)
			require.NoError(t, err)
			require.Len(t, funcs, len(c.mod.funcs))

			orig, counted := instantiate(t, rt, wasm), instantiate(t, rt, out)
			want, err := orig.ExportedFunction(c.call).Call(context.Background(), c.arg)
			require.NoError(t, err)
			got, err := counted.ExportedFunction(c.call).Call(context.Background(), c.arg)
			require.NoError(t, err)
			assert.Equal(t, []uint64{c.result}, want, "the original module's result")
			assert.Equal(t, want, got, "the instrumented module returns what the original does")

			expected, expectedBulk := map[string]uint64{}, map[string]uint64{}
			for _, f := range c.mod.funcs {
				expected[f.name], expectedBulk[f.name] = c.counts[f.name], c.bulk[f.name]
			}
			assert.Equal(t, expected, counts(t, counted, funcs))
			assert.Equal(t, expectedBulk, bulks(t, counted, funcs), "memory.copy and memory.fill")
		})
	}
}

// TestInstrumentCountsAccumulate: the counters are totals over every call since instantiation.
func TestInstrumentCountsAccumulate(t *testing.T) {
	rt := newRuntime(t)
	c := countCases()[6] // loop 10 times: 91
	out, funcs, err := Instrument(c.mod.bytes())
	require.NoError(t, err)
	m := instantiate(t, rt, out)
	for i := uint64(1); i <= 3; i++ {
		_, err := m.ExportedFunction("sum").Call(context.Background(), 10)
		require.NoError(t, err)
		assert.Equal(t, map[string]uint64{"func[0]": 91 * i}, counts(t, m, funcs))
	}
}

// sectionIDs lists a module's section ids in order.
func sectionIDs(t *testing.T, wasm []byte) []byte {
	t.Helper()
	var ids []byte
	for r := (reader{b: wasm, p: 8}); !r.done(); {
		ids = append(ids, r.byte())
		r.bytes(int(r.u32()))
		require.NoError(t, r.err)
	}
	return ids
}

// TestInstrumentInsertsSectionsInOrder: a module without a global or export section gets them where the
// binary format requires (before start, data count, code and data), one with them gets them extended.
func TestInstrumentInsertsSectionsInOrder(t *testing.T) {
	initFn := tfunc{name: "init", noExport: true, body: code(i32c(1), opDrop, opEnd)} // 2, run by the start section
	cases := []struct {
		name     string
		mod      tmodule
		ids, out []byte
		globals  map[string]uint64 // exported globals after instantiation, the counter included
	}{
		{"no global, no export, start, data count, data, custom sections",
			tmodule{funcs: []tfunc{initFn}, noExport: true, memory: true, start: 1, data: []byte("hi"), custom: true},
			[]byte{1, 0, 3, 5, 8, 12, 10, 11}, []byte{1, 0, 3, 5, 6, 7, 8, 12, 10, 11},
			map[string]uint64{"instrcount.0": 2}},
		{"a global, no export",
			tmodule{funcs: []tfunc{initFn}, noExport: true, globals: []byte{i64}, start: 1},
			[]byte{1, 3, 6, 8, 10}, []byte{1, 3, 6, 7, 8, 10},
			map[string]uint64{"instrcount.0": 2}},
		{"exports, no global",
			tmodule{funcs: []tfunc{initFn, fn1("f", opLocalGet, 0, opEnd)}, start: 1},
			[]byte{1, 3, 7, 8, 10}, []byte{1, 3, 6, 7, 8, 10},
			map[string]uint64{"instrcount.0": 2, "instrcount.1": 0}},
		{"a global and exports",
			tmodule{funcs: []tfunc{initFn}, globals: []byte{i32}, start: 1},
			[]byte{1, 3, 6, 7, 8, 10}, []byte{1, 3, 6, 7, 8, 10},
			map[string]uint64{"g0": 7, "instrcount.0": 2}},
	}
	rt := newRuntime(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wasm := c.mod.bytes()
			require.Equal(t, c.ids, sectionIDs(t, wasm), "the test module's sections")
			out, _, err := Instrument(wasm)
			require.NoError(t, err)
			assert.Equal(t, c.out, sectionIDs(t, out))
			m := instantiate(t, rt, out) // runs the start function
			got := map[string]uint64{}
			for name := range c.globals {
				g := m.ExportedGlobal(name)
				require.NotNil(t, g, "export %s", name)
				got[name] = g.Get()
			}
			assert.Equal(t, c.globals, got)
		})
	}
}

func TestInstrumentNamesFunctions(t *testing.T) {
	mod := tmodule{imports: []timport{tripleImport}, funcs: []tfunc{
		fn1("alpha", opLocalGet, 0, opEnd),
		fn1("beta", opLocalGet, 0, opEnd),
	}}
	named := mod
	named.names = true
	cases := []struct {
		name string
		mod  tmodule
		want []Func
	}{
		{"name section", named, []Func{{1, "alpha", "instrcount.1", "instrcount.bulk.1"}, {2, "beta", "instrcount.2", "instrcount.bulk.2"}}},
		{"no name section", mod, []Func{{1, "func[1]", "instrcount.1", "instrcount.bulk.1"}, {2, "func[2]", "instrcount.2", "instrcount.bulk.2"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, funcs, err := Instrument(c.mod.bytes())
			require.NoError(t, err)
			assert.Equal(t, c.want, funcs)
		})
	}
}

// TestInstrumentCountersFollowImportedGlobals: with imported globals (and a defined one), the counters are
// new globals after all of them; the module's own globals keep their index, type and value.
func TestInstrumentCountersFollowImportedGlobals(t *testing.T) {
	mod := tmodule{
		imports: []timport{{module: "genv", name: "g0", global: i32}, tripleImport, {module: "genv", name: "g1", global: i32}},
		globals: []byte{i32},
		funcs: []tfunc{fn1("f",
			opGlobalGet, 0, opGlobalGet, 2, opI32Add, opLocalGet, 0, opI32Add, // 5
			opI32Const, 1, opGlobalSet, 1, // 2: genv's g1 := 1
			opEnd)}, // 0
	}
	rt := newRuntime(t)
	out, funcs, err := Instrument(mod.bytes())
	require.NoError(t, err)
	require.Equal(t, []Func{{1, "func[1]", "instrcount.1", "instrcount.bulk.1"}}, funcs)
	m := instantiate(t, rt, out)
	res, err := m.ExportedFunction("f").Call(context.Background(), 100)
	require.NoError(t, err)
	assert.Equal(t, []uint64{7 + 7 + 100}, res, "global 0 (imported) and global 2 (defined) read as before")

	counter := m.ExportedGlobal("instrcount.1")
	require.NotNil(t, counter)
	assert.Equal(t, api.ValueTypeI64, counter.Type())
	assert.Equal(t, uint64(7), counter.Get())
	own := m.ExportedGlobal("g0")
	require.NotNil(t, own)
	assert.Equal(t, api.ValueTypeI32, own.Type())
	assert.Equal(t, uint64(7), own.Get())
	genv := rt.Module("genv")
	assert.Equal(t, uint64(1), genv.ExportedGlobal("g1").Get(), "global.set 1 still writes the second import")
	assert.Equal(t, uint64(7), genv.ExportedGlobal("g0").Get())
}

// validModule is a small instrumentable module with a name section (function 0 is "first").
func validModule() []byte {
	return tmodule{names: true, funcs: []tfunc{fn1("first", opLocalGet, 0, opEnd)}}.bytes()
}

// withBody returns a module whose one function, named name, has the given body (its local declarations
// first).
func withBody(name string, body ...any) []byte {
	return tmodule{names: true, funcs: []tfunc{{name: name, raw: true, body: code(body...)}}}.bytes()
}

// header is the Wasm binary header.
const header = "\x00asm\x01\x00\x00\x00"

func errorCases() []struct {
	name string
	in   []byte
	want []string
} {
	valid := validModule()
	twice, _, err := Instrument(valid)
	if err != nil {
		panic(err)
	}
	typeOnly := sect([]byte(header), 1, vec([][]byte{functype(nil, nil)}))
	return []struct {
		name string
		in   []byte
		want []string
	}{
		{"empty", nil, []string{"not a Wasm binary module", "expected 00 61 73 6d 01 00 00 00"}},
		{"text format", []byte("(module)"), []string{"not a Wasm binary module", "28 6d 6f 64 75 6c 65 29", ".wat"}},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), []string{"not a Wasm binary module", "00 61 73 6d 02 00 00 00"}},
		{"section header cut after its id", []byte(header + "\x01"), []string{"section header at offset 8 is truncated"}},
		{"section size LEB128 too long", []byte(header + "\x01\xff\xff\xff\xff\xff\xff"), []string{"section header at offset 8", "LEB128 too long"}},
		{"module cut short", valid[:len(valid)-3], []string{"declares", "bytes but only", "the module is truncated"}},
		{"no code section", typeOnly, []string{"no code section", "nothing to count"}},
		{"code section count larger than the section", sect(append([]byte(nil), typeOnly...), 10, []byte{0x05, 0x02, 0x00, 0x0B}),
			[]string{"code section", "5 bodies declared in 4 bytes"}},
		{"code entry cut short", sect(append([]byte(nil), typeOnly...), 10, []byte{0x01, 0x0A, 0x00, 0x0B}),
			[]string{"function 0 (func[0])", "code entry 0 of 1", "the code section is truncated"}},
		{"bytes after the last body", sect(append([]byte(nil), typeOnly...), 10, []byte{0x01, 0x02, 0x00, 0x0B, 0x00}),
			[]string{"code section: 1 bytes after the last of its 1 bodies"}},
		{"local declarations cut", withBody("locals", 0x02, 0x01), []string{"function 0 (locals)", "local declarations", "truncated"}},
		{"body without its end", withBody("cut", 0x00, i32c(1), opDrop), []string{"function 0 (cut)", "ends inside 1 unclosed blocks"}},
		{"block left open", withBody("open", 0x00, opBlock, empty, opEnd), []string{"function 0 (open)", "unclosed blocks"}},
		{"bytes after the final end", withBody("tail", 0x00, opEnd, opNop), []string{"function 0 (tail)", "1 bytes after the body's final end"}},
		{"SIMD", withBody("simd", 0x00, 0xFD, 0x0C, make([]byte, 16), opDrop, opEnd),
			[]string{"function 0 (simd)", "offset 1 in the body", "unsupported instruction 0xfd (SIMD)", "build the module without"}},
		{"threads", withBody("atomic", 0x00, 0xFE, 0x03, 0x00, opEnd), []string{"function 0 (atomic)", "0xfe (threads)"}},
		{"exception handling", withBody("try", 0x00, 0x06, empty, opEnd, opEnd), []string{"function 0 (try)", "0x06 (exception handling)"}},
		{"unknown 0xFC instruction", withBody("fc", 0x00, opPrefixFC, 99, opEnd), []string{"function 0 (fc)", "unsupported instruction 0xfc 99"}},
		{"immediate cut", withBody("imm", 0x00, opI32Const), []string{"function 0 (imm)", "unexpected end"}},
		{"unknown import kind", sect(append([]byte(nil), typeOnly...), 2, append(append(uleb(1), append(str("m"), str("n")...)...), 0x07)),
			[]string{"section 2", "import kind 0x07"}},
		{"export section cut", sect(append([]byte(nil), typeOnly...), 7, []byte{0x02, 0x01}), []string{"section 7", "exports", "unexpected end"}},
		{"already instrumented", twice, []string{`already exports "instrcount.0"`, "pass the original module"}},
	}
}

func TestInstrumentRejectsBadInput(t *testing.T) {
	for _, c := range errorCases() {
		t.Run(c.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { _, _, err = Instrument(c.in) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "instrcount: ")
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestInstrumentAcceptsEveryTruncationCleanly cuts a valid module at every length: each prefix is an error,
// never a panic or a module.
func TestInstrumentAcceptsEveryTruncationCleanly(t *testing.T) {
	mod := tmodule{memory: true, globals: []byte{i32}, imports: []timport{tripleImport}, funcs: []tfunc{
		fn1("a", opLocalGet, 0, opCall, 0, opEnd), fn1("b", opBlock, empty, opLocalGet, 0, opBrIf, 0, opEnd, i32c(1), opEnd),
	}}
	unnamed := len(mod.bytes()) // the name section comes last: without it the module is this prefix
	mod.names = true
	valid := mod.bytes()
	_, _, err := Instrument(valid)
	require.NoError(t, err)
	for n := 0; n < len(valid); n++ {
		var err error
		require.NotPanics(t, func() { _, _, err = Instrument(valid[:n]) }, "cut at %d", n)
		if n == unnamed {
			assert.NoError(t, err, "cut before the name section")
		} else {
			assert.Error(t, err, "cut at %d of %d", n, len(valid))
		}
	}
}

// exportedGlobals lists the names of the globals a (valid) module exports.
func exportedGlobals(wasm []byte) map[string]bool {
	out := map[string]bool{}
	for r := (reader{b: wasm, p: 8}); !r.done(); {
		id := r.byte()
		p := r.bytes(int(r.u32()))
		if id != secExport {
			continue
		}
		e := reader{b: p}
		for n := e.u32(); n > 0 && e.err == nil; n-- {
			name := e.name()
			if kind := e.byte(); kind == 0x03 {
				out[name] = true
			}
			e.u32()
		}
	}
	return out
}

// fuzzRuntime validates modules for FuzzInstrument (the interpreter compiles fastest).
var fuzzRuntime = sync.OnceValue(func() wazero.Runtime {
	return wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfigInterpreter())
})

// wazeroSafe reports whether wazero's decoder can be given in without risk: it sizes its slices by the
// counts a module declares before reading their entries (a code section declaring 0xFBFBFBFB bodies makes
// it allocate 38 GB), so only inputs whose every LEB128 value is below 2^14 (no two bytes in a row with the
// continuation bit) and at most 4 KiB long are checked against it.
func wazeroSafe(in []byte) bool {
	if len(in) > 4096 {
		return false
	}
	for i := 1; i < len(in); i++ {
		if in[i-1]&0x80 != 0 && in[i]&0x80 != 0 {
			return false
		}
	}
	return true
}

// compiles reports whether wazero accepts a module; wazero's own panics on some invalid modules (a
// function whose type index is out of range reaches its body validation) count as refusals.
func compiles(wasm []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("wazero panicked: %v", p)
		}
	}()
	cm, err := fuzzRuntime().CompileModule(context.Background(), wasm)
	if err == nil {
		_ = cm.Close(context.Background())
	}
	return err
}

// FuzzInstrument: arbitrary bytes never panic; a module wazero accepts is instrumented (unless it uses an
// instruction instrcount does not know or has no function) into a module wazero accepts, with one counter
// per defined function.
func FuzzInstrument(f *testing.F) {
	for _, c := range countCases() {
		f.Add(c.mod.bytes())
		c.mod.names = true
		f.Add(c.mod.bytes())
	}
	for _, c := range errorCases() {
		f.Add(c.in)
	}
	f.Add(validModule())
	f.Add(tmodule{funcs: []tfunc{{name: "init", noExport: true, body: code(i32c(1), opDrop, opEnd)}}, noExport: true, memory: true, start: 1, data: []byte("hi"), custom: true}.bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		out, funcs, err := Instrument(in)
		if !wazeroSafe(in) {
			return
		}
		valid := compiles(in) == nil
		if err != nil {
			if valid && !strings.Contains(err.Error(), "unsupported instruction") && !strings.Contains(err.Error(), "no code section") &&
				!strings.Contains(err.Error(), "already exports") {
				t.Fatalf("a module wazero accepts was refused: %v", err)
			}
			return
		}
		if !valid {
			return
		}
		if err := compiles(out); err != nil { // out is a derivative of a module wazero accepts: a panic here is a failure too
			t.Fatalf("the instrumented module does not compile: %v", err)
		}
		globals := exportedGlobals(out)
		for _, fn := range funcs {
			if !globals[fn.Export] {
				t.Fatalf("no global exported as %s", fn.Export)
			}
		}
	})
}

// TestSnapshotNeedsTheInstrumentedModule: reading the counters of a module that has none is an error
// saying which module to load.
func TestSnapshotNeedsTheInstrumentedModule(t *testing.T) {
	rt := newRuntime(t)
	wasm := validModule()
	_, funcs, err := Instrument(wasm)
	require.NoError(t, err)
	orig := instantiate(t, rt, wasm)
	get := func(name string) (uint64, bool) {
		if g := orig.ExportedGlobal(name); g != nil {
			return g.Get(), true
		}
		return 0, false
	}
	for name, snapshot := range map[string]func([]Func, func(string) (uint64, bool)) ([]uint64, error){"Snapshot": Snapshot, "SnapshotBulk": SnapshotBulk} {
		_, err := snapshot(funcs, get)
		assert.ErrorContains(t, err, "load the module Instrument returned, not the original", name)
	}
}

// TestInstrumentWithRunsSplitsTheCount: a function counted run by run lists one Func per run that ran, named
// after its offset in the module, and their counts add up to what Instrument counts for the function; the other
// functions are counted as before.
func TestInstrumentWithRunsSplitsTheCount(t *testing.T) {
	rt := newRuntime(t)
	for _, c := range countCases() {
		t.Run(c.name, func(t *testing.T) {
			c.mod.names = true
			wasm := c.mod.bytes()
			var names []string
			for _, f := range c.mod.funcs {
				names = append(names, f.name)
			}
			out, funcs, err := InstrumentWith(wasm, Options{Runs: names[:1]})
			require.NoError(t, err)
			counted := instantiate(t, rt, out)
			_, err = counted.ExportedFunction(c.call).Call(context.Background(), c.arg)
			require.NoError(t, err)
			got, runs := map[string]uint64{}, 0
			for name, v := range counts(t, counted, funcs) {
				if fn, off, ok := strings.Cut(name, "@0x"); ok {
					runs++
					at, err := strconv.ParseUint(off, 16, 32)
					require.NoError(t, err)
					require.Less(t, int(at), len(wasm), "run offset %s", name)
					name = fn
				}
				got[name] += v
			}
			expected := map[string]uint64{}
			for _, f := range c.mod.funcs {
				expected[f.name] = c.counts[f.name]
			}
			assert.Equal(t, expected, got)
			assert.Positive(t, runs, "no run of %s listed", names[0])
		})
	}
}
