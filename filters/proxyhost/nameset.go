package proxyhost

// NameSet is a 64-bit Bloom filter over header names, ASCII case-insensitive: MayHold is true for every name
// added (in any case) and for a few others, so a scan that acts only on the names of a set can skip most
// headers with one hash and one bit test instead of comparing each name with every one it looks for (a chain
// of branches that costs a header about 200 instructions in the Go compiler's Wasm code). The zero NameSet
// holds nothing.
type NameSet uint64

// NewNameSet returns the set of names.
func NewNameSet(names ...string) NameSet {
	var s NameSet
	for _, n := range names {
		s |= NameSet(nameBit(n))
	}
	return s
}

// MayHold reports whether name may be in s: false only when it is certainly not.
func (s NameSet) MayHold(name string) bool { return uint64(s)&nameBit(name) != 0 }

// nameBit hashes a name's length and its first and last bytes, lower-cased by setting bit 5 (which maps 'A'-'Z'
// to 'a'-'z' and leaves the other token characters' equality classes whole), to one of 64 bits.
func nameBit(name string) uint64 {
	n := len(name)
	if n == 0 {
		return 1
	}
	return 1 << ((uint(n)*7 + uint(name[0]|0x20) + uint(name[n-1]|0x20)*3) & 63)
}
