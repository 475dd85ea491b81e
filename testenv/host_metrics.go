package testenv

// Metrics: counters, gauges and histograms, shared by the Runtime's VMs (see shared.go).

func hostDefineMetric(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	t := a.u32()
	if t > uint32(MetricHistogram) {
		return stBadArgument
	}
	name := a.str()
	if a.bad {
		return stInvalidMemory
	}
	m := vm.rt.shared.defineMetric(name, MetricType(t))
	id := vm.nextMetric[t]
	vm.nextMetric[t] += 4
	vm.metricIDs[id] = m
	return vm.writeU32(a.u32(), id)
}

func hostIncrementMetric(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	m := vm.metricArg(&a)
	if m == nil {
		return stNotFound
	}
	delta := int64(a.u64())
	switch m.typ {
	case MetricCounter:
		if delta <= 0 {
			return stBadArgument
		}
		vm.rt.shared.updateMetric(func() { m.value += delta })
	case MetricGauge:
		vm.rt.shared.updateMetric(func() { m.value += delta })
	default:
		return stBadArgument
	}
	return stOK
}

func hostRecordMetric(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	m := vm.metricArg(&a)
	if m == nil {
		return stNotFound
	}
	v := a.u64()
	vm.rt.shared.updateMetric(func() {
		switch m.typ {
		case MetricCounter:
			m.value += int64(v)
		case MetricGauge:
			m.value = int64(v)
		case MetricHistogram:
			m.samples = append(m.samples, v)
		}
	})
	return stOK
}

func hostGetMetric(vm *VM, s []uint64) uint32 {
	a := vm.args(s)
	m := vm.metricArg(&a)
	if m == nil {
		return stNotFound
	}
	if m.typ == MetricHistogram {
		return stBadArgument
	}
	var v int64
	vm.rt.shared.updateMetric(func() { v = m.value })
	if !vm.mem.WriteUint64Le(a.u32(), uint64(v)) {
		return stInvalidMemory
	}
	return stOK
}

// metricArg reads a metric id param: the VM's metric with that id, or nil.
func (vm *VM) metricArg(a *args) *metric { return vm.metricIDs[a.u32()] }
