// Command laneway is the combined laneway module: synthetic, shadowtag and tenantroute in one WasmPlugin,
// each configured under its own key ({"tenantroute":{...},"shadowtag":{...},"synthetic":{...}}). It only
// registers the VM context; the logic lives in package github.com/laneway/laneway/filters/combined.
package main

import (
	"github.com/laneway/laneway/filters/combined"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// request_headers is the filter; request_body and request_trailers serve shadowtag's JSON body redaction of
// shadow copies and response_headers synthetic's acknowledgement check; each returns at once on other
// streams. Each entry into Go costs ~2 µs, so export no more.
//
//laneway:callbacks request_headers request_body request_trailers response_headers

func main() {}

// init runs inside _initialize, where Envoy forbids host calls: register the context, nothing else.
func init() { proxywasm.SetVMContext(combined.NewVMContext()) }
