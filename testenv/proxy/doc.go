// Package proxy is laneway's local mesh: an HTTP proxy on loopback that behaves like an Envoy
// sidecar for the parts laneway relies on.
//
// A Proxy serves one or more listeners. Each listener runs a chain of proxy-wasm filters (the
// real .wasm modules, hosted by package testenv) in Envoy's order: request callbacks in config
// order, response callbacks in reverse; a local reply stops the chain. After the filters ran,
// the listener picks the first route whose Istio-style match holds (header, uri and authority
// string matches; a route without match is the default) and forwards the request to that
// route's upstream. A route may mirror requests the way Envoy does: a buffered copy goes to a
// shadow upstream with "-shadow" appended to the host name, fire and forget, never slowing or
// failing the live request.
//
// Like Envoy, the proxy has N workers; each worker owns one VM per filter of every listener and
// reuses it across requests. A stream is bound to one worker; the worker is locked only while
// the stream's callbacks run, so streams interleave on a VM as they do on an Envoy worker.
//
// A listener may set host attributes every filter VM on it reads (properties), for example
// connection.uri_san_peer_certificate to model the mTLS peer identity all its connections
// present, since a plain HTTP client cannot. Metrics the filters define are read with
// Proxy.Metric and Proxy.Counter; as in Envoy's stats store they are keyed by name only.
//
// Every request yields a Decision (listener, tenant header after the filters, route, upstream,
// status, shadow/synthetic markers, local reply, mirrors), logged with log/slog and handed to
// an optional callback.
//
// The configuration is a YAML file; see Config and Parse.
package proxy
