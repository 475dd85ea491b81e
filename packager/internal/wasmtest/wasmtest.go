// Package wasmtest hand-assembles tiny Wasm binary modules for tests, so that
// tests need no compiler or .wat tooling.
package wasmtest

// Value types in the Wasm binary encoding.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Func is a function type.
type Func struct {
	Params, Results []byte
}

// Import is an imported function.
type Import struct {
	Module, Name string
	Type         Func
}

// Export is a defined function exported under Name; its body returns zeros.
type Export struct {
	Name string
	Type Func
}

// Module describes a module to assemble.
type Module struct {
	Imports []Import
	Exports []Export
	// Memory adds one exported memory named "memory" with one page.
	Memory bool
}

// Bytes assembles the module in the Wasm binary format.
func (m Module) Bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	var types [][]byte
	for _, imp := range m.Imports {
		types = append(types, funcType(imp.Type))
	}
	for _, e := range m.Exports {
		types = append(types, funcType(e.Type))
	}
	if len(types) > 0 {
		out = section(out, 1, vec(types))
	}
	if len(m.Imports) > 0 {
		var imps [][]byte
		for i, imp := range m.Imports {
			b := append(str(imp.Module), str(imp.Name)...)
			b = append(b, 0x00)
			b = append(b, uleb(uint32(i))...)
			imps = append(imps, b)
		}
		out = section(out, 2, vec(imps))
	}
	if len(m.Exports) > 0 {
		var funcs [][]byte
		for i := range m.Exports {
			funcs = append(funcs, uleb(uint32(len(m.Imports)+i)))
		}
		out = section(out, 3, vec(funcs))
	}
	if m.Memory {
		out = section(out, 5, vec([][]byte{{0x00, 0x01}}))
	}
	var exps [][]byte
	for i, e := range m.Exports {
		b := append(str(e.Name), 0x00)
		exps = append(exps, append(b, uleb(uint32(len(m.Imports)+i))...))
	}
	if m.Memory {
		exps = append(exps, append(str("memory"), 0x02, 0x00))
	}
	if len(exps) > 0 {
		out = section(out, 7, vec(exps))
	}
	if len(m.Exports) > 0 {
		var codes [][]byte
		for _, e := range m.Exports {
			body := []byte{0x00} // no locals
			for _, r := range e.Type.Results {
				if r == I64 {
					body = append(body, 0x42, 0x00)
				} else {
					body = append(body, 0x41, 0x00)
				}
			}
			body = append(body, 0x0b)
			codes = append(codes, append(uleb(uint32(len(body))), body...))
		}
		out = section(out, 10, vec(codes))
	}
	return out
}

func funcType(f Func) []byte {
	b := []byte{0x60}
	b = append(b, uleb(uint32(len(f.Params)))...)
	b = append(b, f.Params...)
	b = append(b, uleb(uint32(len(f.Results)))...)
	return append(b, f.Results...)
}

func section(out []byte, id byte, payload []byte) []byte {
	out = append(out, id)
	out = append(out, uleb(uint32(len(payload)))...)
	return append(out, payload...)
}

func vec(items [][]byte) []byte {
	b := uleb(uint32(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func str(s string) []byte { return append(uleb(uint32(len(s))), s...) }

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
