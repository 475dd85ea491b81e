package testenv

import "strings"

// Properties: proxy_get_property (Envoy attributes, see properties.go) and proxy_set_property (filter state).

func hostGetProperty(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	path := a.str()
	if a.bad {
		return stInvalidMemory
	}
	v, found := vm.property(strings.TrimSuffix(path, "\x00"))
	if !found {
		return stNotFound
	}
	return vm.returnBytes(v, a.u32(), a.u32())
}

func hostSetProperty(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	path, val := a.str(), a.bytes()
	if a.bad {
		return stInvalidMemory
	}
	c := vm.effective
	if c == nil || (c.http == nil && c.tcp == nil) {
		return stNotFound
	}
	if c.filterState == nil {
		c.filterState = map[string][]byte{}
	}
	c.filterState[strings.TrimSuffix(path, "\x00")] = val
	return stOK
}
