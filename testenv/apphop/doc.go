// Package apphop is the application hop of laneway's tests: what an OpenTelemetry-instrumented app
// between two sidecars forwards on its next call, for each propagator family apps use.
//
// A sidecar after an app never sees what the client sent, only what the app's propagators
// re-injected: they decode keys and values, drop what they cannot parse and re-encode the rest,
// each family its own way. A trust boundary holds only if no family turns what the boundary
// forwarded into a protected key. The families:
//
//   - Go ([Go]): the real propagators of go.opentelemetry.io/otel (otelhttp's setup).
//   - JS ([StartJS]): a real Node app (js/server.mjs) that extracts with @opentelemetry/core's
//     W3CTraceContextPropagator and W3CBaggagePropagator from the incoming request, as
//     @opentelemetry/instrumentation-http does, and injects the result on its next call. Node
//     and the npm packages (pinned in js/package-lock.json) must be installed: `make tools`
//     runs `npm ci` there. Tests fail, never skip, when they are missing.
//   - Python: laneway's one model of opentelemetry-python's W3CBaggagePropagator and
//     TraceContextTextMapPropagator (unquote_plus(key).strip() and the rest), under WSGI and ASGI
//     servers, is appread.PythonForward in filters/baggage/appread (it sits there so that the
//     filters' own tests can use it without importing testenv).
//
// Each returns the propagation headers (baggage, traceparent, tracestate) the app injects; the
// JS app also really sends them, with the incoming method and path, to a next hop set by the test.
// The pure-Go model of the JS reader (appread.JS, for fuzz and filter unit tests) is checked here
// against the real app, key by key (TestJSModelMatchesTheRealJSApp).
package apphop
