// Package testenv is an Envoy-like proxy-wasm host for testing laneway's filters.
//
// It runs a compiled filter module (.wasm) on wazero the way Envoy's proxy-wasm host
// does: one module instance per VM, linked only against the imports the chosen Envoy
// generation provides (see package testenv/envoyabi), started with `_initialize`, the
// root context, proxy_on_vm_start (VM config) and proxy_on_configure (plugin config).
// Host functions reproduce Envoy's status codes, encodings and side effects; the WASI
// surface is Envoy's per generation (Profile), including Envoy 1.33–1.38's
// poll_oneoff that answers NOSYS.
//
// A test drives HTTP streams (request/response headers, body chunks, trailers, then
// Complete, which runs proxy_on_log, proxy_on_done and proxy_on_delete in Envoy's
// order) and TCP streams, and reads back what the filter did: the action returned by
// each callback, the headers and body that would be forwarded, a local response, logs
// by level, metric values by name, route-cache clears, outgoing HTTP calls.
//
// Typical use:
//
//	rt, err := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
//	vm, err := rt.LoadVMFile(ctx, "dist/tenantroute.wasm", testenv.VMOptions{
//		Profile:      testenv.Envoy133,
//		PluginConfig: []byte(`{}`),
//	})
//	s := vm.NewHTTPStream()
//	action := s.RequestHeaders(testenv.RequestHeaders("GET", "example.com", "/"), true)
//	s.ResponseHeaders(testenv.Headers{{":status", "200"}}, true)
//	s.Complete()
//	err = vm.Err() // non-nil once the module trapped (Envoy would answer 503)
//
// # Concurrency
//
// A Runtime is safe for concurrent use. A VM is one Envoy worker thread: it is NOT safe
// for concurrent use, but many streams may be open on it at once and interleave. Several
// VMs may run in parallel goroutines; they share the Runtime's shared-data store,
// shared queues and metrics (keyed by vm_id / name), like Envoy workers do.
//
// # Failures
//
// A trap or Go panic inside any callback puts the VM in a failed state, as Envoy does:
// vm.Err() reports the cause, the current and every later stream gets ActionFailed and
// a 503 local response, and vm.CallExport returns the error.
package testenv
