package pluginconfig

import (
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// Bool reads the JSON value v at field as true or false.
func Bool(filter, field string, v gjson.Result) (bool, error) {
	switch v.Type {
	case gjson.True:
		return true, nil
	case gjson.False:
		return false, nil
	}
	return false, &Error{Filter: filter, Field: field, Got: Describe(v), Allowed: "true or false"}
}

// Enum is the configuration spelling of each value of a small enumeration whose values are 1, 2, 3... in
// the order of the names; 0 is the zero value, "unset". A filter's Mode.String is Enum.Name.
type Enum []string

// Unset is the name of an enumeration's zero value.
const Unset = "unset"

// Name returns the spelling of value n: e[n-1], Unset for 0, "unknown" for a value e does not name.
func (e Enum) Name(n int) string {
	switch {
	case n == 0:
		return Unset
	case n < 0 || n > len(e):
		return "unknown"
	}
	return e[n-1]
}

// Allowed renders the names for a message: one of "inbound", "outbound", "edge".
func (e Enum) Allowed() string {
	b := append([]byte(nil), "one of "...)
	for i, name := range e {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, name)
	}
	return string(b)
}

// Read reads the JSON string v at field as one of e's names, spelled exactly, and returns its value
// (1 for e[0]).
func (e Enum) Read(filter, field string, v gjson.Result) (int, error) {
	if v.Type == gjson.String {
		for i, name := range e {
			if v.Str == name {
				return i + 1, nil
			}
		}
	}
	return 0, &Error{Filter: filter, Field: field, Got: Describe(v), Allowed: e.Allowed()}
}

// String reads the JSON string v at field: at most maxLen bytes and accepted by ok (nil accepts any);
// allowed says what the field takes.
func String(filter, field string, v gjson.Result, maxLen int, allowed string, ok func(string) bool) (string, error) {
	if v.Type != gjson.String || len(v.Str) > maxLen || ok != nil && !ok(v.Str) {
		return "", &Error{Filter: filter, Field: field, Got: Describe(v), Allowed: allowed}
	}
	return v.Str, nil
}

// Uint reads the JSON number v at field as an integer from lo to hi, written in decimal digits only.
func Uint(filter, field string, v gjson.Result, lo, hi uint64) (uint64, error) {
	if n, ok := digits(v); ok && n >= lo && n <= hi {
		return n, nil
	}
	return 0, &Error{Filter: filter, Field: field, Got: Describe(v),
		Allowed: "an integer from " + strconv.FormatUint(lo, 10) + " to " + strconv.FormatUint(hi, 10)}
}

// The statuses any Status reader accepts: a filter answers with a final response, never 1xx.
const (
	MinStatus = 200
	MaxStatus = 599
)

// Status reads the JSON number v at field as an HTTP status from lo to hi, a range within
// MinStatus..MaxStatus (pass those two for any status a local reply may carry).
func Status(filter, field string, v gjson.Result, lo, hi uint32) (uint32, error) {
	lo, hi = max(lo, MinStatus), min(hi, MaxStatus)
	if n, ok := digits(v); ok && n >= uint64(lo) && n <= uint64(hi) {
		return uint32(n), nil
	}
	return 0, &Error{Filter: filter, Field: field, Got: Describe(v),
		Allowed: "an integer HTTP status from " + strconv.FormatUint(uint64(lo), 10) + " to " + strconv.FormatUint(uint64(hi), 10)}
}

// digits parses a JSON number written as decimal digits only.
func digits(v gjson.Result) (uint64, bool) {
	if v.Type != gjson.Number {
		return 0, false
	}
	for i := 0; i < len(v.Raw); i++ {
		if v.Raw[i] < '0' || v.Raw[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(v.Raw, 10, 64)
	return n, err == nil
}

// Duration reads the JSON string v at field as a Go duration ("250ms", "30s", "1h30m") from lo to hi.
func Duration(filter, field string, v gjson.Result, lo, hi time.Duration) (time.Duration, error) {
	if v.Type == gjson.String {
		if d, err := time.ParseDuration(v.Str); err == nil && d >= lo && d <= hi {
			return d, nil
		}
	}
	return 0, &Error{Filter: filter, Field: field, Got: Describe(v),
		Allowed: "a duration from " + lo.String() + " to " + hi.String() + ` such as "30s", "250ms" or "1h"`}
}
