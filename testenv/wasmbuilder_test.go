package testenv

import "github.com/laneway/laneway/testenv/wasmtest"

// Hand-made test modules, assembled by testenv/wasmtest (refusals and
// restricted phases that a Go module cannot be made to hit on purpose).

type wfunc struct {
	params, results []byte // value types (0x7f i32, 0x7e i64)
	export          string
	body            []byte // instructions, without the final end
}

type wimport struct {
	module, name    string
	params, results []byte
}

type wmodule struct {
	imports []wimport
	funcs   []wfunc
	data    []byte // placed at offset 0 of the memory
}

// i32c is `i32.const v`; call is `call idx`.
func i32c(v int32) []byte    { return append([]byte{0x41}, wasmtest.SLEB(int64(v))...) }
func call(idx uint32) []byte { return append([]byte{0x10}, wasmtest.ULEB(idx)...) }

const opDrop = 0x1a

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// bytes assembles m with testenv/wasmtest: every function has a type of its own, the memory (one page) is always
// there and exported.
func (m wmodule) bytes() []byte {
	w := wasmtest.Module{Memory: true, Data: m.data}
	for _, im := range m.imports {
		w.Imports = append(w.Imports, wasmtest.Import{Module: im.module, Name: im.name, Type: wasmtest.Func{Params: im.params, Results: im.results}})
	}
	for _, f := range m.funcs {
		w.Funcs = append(w.Funcs, wasmtest.Code{Name: f.export, NoExport: f.export == "", Body: cat(f.body, []byte{0x0b}),
			Type: wasmtest.Func{Params: f.params, Results: f.results}})
	}
	return w.Bytes()
}

var (
	i32  = []byte{0x7f}
	i32x = func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 0x7f
		}
		return b
	}
)

// baseFuncs are the exports every test module has: the ABI marker and an allocator
// returning a fixed address.
func baseFuncs() []wfunc {
	return []wfunc{
		{export: "proxy_abi_version_0_2_0"},
		{export: "proxy_on_memory_allocate", params: i32, results: i32, body: i32c(4096)},
		{export: "_initialize"},
	}
}
