// Package jsonunquote decodes one JSON string literal the way encoding/json's Unmarshal into a string does,
// without importing encoding/json. wasmbuild adds this file to the Wasm build's copy of github.com/tidwall/pretty
// (renamed into package pretty) so that the filters' modules do not link encoding/json; see wasmbuild's patches.
package jsonunquote

import (
	"unicode/utf16"
	"unicode/utf8"
)

// unquoteJSONString returns what json.Unmarshal(s, &str) leaves in an empty str: the decoded string when s,
// apart from surrounding JSON whitespace, is one valid JSON string literal, and "" otherwise (invalid JSON, or
// JSON that is not a string). Invalid UTF-8 bytes and unpaired UTF-16 surrogate escapes become U+FFFD.
func unquoteJSONString(s []byte) string {
	s = trimJSONSpace(s)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return ""
	}
	body := s[1 : len(s)-1]
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '"' || c < 0x20:
			// An unescaped quote ends the literal early (trailing bytes follow it); control bytes are invalid.
			return ""
		case c == '\\':
			if i+1 >= len(body) {
				return ""
			}
			switch e := body[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				r, ok := hex4(body[i+2:])
				if !ok {
					return ""
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A surrogate pairs only with an immediately following \uXXXX escape forming a valid pair;
					// otherwise it alone becomes U+FFFD and whatever follows is decoded on its own.
					if len(body) > i+1 && body[i] == '\\' && body[i+1] == 'u' {
						if r2, ok := hex4(body[i+2:]); ok {
							if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
								out = utf8.AppendRune(out, p)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return ""
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, body[i:i+size]...)
			}
			i += size
		}
	}
	return string(out)
}

// hex4 decodes the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// trimJSONSpace drops the whitespace JSON allows around a value (space, tab, CR, LF).
func trimJSONSpace(s []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}
