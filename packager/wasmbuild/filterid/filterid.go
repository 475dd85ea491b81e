// Package filterid records which laneway filter a Wasm module is, in a custom section the build appends
// ("laneway.filter", payload the filter name), and reads it back. Wasm runtimes skip custom sections they
// do not know (the core spec makes them semantically inert), so Envoy's V8 and wazero load the module
// unchanged; laneway's CLI reads the section to refuse an image that holds another filter than the one a
// command names.
package filterid

import (
	"errors"
	"fmt"
	"regexp"
)

// SectionName is the name of the custom section holding the filter name.
const SectionName = "laneway.filter"

// MaxNameLen bounds a filter name in the section.
const MaxNameLen = 64

var validName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// ValidName reports whether s can be recorded as a filter name (a directory name under filters/).
func ValidName(s string) bool { return len(s) <= MaxNameLen && validName.MatchString(s) }

// Append returns module with a custom section naming filter appended (custom sections may follow any
// section). It refuses a module that already names a filter.
func Append(module []byte, filter string) ([]byte, error) {
	if !ValidName(filter) {
		return nil, fmt.Errorf("filter name %q: expected 1 to %d of a-z 0-9 _ - starting with a letter", filter, MaxNameLen)
	}
	if got, err := Read(module); err != nil {
		return nil, err
	} else if got != "" {
		return nil, fmt.Errorf("module already names filter %q in its %s section", got, SectionName)
	}
	payload := appendULEB(nil, uint32(len(SectionName)))
	payload = append(payload, SectionName...)
	payload = append(payload, filter...)
	out := make([]byte, 0, len(module)+len(payload)+6)
	out = append(out, module...)
	out = append(out, 0) // custom section id
	out = appendULEB(out, uint32(len(payload)))
	return append(out, payload...), nil
}

// Read returns the filter name the module's laneway.filter section records, "" when it has none. It walks
// the section headers only; a malformed module or section is an error.
func Read(module []byte) (string, error) {
	if len(module) < 8 || string(module[:4]) != "\x00asm" {
		return "", errors.New("not a Wasm binary module (no \\0asm magic)")
	}
	found := ""
	for off := 8; off < len(module); {
		id := module[off]
		size, n, err := readULEB(module[off+1:])
		if err != nil {
			return "", fmt.Errorf("section at byte %d: size: %w", off, err)
		}
		start := off + 1 + n
		if uint64(size) > uint64(len(module)-start) {
			return "", fmt.Errorf("section at byte %d: %d bytes declared, %d left in the module", off, size, len(module)-start)
		}
		body := module[start : start+int(size)]
		off = start + int(size)
		if id != 0 {
			continue
		}
		nameLen, n, err := readULEB(body)
		if err != nil {
			return "", fmt.Errorf("custom section at byte %d: name length: %w", start, err)
		}
		if uint64(nameLen) > uint64(len(body)-n) {
			return "", fmt.Errorf("custom section at byte %d: name of %d bytes overruns the section", start, nameLen)
		}
		if string(body[n:n+int(nameLen)]) != SectionName {
			continue
		}
		payload := string(body[n+int(nameLen):])
		if !ValidName(payload) {
			return "", fmt.Errorf("%s section at byte %d holds %q, expected a filter name", SectionName, start, truncate(payload))
		}
		if found != "" {
			return "", fmt.Errorf("module has two %s sections (%q and %q), expected one", SectionName, found, payload)
		}
		found = payload
	}
	return found, nil
}

func appendULEB(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// readULEB decodes an unsigned LEB128 u32 and returns it with the number of bytes read.
func readULEB(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errors.New("truncated LEB128 number")
		}
		c := b[i]
		if i == 4 && c > 0x0f {
			return 0, 0, errors.New("LEB128 number above 2^32-1")
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 number longer than 5 bytes")
}

func truncate(s string) string {
	if len(s) > MaxNameLen {
		return s[:MaxNameLen] + "..."
	}
	return s
}
