package proxyhost

// Request-header edits, written so that Envoy never reads the result as an empty header map.

import (
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

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

// setPairs is the whole-map write, replaced in tests; the single-edit calls (remove, replace, add) are bound per
// build (host_native.go, host_wasm.go).
var setPairs = proxywasm.ReplaceHttpRequestHeaders

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
		var r hostResult
		switch e.Kind {
		case Remove:
			r = remove(e.Name)
		case Replace:
			r = replace(e.Name, e.Value)
		case Add:
			r = add(e.Name, e.Value)
		default:
			continue
		}
		if failed(r) {
			if err == nil {
				err = hostError(r)
			}
			continue
		}
		changed = true
	}
	return changed, err
}

// AppendEdited appends to dst the request headers as Envoy holds them once edits were applied in order:
// Remove deletes every value of Name, Replace puts Value in place of the first value of Name and drops the
// others (or appends Name when absent), Add appends. Names compare ASCII case-insensitively, as Envoy's
// lower-cased names do. It calls no host function and allocates nothing when dst has room; headers is not
// modified unless dst shares its memory.
func AppendEdited(dst, headers [][2]string, edits []Edit) [][2]string {
	start := len(dst)
	dst = append(dst, headers...)
	for i := range edits {
		e := &edits[i]
		switch e.Kind {
		case Add:
			dst = append(dst, [2]string{e.Name, e.Value})
		case Remove, Replace:
			// One pass: drop every copy of the name, except that Replace keeps the first with the new value.
			kept, found := start, false
			for j := start; j < len(dst); j++ {
				if strings.EqualFold(dst[j][0], e.Name) {
					if e.Kind == Remove || found {
						continue
					}
					found = true
					dst[j][1] = e.Value
				}
				dst[kept] = dst[j]
				kept++
			}
			clear(dst[kept:]) // no dropped string stays reachable from dst's spare capacity
			dst = dst[:kept]
			if e.Kind == Replace && !found {
				dst = append(dst, [2]string{e.Name, e.Value})
			}
		}
	}
	return dst
}
