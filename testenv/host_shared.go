package testenv

// Shared data and shared queues, across the Runtime's VMs (see shared.go).

func hostGetSharedData(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	key := a.str()
	if a.bad {
		return stInvalidMemory
	}
	v, cas, found := vm.rt.shared.getData(vm.opts.VMID, key)
	if !found {
		return stNotFound
	}
	if st := vm.returnBytes(v, a.u32(), a.u32()); st != stOK {
		return st
	}
	return vm.writeU32(a.u32(), cas)
}

func hostSetSharedData(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	key, val := a.str(), a.bytes()
	if a.bad {
		return stInvalidMemory
	}
	return vm.rt.shared.setData(vm.opts.VMID, key, val, a.u32())
}

func hostRegisterSharedQueue(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	name := a.str()
	if a.bad {
		return stInvalidMemory
	}
	return vm.writeU32(a.u32(), vm.rt.shared.register(vm, name))
}

func hostResolveSharedQueue(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	vmID, name := a.str(), a.str()
	if a.bad {
		return stInvalidMemory
	}
	if vmID == "" {
		vmID = vm.opts.VMID
	}
	tok, found := vm.rt.shared.resolve(vmID, name)
	if !found {
		return stNotFound
	}
	return vm.writeU32(a.u32(), tok)
}

func hostEnqueueSharedQueue(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	tok, data := a.u32(), a.bytes()
	if a.bad {
		return stInvalidMemory
	}
	owner, found := vm.rt.shared.enqueue(tok, data)
	if !found {
		return stNotFound
	}
	if owner != nil {
		ev := func() { owner.queueReady(tok) }
		if owner == vm {
			vm.post(ev)
		} else {
			owner.postRemote(ev)
		}
	}
	return stOK
}

func hostDequeueSharedQueue(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	data, st := vm.rt.shared.dequeue(a.u32())
	if st != stOK {
		return st
	}
	return vm.returnBytes(data, a.u32(), a.u32())
}

// queueReady delivers proxy_on_queue_ready for the queue tok to the root context.
func (vm *VM) queueReady(tok uint32) {
	if vm.fn.queueReady == nil {
		return
	}
	_, _ = vm.call(vm.root, vm.fn.queueReady, uint64(vm.root.id), uint64(tok))
}
