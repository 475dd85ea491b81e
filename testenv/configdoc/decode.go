package configdoc

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/tidwall/gjson"
)

// Decoder is a configuration value that reads itself: from the JSON value v found at field of the
// configuration called name, returning a *pluginconfig.Error for a value it does not take.
type Decoder interface {
	DecodeConfig(name, field string, v gjson.Result) error
}

// MaxEntries bounds every list and map Decode fills.
const MaxEntries = 4096

// Decode fills what dst points to from the JSON value v, found at field ("" for the document) of the
// configuration called name, strictly, by Go type:
//   - a Decoder reads itself;
//   - a struct is a JSON object whose members are the fields' json tag names (fields without one are not
//     read); unknown and repeated members are refused, absent ones leave the field as it was;
//   - a pointer is allocated when its member is present;
//   - a slice is a JSON array and a map[string]T a JSON object of any names (each once), of at most
//     MaxEntries entries; their entries' paths are field[i] and field["name"];
//   - a string is a JSON string, a bool true or false, an integer a JSON number written in decimal digits
//     (with a '-' for signed types) that fits the type, a float64 a finite JSON number, and a
//     time.Duration a JSON string in Go's duration syntax ("500ms", "5s").
//
// Every refusal is a *pluginconfig.Error naming the field, what was received and what is allowed. Ranges
// and patterns are the caller's to check on the filled value.
func Decode(name, field string, v gjson.Result, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &pluginconfig.Error{Filter: name, Field: field, Got: "a destination of Go type " + rv.Type().String(), Allowed: "a non-nil pointer"}
	}
	return decode(name, field, v, rv.Elem())
}

var (
	decoderType  = reflect.TypeFor[Decoder]()
	durationType = reflect.TypeFor[time.Duration]()
)

func decode(name, field string, v gjson.Result, dst reflect.Value) error {
	if reflect.PointerTo(dst.Type()).Implements(decoderType) {
		return dst.Addr().Interface().(Decoder).DecodeConfig(name, field, v)
	}
	bad := func(allowed string) error {
		return &pluginconfig.Error{Filter: name, Field: field, Got: pluginconfig.Describe(v), Allowed: allowed}
	}
	if dst.Type() == durationType {
		d, err := time.ParseDuration(v.Str)
		if v.Type != gjson.String || err != nil {
			return bad(`a duration such as "500ms", "5s" or "1m"`)
		}
		dst.SetInt(int64(d))
		return nil
	}
	switch dst.Kind() {
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := decode(name, field, v, p.Elem()); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.Struct:
		return decodeStruct(name, field, v, dst)
	case reflect.Slice:
		s := reflect.MakeSlice(dst.Type(), 0, 0)
		err := pluginconfig.List(name, field, v, MaxEntries, "a list of "+describeType(dst.Type().Elem()), func(f string, e gjson.Result) error {
			el := reflect.New(dst.Type().Elem()).Elem()
			if err := decode(name, f, e, el); err != nil {
				return err
			}
			s = reflect.Append(s, el)
			return nil
		})
		if err == nil {
			dst.Set(s)
		}
		return err
	case reflect.Map:
		return decodeMap(name, field, v, dst)
	case reflect.String:
		if v.Type != gjson.String {
			return bad("a string")
		}
		dst.SetString(v.Str)
	case reflect.Bool:
		b, err := pluginconfig.Bool(name, field, v)
		if err != nil {
			return err
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(v.Raw, 10, dst.Type().Bits())
		if v.Type != gjson.Number || err != nil || strings.ContainsAny(v.Raw, ".eE+") {
			return bad("an integer")
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := pluginconfig.Uint(name, field, v, 0, math.MaxUint64>>(64-dst.Type().Bits()))
		if err != nil {
			return err
		}
		dst.SetUint(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(v.Raw, 64)
		if v.Type != gjson.Number || err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return bad("a number")
		}
		dst.SetFloat(f)
	default:
		return &pluginconfig.Error{Filter: name, Field: field, Got: "a field of Go type " + dst.Type().String(), Allowed: "a type Decode fills"}
	}
	return nil
}

// tagName returns the member name of a struct field: its json tag up to the first comma; "" when the
// field is not read.
func tagName(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	return tag
}

// fieldNames returns the member names of struct type t and the index of each field.
func fieldNames(t reflect.Type) ([]string, []int) {
	var names []string
	var idx []int
	for i := 0; i < t.NumField(); i++ {
		if n := tagName(t.Field(i)); n != "" {
			names = append(names, n)
			idx = append(idx, i)
		}
	}
	return names, idx
}

func decodeStruct(name, field string, v gjson.Result, dst reflect.Value) error {
	names, idx := fieldNames(dst.Type())
	return pluginconfig.Object(name, field, v, names, func(f, member string, e gjson.Result) error {
		for i, n := range names {
			if n == member {
				return decode(name, f, e, dst.Field(idx[i]))
			}
		}
		return nil // unreachable: Object visits listed names only
	})
}

func decodeMap(name, field string, v gjson.Result, dst reflect.Value) error {
	t := dst.Type()
	allowed := "an object of names to " + describeType(t.Elem())
	if t.Key().Kind() != reflect.String {
		return &pluginconfig.Error{Filter: name, Field: field, Got: "a map of Go type " + t.String(), Allowed: "a map with string keys"}
	}
	if !v.IsObject() {
		return &pluginconfig.Error{Filter: name, Field: field, Got: pluginconfig.Describe(v), Allowed: allowed}
	}
	m := reflect.MakeMap(t)
	var err error
	v.ForEach(func(k, e gjson.Result) bool {
		f := field + "[" + strconv.Quote(k.Str) + "]"
		key := reflect.ValueOf(k.Str).Convert(t.Key())
		switch {
		case m.Len() == MaxEntries:
			err = &pluginconfig.Error{Filter: name, Field: field, Got: "more than " + strconv.Itoa(MaxEntries) + " entries", Allowed: allowed}
		case m.MapIndex(key).IsValid():
			err = &pluginconfig.Error{Filter: name, Field: f, Got: "the name a second time", Allowed: "each name at most once"}
		default:
			el := reflect.New(t.Elem()).Elem()
			if err = decode(name, f, e, el); err == nil {
				m.SetMapIndex(key, el)
			}
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	dst.Set(m)
	return nil
}

// describeType says what JSON a Go type is read from, for a list's or map's allowed text.
func describeType(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case reflect.PointerTo(t).Implements(decoderType):
		return "values"
	case t == durationType:
		return "durations"
	}
	switch t.Kind() {
	case reflect.Struct:
		names, _ := fieldNames(t)
		return "objects {" + strings.Join(names, ", ") + "}"
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "booleans"
	case reflect.Slice:
		return "lists"
	case reflect.Map:
		return "objects"
	}
	return "numbers"
}
