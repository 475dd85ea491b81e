package pluginconfig

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Document parses a filter's whole plugin configuration: empty or blank data is the empty object {};
// text that is not valid JSON, or JSON that is not an object, is refused.
func Document(filter string, data []byte) (gjson.Result, error) {
	i := 0
	for i < len(data) && isBlank(data[i]) {
		i++
	}
	if i == len(data) {
		return gjson.Parse("{}"), nil
	}
	if !gjson.ValidBytes(data) {
		// The text is not shown: a configuration may carry a secret.
		return gjson.Result{}, &Error{Filter: filter, Got: "text that is not valid JSON (" + strconv.Itoa(len(data)) + " bytes)",
			Allowed: "a JSON object, e.g. {}; check quotes, commas and brackets"}
	}
	doc := gjson.ParseBytes(data)
	if !doc.IsObject() {
		return gjson.Result{}, &Error{Filter: filter, Got: Describe(doc), Allowed: "a JSON object, e.g. {}"}
	}
	return doc, nil
}

// Object calls visit, in document order, for each member of the JSON object v found at path ("" for the
// document), with the member's own path; it rejects a v that is not an object, names not in names and
// names given twice, and stops at the first error visit returns.
func Object(filter, path string, v gjson.Result, names []string, visit func(field, name string, v gjson.Result) error) error {
	if !v.IsObject() {
		return &Error{Filter: filter, Field: path, Got: Describe(v), Allowed: "a JSON object with the fields " + strings.Join(names, ", ")}
	}
	seen := make([]bool, len(names))
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		name := k.String()
		field := join(path, name)
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

// Walk is Object's former name.
//
// Deprecated: use Object.
func Walk(filter, path string, v gjson.Result, names []string, visit func(field, name string, v gjson.Result) error) error {
	return Object(filter, path, v, names, visit)
}

// join returns the path of member name of the object at path ("" for the document); an empty name is
// shown as "".
func join(path, name string) string {
	if name == "" {
		name = `""`
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// Missing is the error for a required field that is absent: got nothing, allowed what the field takes.
func Missing(filter, field, allowed string) error {
	return &Error{Filter: filter, Field: field, Got: "nothing", Allowed: allowed + " (required)"}
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

// StringList reads the JSON array v at path as at most max strings, each read by each (which checks and
// may normalise it; nil accepts any JSON string), and refuses an entry equal to an earlier one after that
// normalisation; allowed says what one entry is ("a tenant name"). An empty array gives nil.
func StringList(filter, path string, v gjson.Result, max int, allowed string, each func(field string, v gjson.Result) (string, error)) ([]string, error) {
	var out []string
	err := List(filter, path, v, max, "an array of strings, each "+allowed, func(field string, e gjson.Result) error {
		var s string
		if each != nil {
			var err error
			if s, err = each(field, e); err != nil {
				return err
			}
		} else if e.Type != gjson.String {
			return &Error{Filter: filter, Field: field, Got: Describe(e), Allowed: allowed}
		} else {
			s = e.Str
		}
		for _, prev := range out {
			if prev == s {
				return &Error{Filter: filter, Field: field, Got: Describe(e) + ", the same as an earlier entry", Allowed: "each entry at most once"}
			}
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
