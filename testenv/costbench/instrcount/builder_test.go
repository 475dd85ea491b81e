package instrcount

import "github.com/laneway/laneway/testenv/wasmtest"

// A minimal Wasm binary writer for the tests: hand-assembled modules whose executed instruction counts are
// known exactly.

// Value types and block types.
const (
	i32   byte = 0x7F
	i64   byte = 0x7E
	empty byte = 0x40 // the empty block type
)

// Instructions used by the test bodies (immediates follow them in the bodies).
const (
	opUnreachable byte = 0x00
	opNop         byte = 0x01
	opBlock       byte = 0x02
	opLoop        byte = 0x03
	opIf          byte = 0x04
	opElse        byte = 0x05
	opEnd         byte = 0x0B
	opBr          byte = 0x0C
	opBrIf        byte = 0x0D
	opBrTable     byte = 0x0E
	opReturn      byte = 0x0F
	opCall        byte = 0x10
	opDrop        byte = 0x1A
	opLocalGet    byte = 0x20
	opLocalSet    byte = 0x21
	opLocalTee    byte = 0x22
	opGlobalGet   byte = 0x23
	opGlobalSet   byte = 0x24
	opI32Load     byte = 0x28
	opI32Load8U   byte = 0x2D
	opI32Store    byte = 0x36
	opI32Const    byte = 0x41
	opI64Const    byte = 0x42
	opF32Const    byte = 0x43
	opF64Const    byte = 0x44
	opI32Add      byte = 0x6A
	opI32Sub      byte = 0x6B
	opI32Mul      byte = 0x6C
	opPrefixFC    byte = 0xFC
)

// tfunc is a defined function.
type tfunc struct {
	name            string // in the name section (when the module has one) and its export name unless noExport
	noExport        bool
	params, results []byte
	locals          []byte // one local of each listed type
	body            []byte // the expression, final end included
	raw             bool   // body holds the local declarations too (locals is ignored)
}

// timport is an imported function or global.
type timport struct {
	module, name    string
	global          byte // the global's value type; 0 for a function
	params, results []byte
}

// tmodule is a module to assemble (with testenv/wasmtest); the sections come out in the order the binary format
// requires.
type tmodule struct {
	imports  []timport
	globals  []byte // defined mutable globals of these types, initialized to 7, exported as "g<N>" (defined index)
	funcs    []tfunc
	memory   bool   // one page, exported as "memory" unless noExport is set
	start    int    // 1 + the defined function run at instantiation; 0 for none
	data     []byte // an active data segment at offset 0 (with a data count section); nil for none
	names    bool   // a name section naming the defined functions (and the imports "<module>.<name>")
	noExport bool   // no export section at all
	custom   bool   // a custom section "note" right after the type section
}

func (m tmodule) bytes() []byte {
	w := wasmtest.Module{Globals: m.globals, Memory: m.memory, Start: m.start, Data: m.data, Names: m.names,
		NoExport: m.noExport, Custom: m.custom}
	for _, im := range m.imports {
		w.Imports = append(w.Imports, wasmtest.Import{Module: im.module, Name: im.name, Global: im.global,
			Type: wasmtest.Func{Params: im.params, Results: im.results}})
	}
	for _, f := range m.funcs {
		w.Funcs = append(w.Funcs, wasmtest.Code{Name: f.name, NoExport: f.noExport, Locals: f.locals, Body: f.body,
			Raw: f.raw, Type: wasmtest.Func{Params: f.params, Results: f.results}})
	}
	return w.Bytes()
}

// The binary format's encodings, for the tests that assemble bad modules by hand.
var (
	functype = wasmtest.FuncType
	sect     = wasmtest.Section
	vec      = wasmtest.Vec
	str      = wasmtest.Str
	uleb     = wasmtest.ULEB
	sleb     = wasmtest.SLEB
)

// i32c is i32.const v.
func i32c(v int32) []byte { return append([]byte{opI32Const}, sleb(int64(v))...) }

// code concatenates instructions and their immediates.
func code(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case byte:
			b = append(b, p)
		case []byte:
			b = append(b, p...)
		case int:
			b = append(b, uleb(uint32(p))...)
		default:
			panic("code: unexpected part")
		}
	}
	return b
}
