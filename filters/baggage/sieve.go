package baggage

import "github.com/laneway/laneway/filters/bytewords"

// Sieve tells, for two keys at once and in one pass over the baggage values, which of them some member may hold:
// a superset of MayHoldKeys for each key. A key's text can only occur where each of its two-byte runs does, and
// a '%' or '+' may spell any key for some propagator, so a pass that finds neither a run of the key nor an
// escape rules the key out. When the keys share a prefix of two bytes or more (laneway-synthetic and
// laneway-shadow share "laneway-s"), the pass looks for its last run ("-s"), which both keys hold and few other
// members do, and, where it occurs, MayHoldKeys then tells the keys apart; otherwise it looks for a run of each
// key. The pass tests eight positions a step with word masks and makes no call: MayHoldKeys for two keys
// searched the values twice, and each search costs a call and a loop of its own.
type Sieve struct {
	a, b string
	// r0, r1 (s0, s1) are the first and second bytes of the run looked for for a (b), repeated in every byte;
	// shared: the keys share that run (s0, s1 are then r0, r1).
	// short: some key has fewer than two bytes (the sieve then says both); same: b is a (one key is sieved).
	r0, r1, s0, s1      uint64
	shared, short, same bool
}

// The bits MayHold returns.
const (
	SieveA = 1 << iota // key a may be held
	SieveB             // key b may be held
)

// NewSieve returns the sieve for keys a and b (b may be a again when one key is sieved).
func NewSieve(a, b string) Sieve {
	if len(a) < 2 || len(b) < 2 {
		return Sieve{a: a, b: b, short: true}
	}
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	if p >= 2 {
		r0, r1 := uint64(a[p-2])*bytewords.Ones, uint64(a[p-1])*bytewords.Ones
		return Sieve{a: a, b: b, r0: r0, r1: r1, s0: r0, s1: r1, shared: true, same: a == b}
	}
	return Sieve{a: a, b: b, r0: uint64(a[0]) * bytewords.Ones, r1: uint64(a[1]) * bytewords.Ones,
		s0: uint64(b[0]) * bytewords.Ones, s1: uint64(b[1]) * bytewords.Ones}
}

// MayHold returns SieveA when some value may hold a member whose key reads as a (MayHoldKeys(values, a) is true
// only then), SieveB likewise for b. Never inlined (profile-guided inlining would): inside a function that makes
// calls, the loops' locals live on the Go stack.
//
//go:noinline
func (s *Sieve) MayHold(values []string) int {
	if s.short {
		return SieveA | SieveB
	}
	var zr, zs, esc uint64
	for _, v := range values {
		n := len(v)
		if n < 9 {
			// Too short for the word steps: byte by byte.
			for i := 0; i < n; i++ {
				c := uint64(v[i])
				if c == '%' || c == '+' {
					return SieveA | SieveB
				}
				if i+1 < n {
					d := uint64(v[i+1])
					if c*bytewords.Ones == s.r0 && d*bytewords.Ones == s.r1 {
						zr = bytewords.Highs
					}
					if c*bytewords.Ones == s.s0 && d*bytewords.Ones == s.s1 {
						zs = bytewords.Highs
					}
				}
			}
			continue
		}
		// Steps of eight run positions i..i+7 (bytes i..i+8), the last ending at the value's end and overlapping the
		// one before; escapes are looked for in bytes i..i+7, and in the value's last byte first. No branch a turn
		// but the loop's own: in the Go compiler's Wasm code each branch taken costs a turn of its dispatcher.
		if c := v[n-1]; c == '%' || c == '+' {
			return SieveA | SieveB
		}
		r0, r1 := s.r0, s.r1
		if s.shared {
			for i := 0; i < n-9; i += 8 {
				w, w1 := bytewords.Load64(v, i), bytewords.Load64(v, i+1)
				zr |= bytewords.ZeroBytes((w ^ r0) | (w1 ^ r1))
				esc |= bytewords.ZeroBytes(w^('%'*bytewords.Ones)) | bytewords.ZeroBytes(w^('+'*bytewords.Ones))
			}
			w, w1 := bytewords.Load64(v, n-9), bytewords.Load64(v, n-8)
			zr |= bytewords.ZeroBytes((w ^ r0) | (w1 ^ r1))
			esc |= bytewords.ZeroBytes(w^('%'*bytewords.Ones)) | bytewords.ZeroBytes(w^('+'*bytewords.Ones))
			continue
		}
		s0, s1 := s.s0, s.s1
		for i := 0; i < n-9; i += 8 {
			w, w1 := bytewords.Load64(v, i), bytewords.Load64(v, i+1)
			zr |= bytewords.ZeroBytes((w ^ r0) | (w1 ^ r1))
			zs |= bytewords.ZeroBytes((w ^ s0) | (w1 ^ s1))
			esc |= bytewords.ZeroBytes(w^('%'*bytewords.Ones)) | bytewords.ZeroBytes(w^('+'*bytewords.Ones))
		}
		w, w1 := bytewords.Load64(v, n-9), bytewords.Load64(v, n-8)
		zr |= bytewords.ZeroBytes((w ^ r0) | (w1 ^ r1))
		zs |= bytewords.ZeroBytes((w ^ s0) | (w1 ^ s1))
		esc |= bytewords.ZeroBytes(w^('%'*bytewords.Ones)) | bytewords.ZeroBytes(w^('+'*bytewords.Ones))
	}
	switch {
	case esc&bytewords.Highs != 0:
		return SieveA | SieveB
	case s.shared:
		if zr&bytewords.Highs == 0 {
			return 0
		}
		return s.apart(values)
	}
	r := 0
	if zr&bytewords.Highs != 0 {
		r |= SieveA
	}
	if zs&bytewords.Highs != 0 {
		r |= SieveB
	}
	return r
}

// apart tells the keys apart with MayHoldKeys where the run they share occurs (rare: few members hold it); one key
// sieved is looked for once. Out of line: a call in MayHold makes it keep its locals on the Go stack.
//
//go:noinline
func (s *Sieve) apart(values []string) int {
	if s.same {
		if MayHoldKeys(values, s.a) {
			return SieveA | SieveB
		}
		return 0
	}
	r := 0
	if MayHoldKeys(values, s.a) {
		r |= SieveA
	}
	if MayHoldKeys(values, s.b) {
		r |= SieveB
	}
	return r
}
