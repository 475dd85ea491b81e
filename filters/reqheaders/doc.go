// Package reqheaders reads an HTTP request's headers for filters that keep nothing from them past the
// callback. In the Wasm build Read allocates nothing in the steady state: the strings alias a buffer that the
// next Read overwrites, so a caller must copy (strings.Clone) any value it keeps after its callback returns.
// Values passed to the host (header edits, logs) need no copy: Envoy copies them during the call.
//
// The native half (proxytest, the CLI) returns the SDK's fresh pairs instead: proxytest keeps the very
// strings a filter hands it (it does not copy like Envoy), so reused storage would corrupt its state. A
// filter's Wasm-leg tests are therefore what hold it to the contract (interleaved streams whose values
// must not bleed into each other).
package reqheaders
