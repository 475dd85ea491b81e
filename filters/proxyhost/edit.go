package proxyhost

// Request-header edits, written so that Envoy never reads the result as an empty header map.

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

const (
	// MaxPairs is the most pairs Envoy's host decodes from one set_header_map_pairs call.
	MaxPairs = 1024
	// MaxBytes is the longest pairs encoding, in bytes, Envoy's host decodes.
	MaxBytes = 1 << 20
)

// Op is what an Edit does to the values of its header.
type Op uint8

// The edit operations, one host call each.
const (
	Remove  Op = iota // delete every value of Name
	Replace           // leave exactly one value of Name, Value (added when absent)
	Add               // append Value to the values of Name
)

// Edit is one request-header change.
type Edit struct {
	Kind        Op
	Name, Value string
}

// The host calls, replaced in tests.
var (
	setPairs = proxywasm.ReplaceHttpRequestHeaders
	remove   = proxywasm.RemoveHttpRequestHeader
	replace  = proxywasm.ReplaceHttpRequestHeader
	add      = proxywasm.AddHttpRequestHeader
)

// Size returns the length of pairs in the proxy-wasm pairs encoding (u32 count, u32 lengths, NUL-terminated names and values).
func Size(pairs [][2]string) int {
	n := 4
	for i := range pairs {
		n += 10 + len(pairs[i][0]) + len(pairs[i][1])
	}
	return n
}

// Fits reports whether Envoy decodes pairs written whole: at most MaxPairs pairs and MaxBytes encoded.
func Fits(pairs [][2]string) bool {
	if len(pairs) > MaxPairs {
		return false
	}
	n := 4
	for i := range pairs {
		if n += 10 + len(pairs[i][0]) + len(pairs[i][1]); n > MaxBytes {
			return false
		}
	}
	return true
}

// WriteRequestHeaders makes the request headers become edited (the current headers with edits applied): with one
// set_header_map_pairs call when Envoy accepts the map whole, otherwise edit by edit (see EditRequestHeaders).
// changed reports whether some host call succeeded; err is the first failure.
func WriteRequestHeaders(edited [][2]string, edits []Edit) (changed bool, err error) {
	if !Fits(edited) {
		return EditRequestHeaders(edits)
	}
	if err := setPairs(edited); err != nil {
		return false, err
	}
	return true, nil
}

// EditRequestHeaders applies edits in order, one remove, replace or add host call each, and goes on past a failed call.
// changed reports whether some host call succeeded; err is the first failure.
func EditRequestHeaders(edits []Edit) (changed bool, err error) {
	for i := range edits {
		e := &edits[i]
		var callErr error
		switch e.Kind {
		case Remove:
			callErr = remove(e.Name)
		case Replace:
			callErr = replace(e.Name, e.Value)
		case Add:
			callErr = add(e.Name, e.Value)
		default:
			continue
		}
		if callErr != nil {
			if err == nil {
				err = callErr
			}
			continue
		}
		changed = true
	}
	return changed, err
}
