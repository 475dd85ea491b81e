package baggage

import "github.com/laneway/laneway/filters/bytewords"

// Key normalisation: how the propagators applications use read a member's key (see "Keys as other
// propagators read them" in the package doc). One definition, AppendNormalizedKey; KeyReadsAs compares
// by it without allocating.

// AppendNormalizedKey appends to dst the key text raw as the most lenient common propagator reads it:
// every `%XX` escape decoded (a `%` without two hex digits kept as it is), every `+` (literal or decoded)
// read as a space, and white space (Python's str.strip set, plus U+FEFF) trimmed from both ends.
func AppendNormalizedKey(dst []byte, raw string) []byte {
	n := newNormKey(raw, false)
	for {
		b, ok := n.next()
		if !ok {
			return dst
		}
		dst = append(dst, b)
	}
}

// KeyReadsAs reports whether some common propagator (OpenTelemetry JS, Python, Java or Go) may read the
// member key raw, as it appears on the wire, as key: whether both normalise (AppendNormalizedKey) to the
// same text. It does not allocate.
func KeyReadsAs(raw, key string) bool {
	return raw == key || keyReadsAs(raw, key, false)
}

// HeaderKeyReadsAs is KeyReadsAs for a key taken from a header name (the suffix of an ot-baggage- or
// uberctx- header): header names are case-insensitive, so ASCII letters compare case-insensitively.
func HeaderKeyReadsAs(raw, key string) bool { return keyReadsAs(raw, key, true) }

// ReadsAsAny reports whether the member key raw reads as one of keys (see KeyReadsAs); the keys are tokens, as
// the filters' configurations hold them, so a plain raw key is compared by its bytes.
func ReadsAsAny(raw string, keys []string) bool {
	plain := isPlainKey(raw)
	for _, k := range keys {
		if raw == k || !plain && keyReadsAs(raw, k, false) {
			return true
		}
	}
	return false
}

// MayHoldKeys reports whether some member of values may read as one of keys: a cheap test before
// parsing. A key can only be read where its text occurs, or where a key holds a '%' or '+' that some
// propagator decodes; a value without either cannot hold one.
func MayHoldKeys(values []string, keys ...string) bool {
	if len(values) == 1 && len(keys) == 1 {
		// The common request (one baggage header, one key) without the two loops, whose turns spill locals.
		v := values[0]
		return index(v, keys[0]) >= 0 || hasEscape(v) && escapedKeyText(v)
	}
	for _, v := range values {
		for _, k := range keys {
			if index(v, k) >= 0 {
				return true
			}
		}
		if hasEscape(v) && escapedKeyText(v) {
			return true
		}
	}
	return false
}

// hasEscape reports whether v holds a '%' or '+'. It tests eight bytes a step for both, without a branch out of
// the loop (the last step overlaps the one before it): in the Go compiler's Wasm code a byte search
// (strings.IndexByte, memchr) costs about eight instructions a byte, and two of them ran over every baggage value
// that does not mention a key; a loop turn costs about as much again as its body, so the loop only ORs.
func hasEscape(v string) bool {
	n := len(v)
	if n < 8 {
		for i := 0; i < n; i++ {
			if v[i] == '%' || v[i] == '+' {
				return true
			}
		}
		return false
	}
	var found uint64
	for i := 0; i+8 <= n; i += 8 {
		w := bytewords.Load64(v, i)
		found |= bytewords.ZeroBytes(w^('%'*bytewords.Ones)) | bytewords.ZeroBytes(w^('+'*bytewords.Ones))
	}
	w := bytewords.Load64(v, n-8)
	found |= bytewords.ZeroBytes(w^('%'*bytewords.Ones)) | bytewords.ZeroBytes(w^('+'*bytewords.Ones))
	return found&bytewords.Highs != 0
}

// HasEscapedKeys reports whether some member key in values holds a '%' or '+' that a propagator may decode:
// with none, a key's members are exactly those that spell it.
func HasEscapedKeys(values []string) bool {
	for _, v := range values {
		if hasEscape(v) && escapedKeyText(v) {
			return true
		}
	}
	return false
}

// escapedKeyText reports whether the text before the first '=' of some comma-separated element of v
// holds a '%' or '+'.
func escapedKeyText(v string) bool {
	inKey := true
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ',':
			inKey = true
		case '=':
			inKey = false
		case '%', '+':
			if inKey {
				return true
			}
		}
	}
	return false
}

// isPlainKey reports whether key normalises to itself: it has no byte a propagator decodes or trims.
func isPlainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c == '%' || c == '+' || c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func keyReadsAs(raw, key string, fold bool) bool {
	if isPlainKey(raw) && isPlainKey(key) {
		if fold {
			return equalFoldASCII(raw, key)
		}
		return raw == key
	}
	a, b := newNormKey(raw, fold), newNormKey(key, fold)
	for {
		x, okx := a.next()
		y, oky := b.next()
		if okx != oky || x != y {
			return false
		}
		if !okx {
			return true
		}
	}
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// normKey yields the bytes of a key's normalised form one at a time, without allocating.
type normKey struct {
	s        string
	pos, end int // raw offsets of the significant (untrimmed) part
	fold     bool
}

func newNormKey(s string, fold bool) normKey {
	n := normKey{s: s, fold: fold}
	// One forward pass finds where the leading white space ends and the trailing white space starts.
	start, end := -1, 0
	for i := 0; i < len(s); {
		w := spaceAt(s, i)
		if w > 0 {
			i += w
			continue
		}
		if start < 0 {
			start = i
		}
		_, i = unitAt(s, i)
		end = i
	}
	if start < 0 {
		start, end = len(s), len(s)
	}
	n.pos, n.end = start, end
	return n
}

func (n *normKey) next() (byte, bool) {
	if n.pos >= n.end {
		return 0, false
	}
	b, next := unitAt(n.s, n.pos)
	n.pos = next
	if n.fold {
		b = lowerASCII(b)
	}
	return b, true
}

// unitAt returns the decoded byte at raw offset i and the offset after it: a `%XX` escape is one byte,
// a '+' (literal or escaped) is a space, anything else is itself.
func unitAt(s string, i int) (byte, int) {
	c := s[i]
	next := i + 1
	if c == '%' && i+2 < len(s) && charClass[s[i+1]]&classHex != 0 && charClass[s[i+2]]&classHex != 0 {
		c = unhex(s[i+1])<<4 | unhex(s[i+2])
		next = i + 3
	}
	if c == '+' {
		c = ' '
	}
	return c, next
}

// spaceAt returns the raw length of the white-space character decoded at offset i, or 0. White space is
// what Python's str.strip() removes (str.isspace: \t \n \v \f \r \x1c-\x1f space U+0085 U+00A0 U+1680
// U+2000-U+200A U+2028 U+2029 U+202F U+205F U+3000) plus U+FEFF, which JavaScript's trim() removes.
func spaceAt(s string, i int) int {
	b0, j := unitAt(s, i)
	switch {
	case b0 == ' ' || b0 >= '\t' && b0 <= '\r' || b0 >= 0x1c && b0 <= 0x1f:
		return j - i
	case b0 != 0xc2 && b0 != 0xe1 && b0 != 0xe2 && b0 != 0xe3 && b0 != 0xef:
		return 0
	}
	if j >= len(s) {
		return 0
	}
	b1, k := unitAt(s, j)
	if b0 == 0xc2 {
		if b1 == 0x85 || b1 == 0xa0 {
			return k - i
		}
		return 0
	}
	if k >= len(s) {
		return 0
	}
	b2, l := unitAt(s, k)
	switch {
	case b0 == 0xe1 && b1 == 0x9a && b2 == 0x80, // U+1680
		b0 == 0xe2 && b1 == 0x80 && (b2 <= 0x8a && b2 >= 0x80 || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf), // U+2000-200A, 2028, 2029, 202F
		b0 == 0xe2 && b1 == 0x81 && b2 == 0x9f, // U+205F
		b0 == 0xe3 && b1 == 0x80 && b2 == 0x80, // U+3000
		b0 == 0xef && b1 == 0xbb && b2 == 0xbf: // U+FEFF
		return l - i
	}
	return 0
}
