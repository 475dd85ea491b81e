package testenv

// Logging: proxy_log and proxy_get_log_level (ABI 0.2.1).

func hostLog(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	level, msg := LogLevel(a.u32()), a.str()
	if a.bad {
		return stInvalidMemory
	}
	vm.logf(level, msg)
	return stOK
}

func hostGetLogLevel(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	return vm.writeU32(a.u32(), uint32(vm.opts.LogLevel))
}
