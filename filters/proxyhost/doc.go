// Package proxyhost is the one layer between laneway's filters and the proxy-wasm host: request and
// response headers (read, edit, write), Envoy properties, memory for values handed to the host, the
// debug-log level, stream-context reuse, Envoy's route cache, counters and start-up reads. Logging a
// filter takes from the SDK's proxywasm package.
//
// # The filter skeleton
//
// Every filter decides purely (Decide: header pairs in, a Verdict out: ordered Edits, Reroute, an optional
// local Reply) and lets one Writer carry the Verdict out (Writer.Apply: single host calls for up to
// MaxEditCalls edits, otherwise one whole-map write of AppendEdited's result when Envoy decodes it; at most
// one clear_route_cache; the reply). AppendEdited is the one emulator of how Envoy applies edits, for tests
// and for a module that runs several roles over one header snapshot. Counters (DefineCounters, Inc) name
// metrics laneway_<filter>_<outcome>_total; ReadPluginConfig and ListenerDirection are the start-up reads.
// Tests replace the one foreign call every filter makes with SwapForeignCall.
//
// # Aliasing contract
//
// In the Wasm build the reads allocate nothing in the steady state: RequestHeaders, ResponseHeader and
// Property.Read return strings and bytes that alias memory the next read of the same kind overwrites, and
// Buf hands out memory that the next Start reuses. A caller must therefore
//
//   - use such a value before its callback returns, and copy (strings.Clone) whatever it keeps longer;
//   - finish one value built in a Buf (hand it to the host) before it starts the next in the same Buf.
//
// Values passed to the host (header edits, local replies, logs) need no copy: Envoy copies them during the
// host call that takes them, and nothing refers to them once the call returns.
//
// Natively (proxytest, the CLI) the reads are the SDK's own and every value gets fresh memory, because
// proxytest keeps the very strings and slices a filter hands it instead of copying them as Envoy does:
// reused memory would corrupt its state. The Wasm-leg tests of each filter are therefore what hold it to
// the contract (interleaved streams whose values must not bleed into each other).
//
// # Binding
//
// host_wasm.go (build tag laneway_glue, set by packager/wasmbuild) binds the reads to functions the Wasm
// build adds to its copy of the SDK (filters/internal/abiglue/proxywasm); host_native.go binds them to the
// SDK's public API. The rest of the package is the same in both builds.
package proxyhost
