// Package hostprop reads Envoy attributes (proxy_get_property) on the request path without allocating: a Path
// is serialized once, and in the Wasm build Read returns the value in memory that the next Read (of any Path)
// overwrites, so a caller uses or copies it at once. Natively (proxytest, the CLI) Read is the SDK's own
// GetProperty.
package hostprop
