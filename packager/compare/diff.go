package compare

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/tidwall/gjson"
)

// Field names: "status", "header:<name>", "body:<gjson path>" for a field of a JSON body
// (arrays by index: body:items.0.price), and "body" for a body compared whole (not JSON,
// or truncated) by sha256 and length.
const (
	FieldStatus       = "status"
	FieldHeaderPrefix = "header:"
	FieldBodyPrefix   = "body:"
	FieldBody         = "body"
)

// Absent is the value shown for a field one response does not have.
const Absent = "(absent)"

// maxDepth is how deep a JSON body is split into fields; deeper values compare whole.
const maxDepth = 32

// maxShownValue is how much of a value a report example keeps.
const maxShownValue = 200

// Difference is one field in which two responses differ, with the value in each.
type Difference struct {
	Field string `json:"field"`
	A     string `json:"a"`
	B     string `json:"b"`
}

// leaf is one scalar (or empty container, or too-deep value) of a JSON body.
type leaf struct {
	path string
	val  gjson.Result
}

// Diff returns the fields in which responses a and b differ, sorted by field name.
func Diff(a, b *Capture) []Difference {
	var out []Difference
	if a.Status != b.Status {
		out = append(out, Difference{FieldStatus, strconv.Itoa(a.Status), strconv.Itoa(b.Status)})
	}
	out = diffHeaders(out, a.Headers, b.Headers)
	ja, jb := jsonBody(a), jsonBody(b)
	if ja && jb {
		out = diffJSON(out, flatten(a.Body), flatten(b.Body))
	} else if va, vb := bodyDigest(a), bodyDigest(b); va != vb {
		out = append(out, Difference{FieldBody, va, vb})
	}
	slices.SortFunc(out, func(x, y Difference) int { return cmp.Compare(x.Field, y.Field) })
	return out
}

func diffHeaders(out []Difference, a, b map[string]string) []Difference {
	for k, va := range a {
		vb, ok := b[k]
		if !ok {
			vb = Absent
		}
		if !ok || va != vb {
			out = append(out, Difference{FieldHeaderPrefix + k, shown(va), shown(vb)})
		}
	}
	for k, vb := range b {
		if _, ok := a[k]; !ok {
			out = append(out, Difference{FieldHeaderPrefix + k, Absent, shown(vb)})
		}
	}
	return out
}

// jsonBody reports whether a capture's body is compared field by field: whole, valid JSON.
func jsonBody(c *Capture) bool {
	return !c.Truncated && len(c.Body) > 0 && gjson.ValidBytes(c.Body)
}

func bodyDigest(c *Capture) string {
	sum := sha256.Sum256(c.Body)
	s := fmt.Sprintf("sha256:%s (%d bytes", hex.EncodeToString(sum[:8]), c.BodyBytes)
	if c.Truncated {
		s += fmt.Sprintf(", first %d hashed", len(c.Body))
	}
	return s + ")"
}

// flatten returns the leaves of a valid JSON document sorted by gjson path.
func flatten(doc []byte) []leaf {
	var out []leaf
	root := gjson.ParseBytes(doc)
	if !root.IsObject() && !root.IsArray() {
		return []leaf{{"@this", root}}
	}
	out = walk(out, "", root, 0)
	if len(out) == 1 && out[0].path == "" { // an empty object or array
		out[0].path = "@this"
	}
	slices.SortStableFunc(out, func(x, y leaf) int { return cmp.Compare(x.path, y.path) })
	return out
}

func walk(out []leaf, prefix string, v gjson.Result, depth int) []leaf {
	if (!v.IsObject() && !v.IsArray()) || depth >= maxDepth {
		return append(out, leaf{prefix, v})
	}
	n := len(out)
	i := 0
	obj := v.IsObject()
	v.ForEach(func(k, child gjson.Result) bool {
		var seg string
		if obj {
			seg = gjson.Escape(k.Str)
		} else {
			seg = strconv.Itoa(i)
		}
		i++
		p := seg
		if prefix != "" {
			p = prefix + "." + seg
		}
		out = walk(out, p, child, depth+1)
		return true
	})
	if len(out) == n { // empty object or array: a value of its own
		out = append(out, leaf{prefix, v})
	}
	return out
}

func diffJSON(out []Difference, a, b []leaf) []Difference {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || i < len(a) && a[i].path < b[j].path:
			out = append(out, Difference{FieldBodyPrefix + a[i].path, shown(a[i].val.Raw), Absent})
			i = skipDup(a, i)
		case i >= len(a) || b[j].path < a[i].path:
			out = append(out, Difference{FieldBodyPrefix + b[j].path, Absent, shown(b[j].val.Raw)})
			j = skipDup(b, j)
		default:
			if !sameValue(a[i].val, b[j].val) {
				out = append(out, Difference{FieldBodyPrefix + a[i].path, shown(a[i].val.Raw), shown(b[j].val.Raw)})
			}
			i, j = skipDup(a, i), skipDup(b, j)
		}
	}
	return out
}

// skipDup steps past leaf i and any later leaf of the same path (a key repeated in an object:
// the first occurrence counts, as gjson reads it).
func skipDup(l []leaf, i int) int {
	p := l[i].path
	for i++; i < len(l) && l[i].path == p; i++ {
	}
	return i
}

// sameValue compares two JSON values: strings by content, numbers by value, the rest by text.
func sameValue(a, b gjson.Result) bool {
	if a.Type != b.Type {
		return false
	}
	switch a.Type {
	case gjson.String:
		return a.Str == b.Str
	case gjson.Number:
		// 1.0 equals 1; beyond 2^53 floats lose integer precision, so only the text can tell.
		return a.Raw == b.Raw || a.Num == b.Num && math.Abs(a.Num) < 1<<53
	}
	return a.Raw == b.Raw
}

func shown(s string) string {
	if len(s) > maxShownValue {
		return s[:maxShownValue] + "..."
	}
	return s
}
