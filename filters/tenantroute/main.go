// Command tenantroute is the tenantroute filter's Wasm module: it only registers the VM context; the logic lives in
// package github.com/laneway/laneway/tenantroute, which also compiles natively so the CLI validates plugin config
// with the same code.
package main

import (
	"github.com/laneway/laneway/tenantroute"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// Envoy calls only the callbacks a module exports; each entry into Go costs ~2 µs, so export no more.
//
//laneway:callbacks request_headers

func main() {}

// init runs inside _initialize, where Envoy forbids host calls: register the context, nothing else.
func init() { proxywasm.SetVMContext(tenantroute.NewVMContext()) }
