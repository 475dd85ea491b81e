package testenv

import "slices"

// Header maps: the request's and response's headers and trailers, and an HTTP call's response.

// Map types.
const (
	mapRequestHeaders       = 0
	mapRequestTrailers      = 1
	mapResponseHeaders      = 2
	mapResponseTrailers     = 3
	mapHTTPCallRespHeaders  = 6
	mapHTTPCallRespTrailers = 7
)

// headerMap returns the map of the given type in the effective context.
func (vm *VM) headerMap(t uint32) (*Headers, uint32) {
	switch t {
	case mapRequestHeaders, mapRequestTrailers, mapResponseHeaders, mapResponseTrailers:
		c := vm.effective
		if c == nil || c.http == nil {
			return nil, stBadArgument
		}
		s := c.http
		var h *Headers
		var have bool
		switch t {
		case mapRequestHeaders:
			h, have = &s.req.headers, s.req.haveHeaders
		case mapRequestTrailers:
			h, have = &s.req.trailers, s.req.haveTrailers
		case mapResponseHeaders:
			h, have = &s.resp.headers, s.resp.haveHeaders
		case mapResponseTrailers:
			h, have = &s.resp.trailers, s.resp.haveTrailers
		}
		if !have {
			if c.inLog {
				return nil, stNotFound
			}
			return nil, stBadArgument
		}
		return h, stOK
	case mapHTTPCallRespHeaders:
		if vm.httpResp == nil {
			return nil, stBadArgument
		}
		return &vm.httpResp.Headers, stOK
	case mapHTTPCallRespTrailers:
		if vm.httpResp == nil {
			return nil, stBadArgument
		}
		return &vm.httpResp.Trailers, stOK
	}
	return nil, stBadArgument
}

// mutated records a request-header change: Envoy clears the route cache for ABI <= 0.2.1.
func (vm *VM) mutated(t uint32) {
	if t == mapRequestHeaders && vm.effective != nil && vm.effective.http != nil {
		vm.effective.http.autoRouteClears++
	}
}

// headerArgs reads the params every single-header host call starts with: the map type and its map, the
// key (lower-cased, as Envoy stores names) and, when withValue, the value; a is left at the next param.
func (vm *VM) headerArgs(a *args, withValue bool) (t uint32, h *Headers, key, val string, st uint32) {
	t = a.u32()
	if h, st = vm.headerMap(t); st != stOK {
		return t, nil, "", "", st
	}
	if key = a.str(); withValue {
		val = a.str()
	}
	if a.bad {
		return t, nil, "", "", stInvalidMemory
	}
	return t, h, lower(key), val, stOK
}

func hostGetHeaderMapValue(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	_, h, key, _, st := vm.headerArgs(&a, false)
	if st != stOK {
		return st
	}
	for _, kv := range *h {
		if kv.Key == key {
			return vm.returnString(kv.Value, a.u32(), a.u32())
		}
	}
	return stNotFound
}

func hostAddHeaderMapValue(vm *VM, s []uint64) uint32 { return vm.editHeaderMap(s, true, addHeader) }

func hostReplaceHeaderMapValue(vm *VM, s []uint64) uint32 {
	return vm.editHeaderMap(s, true, replaceHeader)
}

func hostRemoveHeaderMapValue(vm *VM, s []uint64) uint32 {
	return vm.editHeaderMap(s, false, removeHeader)
}

// editHeaderMap applies edit to the map and key (and value, when withValue) that a single-header edit's
// params name, and records the change.
func (vm *VM) editHeaderMap(s []uint64, withValue bool, edit func(h *Headers, key, val string)) uint32 {
	a := vm.args(s)
	t, h, key, val, st := vm.headerArgs(&a, withValue)
	if st != stOK {
		return st
	}
	edit(h, key, val)
	vm.mutated(t)
	return stOK
}

func addHeader(h *Headers, key, val string) { *h = append(*h, Header{key, val}) }

// replaceHeader puts the value in place of the key's first entry and drops the others, or appends it when
// the key is absent.
func replaceHeader(h *Headers, key, val string) {
	out := (*h)[:0]
	replaced := false
	for _, kv := range *h {
		if kv.Key == key {
			if !replaced {
				out = append(out, Header{key, val})
				replaced = true
			}
			continue
		}
		out = append(out, kv)
	}
	if !replaced {
		out = append(out, Header{key, val})
	}
	*h = out
}

func removeHeader(h *Headers, key, _ string) {
	*h = slices.DeleteFunc(*h, func(kv Header) bool { return kv.Key == key })
}

func hostGetHeaderMapPairs(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	h, st := vm.headerMap(a.u32())
	if st != stOK {
		return st
	}
	return vm.returnPairs(*h, a.u32(), a.u32())
}

func hostSetHeaderMapPairs(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	t := a.u32()
	h, st := vm.headerMap(t)
	if st != stOK {
		return st
	}
	pairs := a.pairs()
	if a.bad {
		return stInvalidMemory
	}
	out := make(Headers, 0, len(pairs))
	for _, kv := range pairs {
		out = append(out, Header{lower(kv.Key), kv.Value})
	}
	*h = out
	vm.mutated(t)
	return stOK
}

func hostGetHeaderMapSize(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	h, st := vm.headerMap(a.u32())
	if st != stOK {
		return st
	}
	n := 0
	for _, kv := range *h {
		n += len(kv.Key) + len(kv.Value)
	}
	return vm.writeU32(a.u32(), uint32(n))
}
