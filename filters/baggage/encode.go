package baggage

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// AppendMember returns header with `key=<percent-encoded value>` appended; false if that would break the limits or key is not a valid token.
//
// Invalid UTF-8 in value is encoded as U+FFFD. If header already holds key with
// another value, the key becomes ambiguous (see package doc): remove it first
// with RemoveKeys.
func AppendMember(header, key, value string) (string, bool) {
	if !validKey(key) {
		return "", false
	}
	buf := make([]byte, 0, len(header)+1+len(key)+1+encodedLen(value))
	out, ok := AppendMemberTo(append(buf, header...), key, value)
	if !ok {
		return "", false
	}
	return unsafe.String(unsafe.SliceData(out), len(out)), true
}

// AppendMemberTo is AppendMember for a header held in a byte slice: it appends the member to header in place.
//
// On false header is returned unchanged. It lets a caller build a header in
// memory it reuses (after AppendWithoutKeys, say) instead of allocating a string.
// Trailing blanks and commas of header are dropped first, so the member never
// follows an empty list element (`a=1,` becomes `a=1,key=value`).
func AppendMemberTo(header []byte, key, value string) ([]byte, bool) {
	if !validKey(key) {
		return header, false
	}
	orig := header
	header = trimTrailingEmpty(header)
	n := len(key) + 1 + encodedLen(value)
	if len(header) > 0 {
		n += len(header) + 1
	}
	if n > MaxBytes {
		return orig, false
	}
	// k non-empty list elements take at least 2k-1 bytes, so a shorter header cannot hold MaxMembers
	// members and need not be parsed (parsing costs microseconds in Wasm).
	if len(header) >= 2*MaxMembers-1 {
		sc := scanner{values: []string{unsafe.String(unsafe.SliceData(header), len(header))}}
		for sc.kept < MaxMembers {
			if _, ok := sc.next(); !ok {
				break
			}
		}
		if sc.kept >= MaxMembers {
			return orig, false
		}
	}
	if len(header) > 0 {
		header = append(header, ',')
	}
	header = append(header, key...)
	header = append(header, '=')
	return appendEncoded(header, value), true
}

// trimTrailingEmpty returns header without its trailing empty list elements (spaces, tabs and commas at
// the end, when there is a comma among them); a header of only those becomes empty.
func trimTrailingEmpty(header []byte) []byte {
	end, comma := len(header), false
	for ; end > 0; end-- {
		c := header[end-1]
		if c == ',' {
			comma = true
		} else if c != ' ' && c != '\t' {
			break
		}
	}
	if comma || end == 0 {
		return header[:end]
	}
	return header
}

// Clean reports whether the comma-joined values hold no empty list element (a blank value, a leading or
// trailing comma, two commas with only blanks between them): forwarding them as one header adds none. It
// looks only at the bytes around commas, so a long value costs one comma search.
func Clean(values []string) bool {
	for _, v := range values {
		i := skipOWS(v, 0)
		if i == len(v) || v[i] == ',' {
			return false
		}
		for {
			j := strings.IndexByte(v[i:], ',')
			if j < 0 {
				break
			}
			i = skipOWS(v, i+j+1)
			if i == len(v) || v[i] == ',' {
				return false
			}
		}
	}
	return true
}

// validKey reports whether key is a non-empty token, as a member's key must be.
func validKey(key string) bool { return key != "" && skipToken(key, 0) == len(key) }

// RemoveKeys returns one combined header without members whose key reads as a listed key (keys are tokens), other members' bytes verbatim; bool = something removed.
//
// A member is removed when its key reads as a listed key under any common
// propagator's decoding (KeyReadsAs; `laneway%2Dtenant` for laneway-tenant).
// Only the members Parse keeps are written: malformed members and members
// beyond the limits are removed too (and make the bool true), so nothing that
// another parser might read differently passes through. Empty list elements are
// dropped too, without making the bool true. An empty result with true means
// the header should be deleted.
func RemoveKeys(values []string, keys ...string) (string, bool) {
	total := 0
	for _, v := range values {
		total += len(v) + 1
	}
	out, removed := AppendWithoutKeys(make([]byte, 0, min(total, MaxBytes)), values, keys...)
	if !removed {
		switch {
		case len(values) == 0:
			return "", false
		case len(values) == 1 && Clean(values):
			return values[0], false
		}
	}
	return unsafe.String(unsafe.SliceData(out), len(out)), removed
}

// AppendWithoutKeys appends to dst the header RemoveKeys returns (written out even when nothing is removed).
//
// One value from which nothing is removed and that holds no empty list element is written byte for byte;
// otherwise the kept members are written joined by single commas, so empty elements are cleaned away.
func AppendWithoutKeys(dst []byte, values []string, keys ...string) ([]byte, bool) {
	start, removed := len(dst), false
	sc := scanner{values: values, countRest: true}
	for {
		m, ok := sc.next()
		if !ok {
			break
		}
		if ReadsAsAny(m.key, keys) {
			removed = true
			continue
		}
		if len(dst) > start {
			dst = append(dst, ',')
		}
		dst = append(dst, m.text...)
	}
	removed = removed || sc.dropped > 0
	if !removed && len(values) == 1 && Clean(values) {
		// Nothing to remove from one clean header: forward its bytes verbatim (spacing included).
		dst = append(dst[:start], values[0]...)
	}
	return dst, removed
}

// AppendCombined appends values joined with commas, byte for byte: several baggage headers as one.
func AppendCombined(dst []byte, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, v...)
	}
	return dst
}

// AppendSetMember builds, from buf[:0], the combined header with every member whose key reads as one of
// remove (KeyReadsAs) dropped and `key=<value>` appended: the header a filter forwards when it sets a member.
// ok is false when the member would break the limits or key is not a token; out then holds the header
// without the dropped members.
//
// Values that cannot hold such a member (MayHoldKeys) and hold no empty list element (Clean) are forwarded
// byte for byte (design: forward the original baggage bytes); otherwise they are rewritten as
// AppendWithoutKeys does, which also drops empty list elements: adding a member never leaves one.
func AppendSetMember(buf []byte, values []string, key, value string, remove ...string) (out []byte, ok bool) {
	out = buf[:0]
	if MayHoldKeys(values, remove...) || !Clean(values) {
		out, _ = AppendWithoutKeys(out, values, remove...)
	} else {
		out = AppendCombined(out, values)
	}
	return AppendMemberTo(out, key, value)
}

// AppendSetMemberEvicting is AppendSetMember for a member that must travel: when `key=<value>` does not fit
// within MaxMembers and MaxBytes, whole members are dropped from the end of the list (W3C allows dropping
// members beyond the limits) until it does, and evicted says how many. The other members that remain are a
// prefix, in wire order, of those AppendWithoutKeys keeps; the header is then rewritten as AppendWithoutKeys
// writes it. ok is false only when key is not a token or `key=<value>` alone is longer than MaxBytes; out
// then holds what AppendSetMember's does.
func AppendSetMemberEvicting(buf []byte, values []string, key, value string, remove ...string) (out []byte, evicted int, ok bool) {
	out, ok = AppendSetMember(buf, values, key, value, remove...)
	need := len(key) + 1 + encodedLen(value)
	if ok || !validKey(key) || need > MaxBytes {
		return out, 0, ok
	}
	// Rewritten, the header holds only well-formed members within the limits (it is never longer than
	// the text they came from): keep the longest prefix of them that leaves room for one more member.
	out, _ = AppendWithoutKeys(out[:0], values, remove...)
	sc := scanner{values: []string{unsafe.String(unsafe.SliceData(out), len(out))}}
	// Both bounds only grow along the list, so the members that fit are a prefix.
	keep, kept := 0, 0
	for {
		if _, more := sc.next(); !more {
			break
		}
		if sc.kept < MaxMembers && sc.end+1+need <= MaxBytes {
			keep, kept = sc.end, sc.kept
		}
	}
	out, ok = AppendMemberTo(out[:keep], key, value)
	return out, sc.kept - kept, ok
}

// encodedLen returns the length of value once encoded by appendEncoded.
func encodedLen(value string) int {
	n := 0
	for i := 0; i < len(value); {
		c := value[i]
		if c < utf8.RuneSelf {
			if charClass[c]&classPlain != 0 {
				n++
			} else {
				n += 3
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(value[i:])
		if r == utf8.RuneError && size == 1 {
			n += 9 // %EF%BF%BD
		} else {
			n += 3 * size
		}
		i += size
	}
	return n
}

const upperHex = "0123456789ABCDEF"

// appendEncoded appends value percent-encoded: '%' and every byte that is not a
// baggage-octet are escaped, invalid UTF-8 bytes become an escaped U+FFFD.
func appendEncoded(b []byte, value string) []byte {
	for i := 0; i < len(value); {
		c := value[i]
		if c < utf8.RuneSelf {
			if charClass[c]&classPlain != 0 {
				b = append(b, c)
			} else {
				b = appendEscaped(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(value[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "%EF%BF%BD"...)
		} else {
			for j := i; j < i+size; j++ {
				b = appendEscaped(b, value[j])
			}
		}
		i += size
	}
	return b
}

func appendEscaped(b []byte, c byte) []byte {
	return append(b, '%', upperHex[c>>4], upperHex[c&15])
}

// appendDecoded appends the percent-decoded raw value (escapes already validated)
// to dst, replacing each byte that is not part of valid UTF-8 with U+FFFD. The
// result never grows by more than len(raw).
func appendDecoded(dst []byte, raw string) []byte {
	start := len(dst)
	ascii := true
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' && i+2 < len(raw) {
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		dst = append(dst, c)
	}
	if ascii || utf8.Valid(dst[start:]) {
		return dst
	}
	// Rare: re-decode rune by rune. Each invalid byte came from a 3-byte
	// escape, so the replacement fits in len(raw).
	dec := string(dst[start:])
	dst = dst[:start]
	for i := 0; i < len(dec); {
		r, size := utf8.DecodeRuneInString(dec[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, dec[i:i+size]...)
		}
		i += size
	}
	return dst
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// AppendSetKeys builds, from buf[:0], the combined header a trust boundary forwards when it accepts value for
// keys: every member whose key reads as one of keys (KeyReadsAs) is dropped, except the first member of each
// key spelled exactly as listed, which stays in its place holding value (its bytes verbatim when its raw value
// is value and it has no properties, else rewritten as `key=<value>`). set has bit i for each keys[i] (i < 64) so kept. The caller
// appends the keys it wants that did not arrive. Members that cannot read as keys are forwarded as
// AppendSetMember forwards them (byte for byte when no member may and no list element is empty).
func AppendSetKeys(buf []byte, values, keys []string, value string) (out []byte, set uint64) {
	out = buf[:0]
	if !MayHoldKeys(values, keys...) && Clean(values) {
		return AppendCombined(out, values), 0
	}
	sc := scanner{values: values, countRest: true}
	for {
		m, ok := sc.next()
		if !ok {
			return out, set
		}
		text := m.text
		if ReadsAsAny(m.key, keys) {
			i := exactIndex(m.key, keys)
			if i < 0 || i >= 64 || set&(1<<i) != 0 {
				continue
			}
			set |= 1 << i
			// Properties go too: OpenTelemetry Python reads them as part of the value.
			if m.value != value || m.props != "" {
				if len(out) > 0 {
					out = append(out, ',')
				}
				out = append(append(out, keys[i]...), '=')
				out = appendEncoded(out, value)
				continue
			}
		}
		if len(out) > 0 {
			out = append(out, ',')
		}
		out = append(out, text...)
	}
}

// exactIndex returns the index of key in keys, or -1.
func exactIndex(key string, keys []string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}
