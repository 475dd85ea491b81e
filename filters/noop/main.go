// Command noop is the baseline filter: it registers a VM context whose HTTP streams do nothing, so
// benchmarks can tell a filter's own cost from the cost of hosting any Go module. It also exports
// laneway_bench_entry, an empty function whose call cost is one "entry unit".
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

//laneway:callbacks request_headers response_headers

func main() {}

func init() { proxywasm.SetVMContext(&vmContext{}) }

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct{ types.DefaultPluginContext }

func (*pluginContext) NewHttpContext(uint32) types.HttpContext { return &types.DefaultHttpContext{} }

// benchEntry is the cheapest possible entry into Go: the unit per-request costs are reported in.
//
//go:wasmexport laneway_bench_entry
func benchEntry() {}
