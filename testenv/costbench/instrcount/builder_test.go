package instrcount

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

// tmodule is a module to assemble; the sections come out in the order the binary format requires.
type tmodule struct {
	imports  []timport
	globals  []byte // defined mutable globals of these types, initialized to 7, exported as "g<N>" (defined index)
	funcs    []tfunc
	memory   bool   // one page, exported as "memory" unless noExport is set on every function
	start    int    // 1 + the defined function run at instantiation; 0 for none
	data     []byte // an active data segment at offset 0 (with a data count section); nil for none
	names    bool   // a name section naming the defined functions (and the imports "<module>.<name>")
	noExport bool   // no export section at all
	custom   bool   // a custom section "note" right after the type section
}

func (m tmodule) bytes() []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	var types [][]byte
	var imps [][]byte
	nfuncImports := 0
	for _, im := range m.imports {
		b := append(str(im.module), str(im.name)...)
		if im.global != 0 {
			b = append(b, 0x03, im.global, 0x01) // mutable: what tmodule's globals export
		} else {
			b = append(b, 0x00)
			b = append(b, uleb(uint32(len(types)))...)
			types = append(types, functype(im.params, im.results))
			nfuncImports++
		}
		imps = append(imps, b)
	}
	var fidx [][]byte
	for _, f := range m.funcs {
		fidx = append(fidx, uleb(uint32(len(types))))
		types = append(types, functype(f.params, f.results))
	}
	out = sect(out, 1, vec(types))
	if m.custom {
		out = sect(out, 0, append(str("note"), "anything"...))
	}
	if len(imps) > 0 {
		out = sect(out, 2, vec(imps))
	}
	out = sect(out, 3, vec(fidx))
	if m.memory {
		out = sect(out, 5, vec([][]byte{{0x00, 0x01}}))
	}
	if len(m.globals) > 0 {
		var gs [][]byte
		for _, t := range m.globals {
			init := []byte{opI32Const, 7, opEnd}
			if t == i64 {
				init = []byte{opI64Const, 7, opEnd}
			}
			gs = append(gs, append([]byte{t, 0x01}, init...))
		}
		out = sect(out, 6, vec(gs))
	}
	if !m.noExport {
		var es [][]byte
		for i, f := range m.funcs {
			if !f.noExport {
				es = append(es, append(append(str(f.name), 0x00), uleb(uint32(nfuncImports+i))...))
			}
		}
		nglobalImports := len(m.imports) - nfuncImports
		for i := range m.globals {
			es = append(es, append(append(str("g"+itoa(i)), 0x03), uleb(uint32(nglobalImports+i))...))
		}
		if m.memory {
			es = append(es, append(str("memory"), 0x02, 0x00))
		}
		out = sect(out, 7, vec(es))
	}
	if m.start > 0 {
		out = sect(out, 8, uleb(uint32(nfuncImports+m.start-1)))
	}
	if m.data != nil {
		out = sect(out, 12, uleb(1))
	}
	var code [][]byte
	for _, f := range m.funcs {
		var b []byte
		if !f.raw {
			b = append(b, uleb(uint32(len(f.locals)))...)
			for _, t := range f.locals {
				b = append(b, 0x01, t)
			}
		}
		b = append(b, f.body...)
		code = append(code, append(uleb(uint32(len(b))), b...))
	}
	out = sect(out, 10, vec(code))
	if m.data != nil {
		seg := append([]byte{0x00, opI32Const, 0x00, opEnd}, uleb(uint32(len(m.data)))...)
		out = sect(out, 11, vec([][]byte{append(seg, m.data...)}))
	}
	if m.names {
		var fn [][]byte
		for i, f := range m.funcs {
			fn = append(fn, append(uleb(uint32(nfuncImports+i)), str(f.name)...))
		}
		var imn [][]byte
		n := 0
		for _, im := range m.imports {
			if im.global == 0 {
				imn = append(imn, append(uleb(uint32(n)), str(im.module+"."+im.name)...))
				n++
			}
		}
		sub := vec(append(imn, fn...))
		payload := append(str("name"), 0x01)
		payload = append(payload, uleb(uint32(len(sub)))...)
		out = sect(out, 0, append(payload, sub...))
	}
	return out
}

func functype(params, results []byte) []byte {
	b := append([]byte{0x60}, uleb(uint32(len(params)))...)
	b = append(b, params...)
	b = append(b, uleb(uint32(len(results)))...)
	return append(b, results...)
}

func sect(out []byte, id byte, payload []byte) []byte {
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

func uleb(v uint32) []byte { return appendU32(nil, v) }

func sleb(v int64) []byte { return appendS64(nil, v) }

func itoa(i int) string { return string(rune('0' + i)) }

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
