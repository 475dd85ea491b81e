package baggage

import (
	"strings"
	"unsafe"
)

// View holds what one search of a request's baggage values found about the keys it watches, for callers that
// ask about several keys (the combined module's roles): keys that start with the same byte share one byte
// search. A caller asks through the watched key's *ViewKey, whose methods return exactly what the functions
// of the same name return, and call those functions when asked about other values than the ones searched or
// another key.
//
// The search is made over the values a ViewKey is first asked about after a Reset (or given to Search). Values
// are told apart by their memory (the same strings, not equal text): Reset before each request, since a caller
// may reuse that memory for the next request's headers, and whenever the values may have changed. Its zero
// value watches no key.
type View struct {
	// ids identify the values searched by their memory (nv of them); valid: there is a search.
	ids   [maxViewValues]struct{ p, n uintptr }
	nv    int
	valid bool
	whole bool // no limit can apply to the values (withinLimits): Lookup's answers are the search's
	esc   uint8
	keys  [MaxViewKeys]ViewKey
	nk    int
}

// MaxViewKeys is the number of keys a View watches.
const MaxViewKeys = 8

// maxViewValues is the number of baggage header values a View searches; with more, ViewKey's methods call the
// functions.
const maxViewValues = 4

// maxSearchHits bounds the occurrences of a first byte one search looks at; past it the search leaves its keys
// to the functions (whose searches bound their own cost), so a value made of that byte costs no more than today.
const maxSearchHits = 64

// esc: HasEscapedKeys of the values searched, once asked.
const (
	escUnknown = iota
	escNo
	escYes
)

// ViewKey answers for one key a View watches.
type ViewKey struct {
	v     *View
	key   string
	lead  bool  // no key watched before it starts with the same byte: its search serves them all
	given bool  // the search gave up: ask the functions
	count uint8 // occurrences in the values as strings.Count counts them, at most 2
	// With v.whole: has: some kept member is keyed key; l: the members under key, as Lookup combines them;
	// bad: they disagree.
	has, bad bool
	l        lookupState
	next     int // the search: where the next occurrence counted may start in the values joined by commas
}

// Watch makes the view search for keys (empty ones and repeats left out) in place of the keys it watched, and
// returns their ViewKeys in the order of keys (nil for an empty key). It panics with more than MaxViewKeys
// distinct keys.
func (x *View) Watch(keys ...string) []*ViewKey {
	x.nk, x.valid = 0, false
	out := make([]*ViewKey, len(keys))
	for i, k := range keys {
		if k == "" {
			continue
		}
		for j := 0; j < x.nk; j++ {
			if x.keys[j].key == k {
				out[i] = &x.keys[j]
			}
		}
		if out[i] != nil {
			continue
		}
		if x.nk == len(x.keys) {
			panic("baggage: View.Watch: more than MaxViewKeys keys")
		}
		lead := true
		for j := 0; j < x.nk; j++ {
			lead = lead && x.keys[j].key[0] != k[0]
		}
		x.keys[x.nk] = ViewKey{v: x, key: k, lead: lead}
		out[i] = &x.keys[x.nk]
		x.nk++
	}
	return out
}

// Reset forgets the values searched: the next ViewKey question searches the values it is asked about.
func (x *View) Reset() { x.valid = false }

// Search searches values for every watched key: one byte search per distinct first byte of the keys, counting
// each key's occurrences as strings.Count does and, when no limit can apply, parsing the list elements that
// start with it, as Lookup does.
func (x *View) Search(values []string) {
	x.valid, x.esc = false, escUnknown
	if len(values) > len(x.ids) {
		return
	}
	for i, v := range values {
		x.ids[i].p, x.ids[i].n = uintptr(unsafe.Pointer(unsafe.StringData(v))), uintptr(len(v))
	}
	x.nv, x.valid = len(values), true
	x.whole = withinLimits(values)
	for i := 0; i < x.nk; i++ {
		k := &x.keys[i]
		k.given, k.count, k.has, k.bad, k.next = false, 0, false, false, 0
		k.l.found, k.l.haveDec = false, false // what add and result read first
	}
	for i := 0; i < x.nk; i++ {
		if k := &x.keys[i]; k.lead {
			x.search(values, k.key[0])
		}
	}
}

// search looks at each occurrence of c in values for the keys that start with c.
func (x *View) search(values []string, c byte) {
	hits, base := 0, 0
	for _, v := range values {
		for from := 0; ; {
			i := strings.IndexByte(v[from:], c)
			if i < 0 {
				break
			}
			p := from + i
			from = p + 1
			if hits++; hits > maxSearchHits {
				for j := 0; j < x.nk; j++ {
					if k := &x.keys[j]; k.key[0] == c {
						k.given = true
					}
				}
				return
			}
			for j := 0; j < x.nk; j++ {
				k := &x.keys[j]
				key := k.key
				// The last byte first: comparing longer strings calls the runtime's memequal.
				if key[0] != c || len(v)-p < len(key) || v[p+len(key)-1] != key[len(key)-1] || v[p:p+len(key)] != key {
					continue
				}
				// Counted as strings.Count counts per value: base+p is the offset in the values joined by
				// commas, where an occurrence in one value ends before the next value starts.
				if base+p >= k.next && k.count < 2 {
					k.count++
					k.next = base + p + len(key)
				}
				if !x.whole || k.bad || !atElementStart(v, p) {
					continue
				}
				end := strings.IndexByte(v[p:], ',')
				if end < 0 {
					end = len(v)
				} else {
					end += p
				}
				_, stop := trimOWS(v, p, end)
				if m, ok := parseMember(v[p:stop]); ok && m.key == key {
					k.has = true
					k.bad = !k.l.add(m)
				}
			}
		}
		base += len(v) + 1
	}
}

// covers reports whether the search answers for key in values: values are the ones searched (the same memory;
// after a Reset, the search is made over them) and key is k's.
func (k *ViewKey) covers(values []string, key string) bool {
	// One value and the watched string: the common case, inlined.
	x := k.v
	if x.valid && !k.given && len(values) == 1 && x.nv == 1 && unsafe.StringData(key) == unsafe.StringData(k.key) &&
		x.ids[0].p == uintptr(unsafe.Pointer(unsafe.StringData(values[0]))) && x.ids[0].n == uintptr(len(values[0])) && len(key) == len(k.key) {
		return true
	}
	return k.coversAny(values, key)
}

// coversAny is covers for any values and key.
func (k *ViewKey) coversAny(values []string, key string) bool {
	x := k.v
	if !x.valid {
		x.Search(values) // the first values asked about since Reset
	}
	if !x.valid || k.given || x.nv != len(values) || len(key) != len(k.key) {
		return false
	}
	for i := range values {
		if x.ids[i].p != uintptr(unsafe.Pointer(unsafe.StringData(values[i]))) || x.ids[i].n != uintptr(len(values[i])) {
			return false
		}
	}
	// The callers pass the string they watch: the same memory answers without comparing bytes.
	return unsafe.StringData(key) == unsafe.StringData(k.key) || key == k.key
}

// Lookup returns what Lookup(values, key) returns.
func (k *ViewKey) Lookup(values []string, key string) (string, bool) {
	if !k.covers(values, key) || !k.v.whole {
		return Lookup(values, key)
	}
	if k.bad {
		return "", false
	}
	return k.l.result()
}

// AnyValue returns what AnyValue(values, key, match) returns, calling match on the same values in the same order.
func (k *ViewKey) AnyValue(values []string, key string, match func(value string) bool) bool {
	if k.covers(values, key) && (k.count == 0 || k.v.whole && !k.has) {
		return false
	}
	return AnyValue(values, key, match)
}

// Has returns what Has(values, key) returns.
func (k *ViewKey) Has(values []string, key string) bool {
	if !k.covers(values, key) || !k.v.whole {
		return Has(values, key)
	}
	return k.has
}

// Mentions returns what Mentions(values, key) returns.
func (k *ViewKey) Mentions(values []string, key string) bool {
	if !k.covers(values, key) {
		return Mentions(values, key)
	}
	return k.count > 0
}

// MentionedOnce returns what MentionedOnce(values, key) returns.
func (k *ViewKey) MentionedOnce(values []string, key string) bool {
	if !k.covers(values, key) {
		return MentionedOnce(values, key)
	}
	return k.count <= 1
}

// MayHoldKey returns what MayHoldKeys(values, key) returns.
func (k *ViewKey) MayHoldKey(values []string, key string) bool {
	if !k.covers(values, key) {
		return MayHoldKeys(values, key)
	}
	return k.count > 0 || k.v.hasEscapedKeys(values)
}

// HasEscapedKeys returns what HasEscapedKeys(values) returns.
func (k *ViewKey) HasEscapedKeys(values []string) bool {
	if !k.covers(values, k.key) {
		return HasEscapedKeys(values)
	}
	return k.v.hasEscapedKeys(values)
}

// hasEscapedKeys is HasEscapedKeys of the values searched, asked once per search.
func (x *View) hasEscapedKeys(values []string) bool {
	if x.esc == escUnknown {
		x.esc = escNo
		if HasEscapedKeys(values) {
			x.esc = escYes
		}
	}
	return x.esc == escYes
}
