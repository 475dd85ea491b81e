package testenv

import "time"

// Timing: the tick period and the wall clock. The clocks advance with real time plus the time tests add
// (vm.manual).

func hostSetTickPeriod(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	vm.tickPeriod = time.Duration(a.u32()) * time.Millisecond
	vm.nextTick = vm.manual + vm.tickPeriod
	return stOK
}

func hostGetCurrentTime(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	if !vm.mem.WriteUint64Le(a.u32(), uint64(vm.wallNow())) {
		return stInvalidMemory
	}
	return stOK
}

func (vm *VM) wallNow() int64 {
	return vm.startWall.UnixNano() + int64(time.Since(vm.startMono)) + int64(vm.manual)
}

func (vm *VM) monoNow() int64 {
	return int64(time.Since(vm.startMono)) + int64(vm.manual) + 1
}
