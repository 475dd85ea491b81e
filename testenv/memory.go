package testenv

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Proxy-wasm status codes.
const (
	stOK                = 0
	stNotFound          = 1
	stBadArgument       = 2
	stSerialization     = 3
	stParseFailure      = 4
	stInvalidMemory     = 6
	stEmpty             = 7
	stCasMismatch       = 8
	stInternalFailure   = 10
	stBrokenConnection  = 11
	stUnimplemented     = 12
	maxPairs            = 1024
	maxPairsBytes       = 1 << 20
	wasiOK              = 0
	wasiBADF            = 8
	wasiINVAL           = 28
	wasiNOENT           = 44
	wasiNOSYS           = 52
	wasiNOTDIR          = 20
	wasiNOTSUP          = 58
	maxRandomBytes      = 64 << 10
	restrictedCallbacks = "restricted_callback"
)

// restrictedError is the trap raised when a module calls an import that V8 forbids in
// the current phase.
type restrictedError struct {
	phase string
	name  string
}

func (e *restrictedError) Error() string {
	return fmt.Sprintf("%s: %s called inside %s (Envoy/V8 traps with %s)", restrictedCallbacks, e.name, e.phase, restrictedCallbacks)
}

// read returns a copy of guest bytes, ok=false when out of bounds.
func (vm *VM) read(ptr, n uint32) ([]byte, bool) {
	b, ok := vm.mem.Read(ptr, n)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func (vm *VM) readString(ptr, n uint32) (string, bool) {
	b, ok := vm.mem.Read(ptr, n)
	if !ok {
		return "", false
	}
	return string(b), true
}

// alloc reserves guest memory through proxy_on_memory_allocate (restricted phase).
// It returns 0 when the allocator returned 0; a trap inside the allocator panics so
// that it propagates as a trap of the calling callback.
func (vm *VM) alloc(size uint32) uint32 {
	prev := vm.phase
	vm.phase = phaseAlloc
	// the outer callback's stack is in use: the allocator gets its own
	var s [1]uint64
	s[0] = uint64(size)
	err := vm.fn.alloc.CallWithStack(vm.cctx, s[:])
	vm.phase = prev
	if err != nil {
		panic(fmt.Errorf("proxy_on_memory_allocate(%d): %w", size, err))
	}
	return uint32(s[0])
}

// returnBytes copies data into freshly allocated guest memory and writes its pointer
// and length into the guest's out-slots, as cpp-host's copyToPointerSize does (no
// allocation for an empty value).
func (vm *VM) returnBytes(data []byte, ptrOut, lenOut uint32) uint32 {
	var p uint32
	if len(data) > 0 {
		p = vm.alloc(uint32(len(data)))
		if p == 0 {
			return stInvalidMemory
		}
		if !vm.mem.Write(p, data) {
			return stInvalidMemory
		}
	}
	if !vm.mem.WriteUint32Le(ptrOut, p) || !vm.mem.WriteUint32Le(lenOut, uint32(len(data))) {
		return stInvalidMemory
	}
	return stOK
}

func (vm *VM) returnString(s string, ptrOut, lenOut uint32) uint32 {
	var p uint32
	if len(s) > 0 {
		p = vm.alloc(uint32(len(s)))
		if p == 0 {
			return stInvalidMemory
		}
		if !vm.mem.WriteString(p, s) {
			return stInvalidMemory
		}
	}
	if !vm.mem.WriteUint32Le(ptrOut, p) || !vm.mem.WriteUint32Le(lenOut, uint32(len(s))) {
		return stInvalidMemory
	}
	return stOK
}

// returnPairs serialises h in proxy-wasm's pairs format into guest memory.
func (vm *VM) returnPairs(h Headers, ptrOut, lenOut uint32) uint32 {
	size := pairsSize(h)
	p := vm.alloc(uint32(size))
	if p == 0 {
		return stInvalidMemory
	}
	buf, ok := vm.mem.Read(p, uint32(size))
	if !ok {
		return stInvalidMemory
	}
	encodePairs(buf, h)
	if !vm.mem.WriteUint32Le(ptrOut, p) || !vm.mem.WriteUint32Le(lenOut, uint32(size)) {
		return stInvalidMemory
	}
	return stOK
}

func pairsSize(h Headers) int {
	n := 4
	for _, kv := range h {
		n += 8 + len(kv.Key) + 1 + len(kv.Value) + 1
	}
	return n
}

// encodePairs writes h into buf (len(buf) == pairsSize(h)).
func encodePairs(buf []byte, h Headers) {
	binary.LittleEndian.PutUint32(buf, uint32(len(h)))
	o := 4
	for _, kv := range h {
		binary.LittleEndian.PutUint32(buf[o:], uint32(len(kv.Key)))
		binary.LittleEndian.PutUint32(buf[o+4:], uint32(len(kv.Value)))
		o += 8
	}
	for _, kv := range h {
		o += copy(buf[o:], kv.Key)
		buf[o] = 0
		o++
		o += copy(buf[o:], kv.Value)
		buf[o] = 0
		o++
	}
}

// EncodePairs serialises headers in proxy-wasm's pairs format (map-valued properties).
func EncodePairs(h Headers) []byte {
	buf := make([]byte, pairsSize(h))
	encodePairs(buf, h)
	return buf
}

// DecodePairs parses the pairs format as cpp-host does: the NUL terminators and an
// exact total length are required, with at most 1024 pairs and 1 MiB; anything else
// yields an empty list (ok=false).
func DecodePairs(b []byte) (Headers, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if len(b) < 4 || len(b) > maxPairsBytes {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(b)
	if n > maxPairs || uint64(len(b)) < 4+8*uint64(n) {
		return nil, false
	}
	o := uint64(4 + 8*n)
	total := uint64(len(b))
	out := make(Headers, 0, n)
	for i := uint32(0); i < n; i++ {
		kl := uint64(binary.LittleEndian.Uint32(b[4+8*i:]))
		vl := uint64(binary.LittleEndian.Uint32(b[8+8*i:]))
		if o+kl+1+vl+1 > total || b[o+kl] != 0 || b[o+kl+1+vl] != 0 {
			return nil, false
		}
		k := string(b[o : o+kl])
		v := string(b[o+kl+1 : o+kl+1+vl])
		o += kl + 1 + vl + 1
		out = append(out, Header{k, v})
	}
	if o != total {
		return nil, false
	}
	return out, true
}

// readPairs reads a pairs blob from guest memory.
func (vm *VM) readPairs(ptr, n uint32) (Headers, bool) {
	b, ok := vm.mem.Read(ptr, n)
	if !ok {
		return nil, false
	}
	h, _ := DecodePairs(b)
	return h, true
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
