// Package shadowtag keeps mirrored (shadow) traffic from changing real data.
//
// Envoy mirrors a request fire-and-forget and does not run the sender's
// filters on the copy, so everything happens on the receiving side:
//
//   - inbound (the shadow workload's inbound listener): detect a shadow copy
//     and mark it with `x-laneway-shadow: 1` plus the `laneway-shadow=1`
//     baggage member, so OpenTelemetry-instrumented apps carry the mark on.
//     Optionally strip Envoy's `-shadow` host suffix for apps that route on Host.
//   - outbound (any workload's outbound listener): a shadow request with a
//     mutating method to a destination that is not allow-listed is answered
//     locally or re-routed to a test double; reads pass.
//   - edge (ingress gateway): shadow markers from untrusted callers are removed.
//   - auto: inbound or outbound from the listener's direction.
//
// Detection signals: Envoy's `-shadow` host suffix in both historical forms
// (`svc-shadow:8080` since Envoy 1.6, `svc:8080-shadow` before), inbound only;
// a shadow-workload switch that treats every request through the workload as
// shadow (Istio >= 1.28 turns the suffix off by default and Envoy >= 1.31 can
// disable it); configured marker headers; and laneway's own
// `x-laneway-shadow` header or `laneway-shadow` baggage member.
//
// The decision logic ([Config.Decide]) is pure Go over the request's header
// pairs; filter.go wires it to proxy-wasm SDK v0.24.0.
package shadowtag
