// Package pluginconfig holds the pieces every laneway filter uses to validate its plugin configuration
// strictly: one error type with one message format, a bounded rendering of a received JSON value, a
// rendering of string lists as fmt's %q gives it (the modules do not link fmt), a walk
// over a JSON object that rejects unknown and repeated fields, and the RFC 7230 token check used for
// header names. It is pure Go on gjson and compiles for wasip1; it is linked into every filter module,
// so it stays small.
package pluginconfig

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Error is one invalid field of a plugin configuration: which filter, which field, what was received and
// what is allowed.
type Error struct {
	Filter  string // the filter whose configuration this is, e.g. "tenantroute"
	Field   string // JSON path of the field, e.g. "allow[2]"; "" for the document itself
	Got     string // what was received, e.g. Describe(v) or "an unknown field"
	Allowed string // what would be accepted
}

// Error renders e on one line: `<filter> config: field "<path>": got <got>; allowed: <allowed>`.
func (e *Error) Error() string {
	f := e.Field
	if f == "" {
		f = "(document)"
	}
	return e.Filter + " config: field " + strconv.Quote(f) + ": got " + e.Got + "; allowed: " + e.Allowed
}

// maxRaw bounds how much of a received value Describe shows.
const maxRaw = 80

// Describe renders a received JSON value for an error message: its kind and its text, shortened to
// about 80 bytes; "nothing" when the value is absent.
func Describe(v gjson.Result) string {
	if !v.Exists() {
		return "nothing"
	}
	raw := strings.TrimSpace(v.Raw)
	if len(raw) > maxRaw {
		raw = raw[:maxRaw-3] + "..."
	}
	switch v.Type {
	case gjson.String:
		return "string " + raw
	case gjson.Number:
		return "number " + raw
	case gjson.True, gjson.False:
		return "boolean " + raw
	case gjson.Null:
		return "null"
	}
	if v.IsArray() {
		return "array " + raw
	}
	return "object " + raw
}

// Walk calls visit, in document order, for each member of the JSON object v found at path ("" for the
// document), with the member's own path; it rejects a v that is not an object, names not in names and
// names given twice, and stops at the first error visit returns.
func Walk(filter, path string, v gjson.Result, names []string, visit func(field, name string, v gjson.Result) error) error {
	if !v.IsObject() {
		return &Error{Filter: filter, Field: path, Got: Describe(v), Allowed: "a JSON object with the fields " + strings.Join(names, ", ")}
	}
	seen := make([]bool, len(names))
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		name := k.String()
		field := name
		if name == "" {
			field = `""`
		}
		if path != "" {
			field = path + "." + field
		}
		i := 0
		for i < len(names) && names[i] != name {
			i++
		}
		switch {
		case i == len(names):
			err = &Error{Filter: filter, Field: field, Got: "an unknown field", Allowed: "one of the fields " + strings.Join(names, ", ")}
		case seen[i]:
			err = &Error{Filter: filter, Field: field, Got: "the field a second time", Allowed: "each field at most once"}
		default:
			seen[i] = true
			err = visit(field, name, val)
		}
		return err == nil
	})
	return err
}

// List calls visit, in order, for each entry of the JSON array v found at path, with the entry's own
// path ("path[i]"); it rejects a v that is not an array and an array of more than max entries, with
// allowed (what the list may hold) as the allowed text, and stops at the first error visit returns.
func List(filter, path string, v gjson.Result, max int, allowed string, visit func(field string, e gjson.Result) error) error {
	if !v.IsArray() {
		return &Error{Filter: filter, Field: path, Got: Describe(v), Allowed: allowed}
	}
	// ForEach rather than Array: Array links gjson's array-and-map builder, about 9 KB per module.
	n := 0
	v.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	if n > max {
		return &Error{Filter: filter, Field: path, Got: strconv.Itoa(n) + " entries",
			Allowed: allowed + "; at most " + strconv.Itoa(max) + " entries"}
	}
	var err error
	i := 0
	v.ForEach(func(_, e gjson.Result) bool {
		err = visit(path+"["+strconv.Itoa(i)+"]", e)
		i++
		return err == nil
	})
	return err
}

// QuoteList renders strings for a message as fmt's %q does (["a" "b\n"]) without fmt, which the filter
// modules do not link (see packager/wasmbuild).
func QuoteList(xs []string) string {
	b := []byte{'['}
	for i, x := range xs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendQuote(b, x)
	}
	return string(append(b, ']'))
}

// IsTokenChar reports whether c is an RFC 7230 tchar: a letter, a digit or one of !#$%&'*+-.^_`|~.
func IsTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// IsToken reports whether s is a non-empty RFC 7230 token (a valid header name).
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}
