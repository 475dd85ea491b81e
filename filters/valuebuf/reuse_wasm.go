//go:build laneway_glue

package valuebuf

// reuse is true in the Wasm build, where the host copies every value it is handed.
const reuse = true
