// Package wasmtest hand-assembles small Wasm binary modules for tests, so that tests need no compiler or .wat
// tooling: the one writer the packager's, testenv's and instrcount's tests share.
package wasmtest

import "strconv"

// Value types in the Wasm binary encoding.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Func is a function type.
type Func struct {
	Params, Results []byte
}

// Import is an imported function, or, with Global set, an imported mutable global of that value type.
type Import struct {
	Module, Name string
	Type         Func
	Global       byte
}

// Export is a defined function exported under Name; its body returns zeros.
type Export struct {
	Name string
	Type Func
}

// Code is a defined function with a body of its own, numbered after the Exports.
type Code struct {
	// Name is its export name, and its name in the name section (Module.Names).
	Name string
	// NoExport leaves it out of the export section.
	NoExport bool
	Type     Func
	// Locals declares one local of each listed type.
	Locals []byte
	// Body is the expression, final end included; with Raw it starts with the local declarations too
	// (Locals is then ignored), for malformed bodies.
	Body []byte
	Raw  bool
}

// Module describes a module to assemble; its sections come out in the order the binary format requires, each only
// when it has something in it.
type Module struct {
	Imports []Import
	Exports []Export
	Funcs   []Code
	// Memory adds one memory of one page, exported as "memory" (unless NoExport).
	Memory bool
	// Globals defines mutable globals of these value types, initialized to 7, exported as "g<N>" (N counting the
	// defined globals only).
	Globals []byte
	// Start is 1 + the index in Funcs of the function run at instantiation; 0 for none.
	Start int
	// Data is an active data segment at offset 0 (with a data count section); nil for none.
	Data []byte
	// Names adds a name section naming the imported functions "<module>.<name>" and the Funcs by Name.
	Names bool
	// NoExport leaves out the export section altogether.
	NoExport bool
	// Custom adds a custom section "note" right after the type section.
	Custom bool
}

// Bytes assembles the module in the Wasm binary format.
func (m Module) Bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	var types, imps, funcs, exps, codes [][]byte
	nfuncImports, nglobalImports := 0, 0
	for _, imp := range m.Imports {
		b := append(Str(imp.Module), Str(imp.Name)...)
		if imp.Global != 0 {
			b = append(b, 0x03, imp.Global, 0x01)
			nglobalImports++
		} else {
			b = append(b, 0x00)
			b = append(b, uleb(uint32(len(types)))...)
			types = append(types, funcType(imp.Type))
			nfuncImports++
		}
		imps = append(imps, b)
	}
	define := func(name string, export bool, t Func, body []byte) {
		idx := uint32(nfuncImports + len(funcs))
		funcs = append(funcs, uleb(uint32(len(types))))
		types = append(types, funcType(t))
		if export {
			exps = append(exps, append(append(Str(name), 0x00), uleb(idx)...))
		}
		codes = append(codes, append(uleb(uint32(len(body))), body...))
	}
	for _, e := range m.Exports {
		body := []byte{0x00} // no locals
		for _, r := range e.Type.Results {
			if r == I64 {
				body = append(body, 0x42, 0x00)
			} else {
				body = append(body, 0x41, 0x00)
			}
		}
		define(e.Name, true, e.Type, append(body, 0x0b))
	}
	for _, f := range m.Funcs {
		var body []byte
		if !f.Raw {
			body = uleb(uint32(len(f.Locals)))
			for _, t := range f.Locals {
				body = append(body, 0x01, t)
			}
		}
		define(f.Name, !f.NoExport, f.Type, append(body, f.Body...))
	}
	for i := range m.Globals {
		exps = append(exps, append(append(Str("g"+strconv.Itoa(i)), 0x03), uleb(uint32(nglobalImports+i))...))
	}
	if m.Memory {
		exps = append(exps, append(Str("memory"), 0x02, 0x00))
	}
	if len(types) > 0 {
		out = Section(out, 1, Vec(types))
	}
	if m.Custom {
		out = Section(out, 0, append(Str("note"), "anything"...))
	}
	if len(imps) > 0 {
		out = Section(out, 2, Vec(imps))
	}
	if len(funcs) > 0 {
		out = Section(out, 3, Vec(funcs))
	}
	if m.Memory {
		out = Section(out, 5, Vec([][]byte{{0x00, 0x01}}))
	}
	if len(m.Globals) > 0 {
		var gs [][]byte
		for _, t := range m.Globals {
			init := []byte{0x41, 7, 0x0b} // i32.const 7
			if t == I64 {
				init[0] = 0x42 // i64.const 7
			}
			gs = append(gs, append([]byte{t, 0x01}, init...))
		}
		out = Section(out, 6, Vec(gs))
	}
	if len(exps) > 0 && !m.NoExport {
		out = Section(out, 7, Vec(exps))
	}
	if m.Start > 0 {
		out = Section(out, 8, uleb(uint32(nfuncImports+len(m.Exports)+m.Start-1)))
	}
	if m.Data != nil {
		out = Section(out, 12, uleb(1))
	}
	if len(codes) > 0 {
		out = Section(out, 10, Vec(codes))
	}
	if m.Data != nil {
		seg := append([]byte{0x00, 0x41, 0x00, 0x0b}, uleb(uint32(len(m.Data)))...)
		out = Section(out, 11, Vec([][]byte{append(seg, m.Data...)}))
	}
	if m.Names {
		var names [][]byte
		n := 0
		for _, imp := range m.Imports {
			if imp.Global == 0 {
				names = append(names, append(uleb(uint32(n)), Str(imp.Module+"."+imp.Name)...))
				n++
			}
		}
		for i, f := range m.Funcs {
			names = append(names, append(uleb(uint32(nfuncImports+len(m.Exports)+i)), Str(f.Name)...))
		}
		sub := Vec(names)
		payload := append(Str("name"), 0x01)
		payload = append(payload, uleb(uint32(len(sub)))...)
		out = Section(out, 0, append(payload, sub...))
	}
	return out
}

func funcType(f Func) []byte { return FuncType(f.Params, f.Results) }

// FuncType is the encoding of a function type (0x60, params, results).
func FuncType(params, results []byte) []byte {
	b := []byte{0x60}
	b = append(b, uleb(uint32(len(params)))...)
	b = append(b, params...)
	b = append(b, uleb(uint32(len(results)))...)
	return append(b, results...)
}

// Section appends to out the section id with payload, prefixed by its size.
func Section(out []byte, id byte, payload []byte) []byte {
	out = append(out, id)
	out = append(out, uleb(uint32(len(payload)))...)
	return append(out, payload...)
}

// Vec is the encoding of a vector: the item count, then the items.
func Vec(items [][]byte) []byte {
	b := uleb(uint32(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

// Str is the encoding of a name: its length, then its bytes.
func Str(s string) []byte { return append(uleb(uint32(len(s))), s...) }

// ULEB is v in unsigned LEB128, as the binary format writes indexes and sizes.
func ULEB(v uint32) []byte { return uleb(v) }

func uleb(v uint32) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// SLEB is v in signed LEB128, as the binary format writes the immediates of i32.const and i64.const.
func SLEB(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func i32s(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = I32
	}
	return b
}

func status(n int) Func { return Func{Params: i32s(n), Results: []byte{I32}} }

// GoFilter returns a module shaped like a Go 1.26 wasip1 c-shared proxy-wasm filter:
// the 15 WASI imports Go needs, a few proxy_* imports and the usual ABI exports.
func GoFilter() Module {
	wasi := func(name string, f Func) Import {
		return Import{Module: "wasi_snapshot_preview1", Name: name, Type: f}
	}
	env := func(name string, f Func) Import { return Import{Module: "env", Name: name, Type: f} }
	return Module{
		Imports: []Import{
			wasi("sched_yield", status(0)),
			wasi("poll_oneoff", status(4)),
			wasi("fd_fdstat_set_flags", status(2)),
			wasi("fd_prestat_get", status(2)),
			wasi("fd_prestat_dir_name", status(3)),
			wasi("proc_exit", Func{Params: i32s(1)}),
			wasi("args_get", status(2)),
			wasi("args_sizes_get", status(2)),
			wasi("clock_time_get", Func{Params: []byte{I32, I64, I32}, Results: []byte{I32}}),
			wasi("environ_get", status(2)),
			wasi("environ_sizes_get", status(2)),
			wasi("fd_write", status(4)),
			wasi("random_get", status(2)),
			wasi("fd_close", status(1)),
			wasi("fd_fdstat_get", status(2)),
			env("proxy_log", status(3)),
			env("proxy_get_header_map_pairs", status(3)),
			env("proxy_replace_header_map_value", status(5)),
		},
		Exports: []Export{
			{Name: "_initialize", Type: Func{}},
			{Name: "proxy_abi_version_0_2_0", Type: Func{}},
			{Name: "proxy_on_memory_allocate", Type: status(1)},
			{Name: "proxy_on_context_create", Type: Func{Params: i32s(2)}},
			{Name: "proxy_on_request_headers", Type: status(3)},
			{Name: "proxy_on_delete", Type: Func{Params: i32s(1)}},
		},
		Memory: true,
	}
}

// With returns a copy of m with extra imports appended.
func (m Module) With(imps ...Import) Module {
	m.Imports = append(append([]Import(nil), m.Imports...), imps...)
	return m
}

// Without returns a copy of m without the named export.
func (m Module) Without(export string) Module {
	var keep []Export
	for _, e := range m.Exports {
		if e.Name != export {
			keep = append(keep, e)
		}
	}
	m.Exports = keep
	return m
}
