package testenv

// A tiny WebAssembly binary writer for hand-made test modules (refusals and
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

func uleb(v uint32) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func sleb(v int32) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func wname(s string) []byte { return append(uleb(uint32(len(s))), s...) }

func section(id byte, items [][]byte) []byte {
	body := uleb(uint32(len(items)))
	for _, it := range items {
		body = append(body, it...)
	}
	return append(append([]byte{id}, uleb(uint32(len(body)))...), body...)
}

func functype(params, results []byte) []byte {
	b := append([]byte{0x60}, uleb(uint32(len(params)))...)
	b = append(b, params...)
	b = append(b, uleb(uint32(len(results)))...)
	return append(b, results...)
}

// i32c is `i32.const v`; call is `call idx`.
func i32c(v int32) []byte    { return append([]byte{0x41}, sleb(v)...) }
func call(idx uint32) []byte { return append([]byte{0x10}, uleb(idx)...) }

const opDrop = 0x1a

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (m wmodule) bytes() []byte {
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	var types, imps, fns, exps, codes [][]byte
	for _, im := range m.imports {
		imps = append(imps, cat(wname(im.module), wname(im.name), []byte{0}, uleb(uint32(len(types)))))
		types = append(types, functype(im.params, im.results))
	}
	for i, f := range m.funcs {
		fns = append(fns, uleb(uint32(len(types))))
		types = append(types, functype(f.params, f.results))
		if f.export != "" {
			exps = append(exps, cat(wname(f.export), []byte{0}, uleb(uint32(len(m.imports)+i))))
		}
		body := cat([]byte{0}, f.body, []byte{0x0b})
		codes = append(codes, cat(uleb(uint32(len(body))), body))
	}
	exps = append(exps, cat(wname("memory"), []byte{2}, uleb(0)))
	out = append(out, section(1, types)...)
	if len(imps) > 0 {
		out = append(out, section(2, imps)...)
	}
	out = append(out, section(3, fns)...)
	out = append(out, section(5, [][]byte{{0x00, 0x01}})...)
	out = append(out, section(7, exps)...)
	out = append(out, section(10, codes)...)
	if len(m.data) > 0 {
		out = append(out, section(11, [][]byte{cat([]byte{0}, i32c(0), []byte{0x0b}, uleb(uint32(len(m.data))), m.data)})...)
	}
	return out
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
