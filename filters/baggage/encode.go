package baggage

import (
	"strings"
	"unicode/utf8"
)

// AppendMember returns header with `key=<percent-encoded value>` appended; false if that would break the limits or key is not a valid token.
//
// Invalid UTF-8 in value is encoded as U+FFFD. If header already holds key with
// another value, the key becomes ambiguous (see package doc): remove it first
// with RemoveKeys.
func AppendMember(header, key, value string) (string, bool) {
	if key == "" || skipToken(key, 0) != len(key) {
		return "", false
	}
	n := len(key) + 1 + encodedLen(value)
	if header != "" {
		n += len(header) + 1
	}
	if n > MaxBytes {
		return "", false
	}
	sc := scanner{values: []string{header}}
	for sc.kept < MaxMembers {
		if _, ok := sc.next(); !ok {
			break
		}
	}
	if sc.kept >= MaxMembers {
		return "", false
	}
	var b strings.Builder
	b.Grow(n)
	if header != "" {
		b.WriteString(header)
		b.WriteByte(',')
	}
	b.WriteString(key)
	b.WriteByte('=')
	appendEncoded(&b, value)
	return b.String(), true
}

// RemoveKeys returns one combined header without members whose key is listed, other members' bytes verbatim; bool = something removed.
//
// Only the members Parse keeps are written: malformed members and members
// beyond the limits are removed too (and make the bool true), so nothing that
// another parser might read differently passes through. An empty result with
// true means the header should be deleted.
func RemoveKeys(values []string, keys ...string) (string, bool) {
	var (
		b       strings.Builder
		removed bool
		total   int
	)
	for _, v := range values {
		total += len(v) + 1
	}
	sc := scanner{values: values, countRest: true}
	for {
		m, ok := sc.next()
		if !ok {
			break
		}
		if listed(m.key, keys) {
			removed = true
			continue
		}
		if b.Cap() == 0 {
			b.Grow(min(total, MaxBytes))
		} else {
			b.WriteByte(',')
		}
		b.WriteString(m.text)
	}
	if sc.dropped > 0 {
		removed = true
	}
	if !removed {
		switch len(values) {
		case 0:
			return "", false
		case 1:
			return values[0], false
		}
	}
	return b.String(), removed
}

// listed reports whether key is one of keys.
func listed(key string, keys []string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
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

// appendEncoded writes value percent-encoded: '%' and every byte that is not a
// baggage-octet are escaped, invalid UTF-8 bytes become an escaped U+FFFD.
func appendEncoded(b *strings.Builder, value string) {
	for i := 0; i < len(value); {
		c := value[i]
		if c < utf8.RuneSelf {
			if charClass[c]&classPlain != 0 {
				b.WriteByte(c)
			} else {
				writeEscaped(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(value[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("%EF%BF%BD")
		} else {
			for _, c := range []byte(value[i : i+size]) {
				writeEscaped(b, c)
			}
		}
		i += size
	}
}

func writeEscaped(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&15])
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
