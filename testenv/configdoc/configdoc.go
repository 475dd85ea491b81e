// Package configdoc turns a configuration document written in YAML or JSON into JSON, strictly: a key
// given twice in one object is refused (YAML and JSON libraries silently keep the last one), and a
// document that looks like JSON but is broken is reported with the JSON error's line and column rather
// than with a YAML parser's message. Decode then fills tagged Go structs from that JSON just as strictly.
package configdoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"sigs.k8s.io/yaml"
)

// ToJSON returns data as JSON. A document starting with '[', '{"' or '{}' is read as JSON; anything else
// (including YAML flow style such as {mode: inbound}) as YAML. Empty input gives "null".
func ToJSON(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if looksLikeJSON(trimmed) {
		if err := checkJSON(data); err != nil {
			return nil, err
		}
		var out bytes.Buffer
		if err := json.Compact(&out, trimmed); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %v", err)
	}
	return j, nil
}

func looksLikeJSON(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == '[' {
		return true
	}
	if b[0] != '{' {
		return false
	}
	rest := bytes.TrimLeft(b[1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

// SyntaxError is broken JSON, with the position of the first error.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// DuplicateKeyError is a key given twice in one JSON or YAML object.
type DuplicateKeyError struct {
	// Path is the key's path, e.g. "trust.principals" or "listeners[0].name".
	Path         string
	Line, Column int
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("key %q is given twice (the second time at line %d, column %d); keep one: JSON and YAML readers would silently use the last", e.Path, e.Line, e.Column)
}

// checkJSON validates data as one JSON value with no repeated keys.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walk(dec, data, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		off := int(dec.InputOffset())
		line, col := position(data, off)
		return &SyntaxError{Line: line, Column: col, Msg: "text after the end of the document"}
	}
	return nil
}

// walk reads one value from dec, checking objects for repeated keys.
func walk(dec *json.Decoder, data []byte, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(dec, data, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			keyOff := int(dec.InputOffset())
			kt, err := dec.Token()
			if err != nil {
				return syntaxError(dec, data, err)
			}
			key, _ := kt.(string)
			p := key
			if path != "" {
				p = path + "." + key
			}
			if seen[key] {
				line, col := position(data, skipToKey(data, keyOff))
				return &DuplicateKeyError{Path: p, Line: line, Column: col}
			}
			seen[key] = true
			if err := walk(dec, data, p); err != nil {
				return err
			}
		}
	case '[':
		for i := 0; dec.More(); i++ {
			if err := walk(dec, data, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return syntaxError(dec, data, err)
	}
	return nil
}

// skipToKey moves past the separators the decoder has not consumed yet, to the key's opening quote.
func skipToKey(data []byte, off int) int {
	for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,"), data[off]) >= 0 {
		off++
	}
	return off
}

func syntaxError(dec *json.Decoder, data []byte, err error) error {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off, msg = len(data), "the document ends early (a missing '}', ']' or '\"')"
	}
	line, col := position(data, off)
	return &SyntaxError{Line: line, Column: col, Msg: msg}
}

// position converts a byte offset to a 1-based line and column.
func position(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
