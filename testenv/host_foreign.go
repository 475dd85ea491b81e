package testenv

// Foreign functions (Envoy's clear_route_cache) and the imports Envoy provides outside the proxy-wasm ABI.

func hostCallForeignFunction(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	name := a.str()
	if a.bad {
		return stInvalidMemory
	}
	switch name {
	case "clear_route_cache":
		if c := vm.effective; c != nil && c.http != nil {
			c.http.routeClears++
		} else {
			vm.routeClears++
		}
		return stOK
	default:
		return stNotFound
	}
}

// hostResolveDNS answers BAD_ARGUMENT: DNS resolution is not modelled.
func hostResolveDNS(*VM, []uint64) uint32 { return stBadArgument }

// hostPthreadEqual returns 1 when its two thread handles are equal, else 0.
func hostPthreadEqual(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	return uint32(boolU64(a.u64() == a.u64()))
}

// hostNotifyMemoryGrowth does nothing (and returns nothing).
func hostNotifyMemoryGrowth(*VM, []uint64) uint32 { return 0 }
