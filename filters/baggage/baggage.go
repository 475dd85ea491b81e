package baggage

import (
	"github.com/laneway/laneway/filters/bytewords"
	"math/bits"
	"strings"
	"unsafe"
)

// MaxMembers is the number of list members kept; later members are dropped whole.
const MaxMembers = 64

// MaxBytes is the number of bytes of the combined header within which a kept member must end.
const MaxBytes = 8192

// Member is one baggage list-member; Value is percent-decoded, Properties is the raw text after the first ';' (may be "").
type Member struct {
	Key, Value, Properties string
}

// Baggage is the parsed, limit-applied combination of every `baggage` header value of a request.
type Baggage struct {
	members []Member
	dropped int
}

// Parse parses every baggage header value of a request, in order, combined as if comma-joined.
//
// It allocates the member slice, plus one buffer shared by all values that need
// percent-decoding if there are any; keys, plain values and properties share the input.
func Parse(values []string) Baggage {
	sc := scanner{values: values, countRest: true}
	var (
		members []Member
		buf     []byte // shared storage for decoded values
	)
	for {
		m, ok := sc.next()
		if !ok {
			break
		}
		if members == nil {
			members = make([]Member, 0, sc.memberBound())
		}
		v := m.value
		if m.escaped {
			if buf == nil {
				// Kept values lie within the first MaxBytes bytes and never
				// grow when decoded, so this is enough for all of them.
				buf = make([]byte, 0, min(sc.remainingBytes()+len(m.value), MaxBytes))
			}
			start := len(buf)
			buf = appendDecoded(buf, m.value)
			// The bytes buf[start:] are never written again: later appends
			// only write past len(buf), or into a new array.
			v = unsafe.String(unsafe.SliceData(buf[start:]), len(buf)-start)
		}
		members = append(members, Member{Key: m.key, Value: v, Properties: m.props})
	}
	return Baggage{members: members, dropped: sc.dropped}
}

// Len returns the number of kept members.
func (b *Baggage) Len() int { return len(b.members) }

// At returns the i-th kept member in wire order; it panics if i is out of range [0, Len()).
func (b *Baggage) At(i int) Member { return b.members[i] }

// Get returns the value of key; a key whose occurrences disagree is reported absent (see package doc).
func (b *Baggage) Get(key string) (string, bool) {
	var (
		val   string
		found bool
	)
	for i := range b.members {
		m := &b.members[i]
		if m.Key != key {
			continue
		}
		if !found {
			val, found = m.Value, true
			continue
		}
		if m.Value != val {
			return "", false
		}
	}
	return val, found
}

// Dropped returns the number of members dropped because they were malformed or beyond the limits.
func (b *Baggage) Dropped() int { return b.dropped }

// Lookup returns what Parse(values).Get(key) would, without allocating unless the value needs percent-decoding.
func Lookup(values []string, key string) (string, bool) {
	// Only list elements that start with the key matter unless a limit applies; finding them with a
	// substring search (memchr for the first byte) is far cheaper in Wasm than scanning every member.
	if key != "" && key[0] != ' ' && key[0] != '\t' && (oneShortValue(values) || withinLimits(values)) {
		v, ok, _ := lookupCandidates(values, key, 0)
		return v, ok
	}
	// A member's key is part of its header value, so a key that occurs in no value is absent.
	if !Mentions(values, key) {
		return "", false
	}
	sc := scanner{values: values}
	var l lookupState
	for {
		m, ok := sc.next()
		if !ok {
			break
		}
		if m.key == key && !l.add(m.value, m.escaped) {
			return "", false
		}
	}
	return l.result()
}

// LookupElseAny returns what Lookup(values, key) returns and, when that is no value, what AnyValue(values, key,
// match) returns (false with a value): where the key's text occurs nowhere, with one search instead of two.
func LookupElseAny(values []string, key string, match func(value string) bool) (value string, ok, anyMatch bool) {
	if key != "" && key[0] != ' ' && key[0] != '\t' && (oneShortValue(values) || withinLimits(values)) {
		var seen bool
		if value, ok, seen = lookupCandidates(values, key, 0); ok || !seen {
			return value, ok, false // not seen: no member has the key, as AnyValue's Mentions would find
		}
		return "", false, AnyValue(values, key, match)
	}
	if value, ok = Lookup(values, key); ok {
		return value, true, false
	}
	return "", false, AnyValue(values, key, match)
}

// AnyValue reports whether some member Parse keeps under key has a value (percent-decoded) for which match
// is true, whether or not the key's occurrences agree: for checks that must fail closed, where Lookup's
// "conflicting occurrences are absent" would fail open. It allocates only to decode a value with escapes.
func AnyValue(values []string, key string, match func(value string) bool) bool {
	if !Mentions(values, key) {
		return false
	}
	sc := scanner{values: values}
	for {
		m, ok := sc.next()
		if !ok {
			return false
		}
		if m.key == key && match(decodeValue(m)) {
			return true
		}
	}
}

// Has reports whether some member Parse keeps is keyed exactly key, whether or not its occurrences agree.
// It does not allocate.
func Has(values []string, key string) bool {
	if !Mentions(values, key) {
		return false
	}
	sc := scanner{values: values}
	for {
		m, ok := sc.next()
		if !ok {
			return false
		}
		if m.key == key {
			return true
		}
	}
}

// Key is a baggage key prepared for lookups that repeat (a filter's configured keys): whether it is a
// token, which Lookup finds out on every call that meets a candidate member, is known once.
type Key struct {
	_     [0]func() // not comparable: no generated equality function (a few hundred bytes of Wasm)
	name  string
	token int8 // 1: name is a token; -1: it is not; 0 (the zero Key): not known
}

// MakeKey prepares name for LookupKey.
func MakeKey(name string) Key {
	if isToken(name) {
		return Key{name: name, token: 1}
	}
	return Key{name: name, token: -1}
}

// Name returns the key MakeKey was given.
func (k Key) Name() string { return k.name }

// LookupKey returns what Lookup(values, k.Name()) returns. The zero Key is the empty key. k is a pointer: a
// Key by value took three argument words and a copy per loop turn in the caller.
func LookupKey(values []string, k *Key) (string, bool) {
	// The common request: one short value, a token key (never empty, no white space), absent or once a plain member.
	if k.token > 0 && oneShortValue(values) {
		if v, ok, sure := lookupOne(values[0], k.name); sure {
			return v, ok
		}
	}
	return lookupKey(values, k)
}

// lookupOne is lookupCandidates for one value too short for a limit to apply and a token key, for the shapes most
// requests have: the key's text absent, or once, at an element's start, as a plain member without escapes. sure is
// false for every other shape, which lookupCandidates then reads (out of line in lookupKey: inlined, it made
// LookupKey's frame large, and every request paid for setting it up).
func lookupOne(v, key string) (value string, ok, sure bool) {
	if len(v) < len(key) {
		return "", false, true // too short to hold the key: no call
	}
	p := index(v, key)
	if p < 0 {
		return "", false, true
	}
	if !atElementStart(v, p) {
		return "", false, false
	}
	val, esc, end := plainMember(v, p+len(key))
	if end < 0 || esc || end < len(v) && index(v[end+1:], key) >= 0 {
		// Not a plain member, escapes to decode, or more text of the key after it (lookupCandidates goes on from
		// end+1 too).
		return "", false, false
	}
	return val, true, true
}

// lookupKey is LookupKey without its common case.
//
//go:noinline
func lookupKey(values []string, k *Key) (string, bool) {
	key := k.name
	if key != "" && key[0] != ' ' && key[0] != '\t' && (oneShortValue(values) || withinLimits(values)) {
		v, ok, _ := lookupCandidates(values, key, k.token)
		return v, ok
	}
	return Lookup(values, key)
}

// lookupState combines the members found under one key as Get does.
type lookupState struct {
	first    string // first value found, still percent-encoded
	firstEsc bool   // first has escapes
	found    bool
	decoded  string
	haveDec  bool
}

// add records the value (still percent-encoded) of a member with the key; false means the occurrences
// disagree and the key is absent.
func (l *lookupState) add(value string, escaped bool) bool {
	if !l.found {
		l.first, l.firstEsc, l.found = value, escaped, true
		return true
	}
	if value == l.first {
		return true
	}
	if !escaped && !l.firstEsc {
		return false
	}
	if !l.haveDec {
		l.decoded, l.haveDec = decode(l.first, l.firstEsc), true
	}
	return decode(value, escaped) == l.decoded
}

func (l *lookupState) result() (string, bool) {
	if !l.found {
		return "", false
	}
	if l.haveDec {
		return l.decoded, true
	}
	return decode(l.first, l.firstEsc), true
}

// oneShortValue reports whether values is one value too short for a limit to apply: withinLimits' common
// case, without its call.
func oneShortValue(values []string) bool { return len(values) == 1 && len(values[0]) < 2*MaxMembers }

// withinLimits reports whether no limit can apply to values: the combined text is at most MaxBytes
// long and has at most MaxMembers list elements.
func withinLimits(values []string) bool {
	n := len(values) - 1
	for _, v := range values {
		n += len(v)
	}
	switch {
	case n > MaxBytes:
		return false
	case n < 2*MaxMembers:
		// k non-empty elements take at least 2k-1 bytes (one byte each and the commas between them).
		return true
	}
	elems := len(values)
	for _, v := range values {
		elems += strings.Count(v, ",")
	}
	return elems <= MaxMembers
}

// lookupCandidates is Lookup when no limit applies, for a non-empty key that does not start with a space
// or tab; seen reports whether the key's text occurs in values at all. Only list elements that start with
// the key are parsed, instead of every member (which costs microseconds in Wasm). The first occurrence of
// the key at or after an element boundary is at the element's start if the element starts with the key
// (only spaces and tabs precede that start), so after any other occurrence the search resumes at the next
// element.
//
// token tells whether key is a token if the caller knows (1 yes, -1 no), else 0.
func lookupCandidates(values []string, key string, token int8) (value string, ok, seen bool) {
	var l lookupState
	n := len(key)
	for _, v := range values {
		for from := 0; len(v)-from >= n; { // shorter: no occurrence (and key is not empty)
			i := index(v[from:], key)
			if i < 0 {
				break
			}
			seen = true
			p := from + i
			// The member's key and key both start v[p:]: they are equal when they are as long, that is
			// when key is a token and no token byte follows it.
			atStart := atElementStart(v, p)
			if atStart && token == 0 {
				token = -1
				if isToken(key) {
					token = 1
				}
			}
			var (
				val string
				esc bool
				end = -1
			)
			if atStart && token > 0 {
				// What parseMember(v[p:stop]) would return for a plain member, with its end found on the way.
				val, esc, end = plainMember(v, p+n)
			}
			if end < 0 {
				if end = strings.IndexByte(v[p:], ','); end < 0 {
					end = len(v)
				} else {
					end += p
				}
				from = end + 1
				if !atStart {
					continue
				}
				_, stop := trimOWS(v, p, end)
				m, ok := parseMember(v[p:stop])
				if !ok || len(m.key) != n {
					continue
				}
				val, esc = m.value, m.escaped
			}
			from = end + 1
			if !l.found { // l.add's first case, without its call
				l.first, l.firstEsc, l.found = val, esc, true
			} else if !l.add(val, esc) {
				return "", false, true
			}
		}
	}
	if !l.found || !l.haveDec && !l.firstEsc {
		return l.first, l.found, seen // what l.result() returns, without a call
	}
	value, ok = l.result()
	return value, ok, seen
}

// plainMember reads the rest of a list member without properties whose key (a token) ends just before v[i]:
// optional whitespace, '=', optional whitespace, the value, optional whitespace, then a ',' or the end of v.
// It returns the value (still percent-encoded), whether it has escapes, and the offset of that ',' (or
// len(v)); end is -1 if the member is not of that form (no '=', a longer key, properties, malformed), which
// parseMember then judges.
func plainMember(v string, i int) (value string, escaped bool, end int) {
	i = skipOWS(v, i)
	if i == len(v) || v[i] != '=' {
		return "", false, -1
	}
	start := skipOWS(v, i+1)
	stop, escaped := skipValue(v, start)
	if stop < 0 {
		return "", false, -1
	}
	if end = skipOWS(v, stop); end < len(v) && v[end] != ',' {
		return "", false, -1
	}
	return v[start:stop], escaped, end
}

// atElementStart reports whether only spaces and tabs lie between v[p] and the preceding comma or the start of v.
func atElementStart(v string, p int) bool {
	for p--; p >= 0; p-- {
		switch v[p] {
		case ',':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// Mentions reports whether some value contains s as text: a cheap test before parsing, since a member's key
// can only match where its text occurs (keys are never percent-decoded).
func Mentions(values []string, s string) bool {
	for _, v := range values {
		if index(v, s) >= 0 {
			return true
		}
	}
	return false
}

// MentionedOnce reports whether s occurs as text at most once in all values together: with the one member
// Lookup found under key s, nothing else (a member the parser drops, malformed or beyond the limits, that a
// laxer parser could still read) holds the key.
func MentionedOnce(values []string, s string) bool {
	n := 0
	for _, v := range values {
		if n += strings.Count(v, s); n > 1 {
			return false
		}
	}
	return true
}

// decodeValue returns m's value percent-decoded.
func decodeValue(m rawMember) string { return decode(m.value, m.escaped) }

// decode returns value percent-decoded; escaped tells whether it has escapes. Not inlined: values with
// escapes are rare, and each inlined copy cost its caller a few hundred bytes of Wasm.
//
//go:noinline
func decode(value string, escaped bool) string {
	if !escaped {
		return value
	}
	buf := appendDecoded(make([]byte, 0, len(value)), value)
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}

// rawMember is a well-formed member as it appears on the wire.
type rawMember struct {
	key, value, props string // value still percent-encoded
	text              string // whole member, OWS-trimmed
	escaped           bool   // value contains '%'
}

// scanner walks the members of several header values as one comma-joined list,
// applying the limits.
type scanner struct {
	values    []string
	vi        int  // index of the current value
	pos       int  // offset in values[vi] of the next element
	base      int  // offset of values[vi] in the combined text
	end       int  // offset in the combined text just past the last member returned
	kept      int  // members returned so far
	dropped   int  // malformed members, and elements beyond the limits if countRest
	done      bool // limits reached or input exhausted
	countRest bool // count the elements beyond the limits in dropped
}

// next returns the next kept member, or false when there is none.
func (s *scanner) next() (rawMember, bool) {
	for !s.done {
		if s.vi >= len(s.values) {
			s.done = true
			break
		}
		v := s.values[s.vi]
		if s.pos > len(v) {
			s.base += len(v) + 1
			s.vi++
			s.pos = 0
			continue
		}
		end := strings.IndexByte(v[s.pos:], ',')
		if end < 0 {
			end = len(v)
		} else {
			end += s.pos
		}
		start, stop := trimOWS(v, s.pos, end)
		s.pos = end + 1
		if start == stop {
			continue // empty list element
		}
		if s.kept >= MaxMembers || s.base+stop > MaxBytes {
			s.done = true
			if s.countRest {
				s.dropped += 1 + s.countElements()
			}
			break
		}
		m, ok := parseMember(v[start:stop])
		if !ok {
			s.dropped++
			continue
		}
		s.kept++
		s.end = s.base + stop
		return m, true
	}
	return rawMember{}, false
}

// countElements returns the number of non-empty list elements after the current position.
func (s *scanner) countElements() int {
	n := 0
	for vi, pos := s.vi, s.pos; vi < len(s.values); vi, pos = vi+1, 0 {
		v := s.values[vi]
		blank := true
		for i := pos; i < len(v); i++ {
			switch v[i] {
			case ',':
				if !blank {
					n++
				}
				blank = true
			case ' ', '\t':
			default:
				blank = false
			}
		}
		if !blank {
			n++
		}
	}
	return n
}

// memberBound returns an upper bound of the number of members still to be kept, including the one just returned.
func (s *scanner) memberBound() int {
	n := 1
	for vi, pos := s.vi, s.pos; vi < len(s.values) && n < MaxMembers; vi, pos = vi+1, 0 {
		if pos <= len(s.values[vi]) {
			n += 1 + strings.Count(s.values[vi][pos:], ",")
		}
	}
	return min(n, MaxMembers-s.kept+1)
}

// remainingBytes returns the number of input bytes not yet scanned.
func (s *scanner) remainingBytes() int {
	n := 0
	for vi, pos := s.vi, s.pos; vi < len(s.values); vi, pos = vi+1, 0 {
		if pos < len(s.values[vi]) {
			n += len(s.values[vi]) - pos
		}
	}
	return n
}

// TrimOWS returns s without leading and trailing optional whitespace (spaces and tabs), as HTTP list
// headers (baggage, tracestate, a filter's own marker headers) allow around their members.
func TrimOWS(s string) string {
	start, end := trimOWS(s, 0, len(s))
	return s[start:end]
}

// trimOWS returns the bounds of v[start:end] without leading and trailing spaces and tabs.
func trimOWS(v string, start, end int) (int, int) {
	for start < end && (v[start] == ' ' || v[start] == '\t') {
		start++
	}
	for end > start && (v[end-1] == ' ' || v[end-1] == '\t') {
		end--
	}
	return start, end
}

// parseMember parses one OWS-trimmed, non-empty list member.
func parseMember(t string) (rawMember, bool) {
	i := skipToken(t, 0)
	if i == 0 {
		return rawMember{}, false
	}
	m := rawMember{key: t[:i], text: t}
	i = skipOWS(t, i)
	if i == len(t) || t[i] != '=' {
		return rawMember{}, false
	}
	i = skipOWS(t, i+1)
	vStart := i
	i, m.escaped = skipValue(t, i)
	if i < 0 {
		return rawMember{}, false
	}
	m.value = t[vStart:i]
	i = skipOWS(t, i)
	if i == len(t) {
		return m, true
	}
	if t[i] != ';' || !validProperties(t[i+1:]) {
		return rawMember{}, false
	}
	m.props = t[i+1:]
	return m, true
}

// validProperties reports whether p is a ';'-separated list of properties, blank elements allowed.
func validProperties(p string) bool {
	i := 0
	for {
		i = skipOWS(p, i)
		if i < len(p) && p[i] != ';' {
			k := skipToken(p, i)
			if k == i {
				return false
			}
			i = skipOWS(p, k)
			if i < len(p) && p[i] == '=' {
				i, _ = skipValue(p, skipOWS(p, i+1))
				if i < 0 {
					return false
				}
				i = skipOWS(p, i)
			}
		}
		if i == len(p) {
			return true
		}
		if p[i] != ';' {
			return false
		}
		i++
	}
}

// skipOWS returns the index of the first byte at or after i that is not a space or tab.
func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// skipToken returns the index of the first byte at or after i that is not a token character.
func skipToken(s string, i int) int {
	for i < len(s) && charClass[s[i]]&classToken != 0 {
		i++
	}
	return i
}

// skipValue returns the end of the baggage-octets starting at i and whether they
// contain escapes, or -1 if a '%' is not followed by two hex digits.
//
// Scanning values dominates the cost of parsing, and byte-wise table lookups are slow in Wasm: it tests 8
// bytes at a time for plain baggage-octets (0x21-0x7E except '"', ',', ';', '\\', '%'), the last (fewer than 8)
// bytes in the word that ends s shifted down so that zero bytes follow them, and stops at the lowest byte
// nonPlain flags.
func skipValue(s string, i int) (int, bool) {
	escaped := false
	n := len(s)
	for {
		if n < 8 {
			for i < n && charClass[s[i]]&classPlain != 0 {
				i++
			}
		} else {
			for {
				if i+8 > n {
					if i < n {
						// A zero byte (not plain) lies past the n-i bytes left, so the lowest flagged byte is at most n.
						i += bits.TrailingZeros64(nonPlain(bytewords.Load64(s, n-8)>>(8*(8-(n-i))&63))) >> 3
					}
					break
				}
				if bad := nonPlain(bytewords.Load64(s, i)); bad != 0 {
					i += bits.TrailingZeros64(bad) >> 3
					break
				}
				i += 8
			}
		}
		if i == n || s[i] != '%' {
			return i, escaped
		}
		if i+2 >= n || charClass[s[i+1]]&classHex == 0 || charClass[s[i+2]]&classHex == 0 {
			return -1, false
		}
		escaped = true
		i += 3
	}
}

// nonPlain has the high bit set of the lowest byte of w that is not a plain baggage-octet, if any, and
// possibly of later bytes. Each term flags its bytes exactly up to the first one it flags: only a borrow or
// carry out of a flagged byte can flag a byte above it that is not.
func nonPlain(w uint64) uint64 {
	return ((w - 0x21*bytewords.Ones) | // some byte < 0x21 (or borrow from one)
		(w + (0x80-0x7f)*bytewords.Ones) | // some byte >= 0x7F
		w | // some byte >= 0x80
		bytewords.ZeroBytes(w^('"'*bytewords.Ones)) | bytewords.ZeroBytes(w^(','*bytewords.Ones)) | bytewords.ZeroBytes(w^(';'*bytewords.Ones)) |
		bytewords.ZeroBytes(w^('\\'*bytewords.Ones)) | bytewords.ZeroBytes(w^('%'*bytewords.Ones))) & bytewords.Highs
}

// isToken reports whether s is a non-empty token (skipToken(s, 0) == len(s)).
func isToken(s string) bool { return s != "" && skipToken(s, 0) == len(s) }

const (
	classToken = 1 << iota // RFC 7230 tchar
	classOctet             // W3C baggage-octet (documentation; classPlain is what scanning uses)
	classHex               // hex digit
	classPlain             // baggage-octet other than '%'
)

// charClass maps each byte to its classes.
var charClass = func() (t [256]uint8) {
	for c := 0x21; c <= 0x7e; c++ {
		if c != '"' && c != ',' && c != ';' && c != '\\' {
			t[c] |= classOctet
			if c != '%' {
				t[c] |= classPlain
			}
		}
		if isAlnum(byte(c)) || strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0 {
			t[c] |= classToken
		}
	}
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] |= classHex
	}
	return t
}()

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// maxFalseStarts is the number of candidate positions index checks before it leaves the rest of the search to
// strings.Index, whose cost stays linear on any input.
const maxFalseStarts = 8

// index is strings.Index(s, key), cheaper in the Go compiler's Wasm code for the short keys and header values of
// a request. A key of 8 bytes or more is searched eight start positions a step: the positions where both the
// key's first and last bytes occur, found with word tests, without a memchr call (about eight instructions a
// byte); the laneway keys share their first eight bytes, so the last byte rules most of them out. Shorter keys
// go to indexShort.
func index(s, key string) int {
	n := len(key)
	if n < 8 || n > len(s) {
		return indexShort(s, key)
	}
	t := len(s) - n + 1 // start positions
	first, last := uint64(key[0])*bytewords.Ones, uint64(key[n-1])*bytewords.Ones
	first8, last8 := bytewords.Load64(key, 0), bytewords.Load64(key, n-8)
	starts, i := 0, 0
	for ; i < t; i += 8 {
		// m flags (at least) each start position i+j, j < 8, whose first and last bytes are the key's. The last
		// step has r < 8 positions; its last-byte word is loaded from the end of s and shifted down to line up.
		var m uint64
		if r := t - i; r >= 8 {
			m = bytewords.ZeroBytes(bytewords.Load64(s, i)^first) & bytewords.ZeroBytes(bytewords.Load64(s, i+n-1)^last) & bytewords.Highs
		} else {
			m = bytewords.ZeroBytes(bytewords.Load64(s, i)^first) & bytewords.ZeroBytes(bytewords.Load64(s, len(s)-8)>>uint(64-8*r)^last) &
				(bytewords.Highs >> uint(64-8*r))
		}
		for ; m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			if bytewords.Load64(s, j) == first8 && bytewords.Load64(s, j+n-8) == last8 && sameMiddle(s[j:j+n], key) {
				return j
			}
			if starts++; starts == maxFalseStarts {
				i = j + 1
				goto rest
			}
		}
	}
	return -1
rest:
	if j := strings.Index(s[i:], key); j >= 0 {
		return i + j
	}
	return -1
}

// sameMiddle reports whether a and b, of the same length of 8 bytes or more and the same first and last eight
// bytes, are equal: it compares the words between (a string == calls runtime.memequal, a byte loop in Wasm).
func sameMiddle(a, b string) bool {
	for k := 8; k < len(a)-8; k += 8 {
		if bytewords.Load64(a, k) != bytewords.Load64(b, k) {
			return false
		}
	}
	return true
}

// indexShort is index for a key shorter than 8 bytes, or longer than s: it compares a candidate's last byte
// before the whole key (strings.Index compares the second byte), and leaves out strings.Index's other length
// cases.
func indexShort(s, key string) int {
	n := len(key)
	switch {
	case n == 0:
		return 0
	case n > len(s):
		return -1
	}
	c, last := key[0], key[n-1]
	t := len(s) - n + 1
	for i, starts := 0, 0; i < t; i++ {
		if s[i] != c {
			j := strings.IndexByte(s[i+1:t], c)
			if j < 0 {
				return -1
			}
			i += j + 1
		}
		if s[i+n-1] == last && s[i:i+n] == key {
			return i
		}
		if starts++; starts == maxFalseStarts {
			if j := strings.Index(s[i+1:], key); j >= 0 {
				return i + 1 + j
			}
			return -1
		}
	}
	return -1
}
