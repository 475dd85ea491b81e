//go:build !laneway_glue

package valuebuf

// reuse is false natively: proxytest keeps the values it is handed.
const reuse = false
