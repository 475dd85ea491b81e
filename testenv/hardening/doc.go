// Package hardening holds the tests that attack laneway's compiled filters
// (dist/tenantroute.wasm, dist/shadowtag.wasm, dist/synthetic.wasm) in testenv,
// the Envoy-like host, rather than testing features. It has no code of its
// own; its tests prove four things:
//
//   - Spoofing (TestSpoofingMatrix): for every laneway marker (tenant, shadow,
//     synthetic) and every trust-boundary configuration of the filter that
//     owns it, what an outside client can and cannot make the filter forward.
//     Assertions look at the headers forwarded upstream and at local replies.
//     The table is written to testdata/spoofing-matrix.md (refresh it with
//     REFRESH_GOLDEN=true) and asserted, so the README can link it.
//   - Robustness (FuzzTenantrouteWasm, FuzzShadowtagWasm, FuzzSyntheticWasm,
//     TestNastyInputs): random header names, values and sizes, on both Envoy
//     profiles, never trap the VM, never panic, and never make a stripped
//     marker reappear. TestNastyInputs replays the worst cases (10,000 headers,
//     a 1 MiB value, 200 baggage headers) in every plain `go test` run.
//   - Memory (TestSoakMemoryStaysFlatOnEnvoy133): linear memory stays flat
//     across 250,000 requests per filter (and noop) after a warm-up that
//     lasts until memory has not grown for 50,000 requests (at least 50,000
//     requests), on the Envoy 1.33 profile (the one where a Go timer would be
//     fatal). LANEWAY_SOAK_REQUESTS=n runs n requests instead; `make soak`
//     (which CI runs after `make test`) runs 1,000,000, about 5-25 s per
//     filter on 2 cores.
//   - Concurrency (TestHammer...): one VM per filter plus two more of each,
//     in parallel goroutines with interleaved streams, each stream checked for
//     its own result; run it with -race.
//
// Every test loads the modules with testenvtest.DistModule: a missing module
// fails the test (run `make build`), it never skips.
package hardening
