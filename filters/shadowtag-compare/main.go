// Command shadowtag-compare is shadowtag's Wasm module with compare captures and the redaction of shadow
// copies' JSON bodies: the same package github.com/laneway/laneway/shadowtag, built with the response and
// body callbacks exported. Those callbacks are what a capture needs (Envoy calls only exported callbacks, and
// calls them on every stream), so they live in a module of their own: workloads that do not compare keep
// the plain shadowtag module and pay nothing for them.
package main

import (
	"github.com/laneway/laneway/shadowtag"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// request_headers is the filter; the body, trailer and response callbacks serve compare captures and body
// redaction and return at once on other streams (their cost: shadowtag's BenchmarkCompareCost); tick and
// http_call_response run on the root context only (compare's batches), never per stream. proxy_on_log is
// not exported: a capture ends with its response.
//
//laneway:callbacks request_headers request_body request_trailers response_headers response_body response_trailers tick http_call_response

func main() {}

// init runs inside _initialize, where Envoy forbids host calls: register the context, nothing else.
func init() { proxywasm.SetVMContext(shadowtag.NewVMContext()) }
