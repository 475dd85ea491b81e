package testenv_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/testenv"
)

// module reads the built module name (examples run in testenv/); run `make build` first.
func module(name string) []byte {
	p := filters.ModulePath("..", name)
	b, err := os.ReadFile(p)
	if err != nil {
		panic(p + " is missing: run `make build`")
	}
	return b
}

// Drive one HTTP stream through a filter and read back what it did.
func Example() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)

	vm, err := rt.LoadVM(ctx, module("conformance"), testenv.VMOptions{
		Profile:      testenv.Envoy133,
		PluginConfig: []byte(`{}`),
	})
	if err != nil {
		panic(err)
	}
	s := vm.NewHTTPStream()
	action := s.RequestHeaders(testenv.RequestHeaders("GET", "example.com", "/",
		"x-conformance-case", "headers", "x-get", "hello"), true)
	s.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}}, true)
	s.Complete()

	got, _ := s.Request().Headers.Get("x-conformance-got")
	fmt.Println(action, got, vm.Err())
	// Output: Continue hello|ok <nil>
}

// Properties, metrics and local responses.
func ExampleVM_NewHTTPStream_localResponse() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)
	vm, _ := rt.LoadVM(ctx, module("conformance"), testenv.VMOptions{})

	s := vm.NewHTTPStream()
	s.RequestHeaders(testenv.RequestHeaders("GET", "a", "/", "x-conformance-case", "local-response"), true)
	lr := s.LocalResponse()
	requests, _ := vm.Metric("conformance_requests")
	fmt.Println(lr.StatusCode, string(lr.Body), requests.Value)
	// Output: 403 denied by conformance 1
}

// Answer the filter's proxy_http_call with a Go handler.
func ExampleVMOptions_httpCall() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)
	vm, _ := rt.LoadVM(ctx, module("conformance"), testenv.VMOptions{
		HTTPCallHandlers: map[string]testenv.HTTPCallHandler{
			"authz-cluster": func(r testenv.HTTPCallRequest) (testenv.HTTPCallResponse, error) {
				return testenv.HTTPCallResponse{Headers: testenv.Headers{{Key: ":status", Value: "200"}}, Body: []byte("allowed")}, nil
			},
		},
	})
	s := vm.NewHTTPStream()
	s.RequestHeaders(testenv.RequestHeaders("GET", "a", "/", "x-conformance-case", "http-call"), true)
	body, _ := s.Request().Headers.Get("x-conformance-call-body")
	fmt.Println(body, s.RequestPaused())
	// Output: allowed|ok false
}

// Host attributes are given by path with Envoy's value encodings.
func ExampleVMOptions_properties() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)
	vm, _ := rt.LoadVM(ctx, module("conformance"), testenv.VMOptions{
		Properties: map[string][]byte{
			"source.principal":       testenv.StringValue("spiffe://cluster.local/ns/a/sa/b"),
			"xds.listener_direction": testenv.IntValue(1), // inbound
		},
	})
	s := vm.NewHTTPStream()
	s.RequestHeaders(testenv.RequestHeaders("GET", "a", "/", "x-conformance-case", "properties"), true)
	p, _ := s.Request().Headers.Get("x-conformance-principal")
	d, _ := s.Request().Headers.Get("x-conformance-direction")
	fmt.Println(p, d)
	// Output: spiffe://cluster.local/ns/a/sa/b|ok 1
}

// The manual clock drives proxy_on_tick.
func ExampleVM_AdvanceClock() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)
	vm, _ := rt.LoadVM(ctx, module("conformance"), testenv.VMOptions{})
	vm.AdvanceClock(2500 * time.Millisecond) // the fixture ticks every second
	ticks, _ := vm.Metric("conformance_ticks")
	fmt.Println(vm.TickPeriod(), ticks.Value)
	// Output: 1s 2
}

// A trap fails the VM; every later stream gets Envoy's 503.
func ExampleVM_Err() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)
	vm, _ := rt.LoadVM(ctx, module("conformance"), testenv.VMOptions{})
	s := vm.NewHTTPStream()
	fmt.Println(s.RequestHeaders(testenv.RequestHeaders("GET", "a", "/", "x-conformance-case", "panic"), true))
	next := vm.NewHTTPStream()
	fmt.Println(next.RequestHeaders(testenv.RequestHeaders("GET", "a", "/"), true), next.LocalResponse().StatusCode, vm.Err() != nil)
	// Output:
	// Failed
	// Failed 503 true
}

// CallExport calls any export, e.g. the noop module's empty benchmark entry.
func ExampleVM_CallExport() {
	ctx := context.Background()
	rt, _ := testenv.NewRuntime(ctx, testenv.RuntimeOptions{})
	defer rt.Close(ctx)
	vm, _ := rt.LoadVM(ctx, module("noop"), testenv.VMOptions{Profile: testenv.Envoy139})
	_, err := vm.CallExport("laneway_bench_entry")
	fmt.Println(err, vm.MemorySize() > 0)
	// Output: <nil> true
}
