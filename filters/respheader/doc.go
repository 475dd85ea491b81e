// Package respheader reads one response header value. In the Wasm build Get allocates nothing in the steady
// state: the string aliases memory the next Get overwrites, so a caller must copy (strings.Clone) a value it
// keeps past its callback. Natively (proxytest) it is the SDK's read, which returns fresh strings.
package respheader
