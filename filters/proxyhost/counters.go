package proxyhost

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

// CounterName returns the metric name of outcome under prefix: prefix + outcome + "_total", such as
// laneway_tenantroute_routed_total for the prefix "laneway_tenantroute_".
func CounterName(prefix, outcome string) string { return prefix + outcome + "_total" }

// Counters are a filter's outcome counters, indexed like the names they were defined with.
type Counters struct{ m []proxywasm.MetricCounter }

// DefineCounters defines one counter per name, called CounterName(prefix, name). Call it from OnPluginStart
// (the host defines metrics only once a plugin runs), never from init.
func DefineCounters(prefix string, names []string) Counters {
	c := Counters{m: make([]proxywasm.MetricCounter, len(names))}
	for i, n := range names {
		c.m[i] = proxywasm.DefineCounterMetric(CounterName(prefix, n))
	}
	return c
}

// Defined reports whether DefineCounters made c (the zero Counters counts nothing).
func (c *Counters) Defined() bool { return c.m != nil }
