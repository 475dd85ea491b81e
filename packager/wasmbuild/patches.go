package wasmbuild

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// Size budget (issue #8): every shipped module should stay at most SizeBudget bytes. The Go runtime alone is
// about 2.2 MB, so dependencies that drag in large packages matter. The Wasm build therefore patches two
// dependencies, in private copies under .build/ (both are MIT-licensed; the copies keep their LICENSE files):
//
//   - github.com/tidwall/gjson registers its stock path modifiers (@pretty, @ugly, @reverse, ...) in a map
//     built in init(), which keeps all of them, and through @pretty/@ugly the pretty package, linked into
//     every module. The build sets gjson's documented link-time switch disableModifiers=true (LDFlags), under
//     which gjson parses '@' path components as plain keys and never consults that map, and the patch leaves
//     the map empty so the linker can drop the modifiers. laneway's config parsers use only ForEach and
//     literal field names, never modifier paths. Saves about 0.6-0.8 MB per module.
//   - github.com/tidwall/pretty imports encoding/json (with reflect-based decoding) only to unquote a JSON
//     string when sorting keys; its package init keeps part of encoding/json even when pretty is unused.
//     The patch swaps that one json.Unmarshal call for jsonunquote's decoder, which is tested to decode
//     exactly like encoding/json. Saves about 21 kB per module.
//
// fmt is kept out of the modules: its printing code, with the reflect and internal/fmtsort code only it reaches,
// is about 0.3 MB of a module. Filter code therefore builds its log lines and messages with strconv and
// string concatenation (never fmt, never the SDK's Log*f helpers), and the SDK copy's counter panics are
// patched to do the same (the SDK entry below).
//
// A third patch is about per-request cost, not size: it makes the SDK's host calls static (see the SDK entry).
//
// Filter code is held to the same budget: synthetic's token MAC is HMAC over x/crypto/blake2s because
// crypto/sha256 would link Go's FIPS 140 module (about 0.17 MB in that module; see RATIONALE.md).

// SizeBudget is the largest size, in bytes, a shipped filter module should have (3 MiB).
const SizeBudget = 3 << 20

// CombinedSizeBudget is the budget of the combined laneway module, which links all three filters (3.5 MiB):
// what it saves is the Go runtime and the shared packages twice over, so it is held, too, to at most
// CombinedSizeShare of the three separate modules' sum (TestModulesFitTheSizeBudget).
const CombinedSizeBudget = 3<<20 + 512<<10

// CombinedSizeShare is the largest share of the sum of the separate tenantroute, shadowtag and synthetic
// modules the combined module may take.
const CombinedSizeShare = 0.45

// ModuleSizeBudget returns the size budget of the module name: CombinedSizeBudget for the combined laneway
// module, SizeBudget for every other.
func ModuleSizeBudget(name string) int {
	if name == "laneway" {
		return CombinedSizeBudget
	}
	return SizeBudget
}

// LDFlags are the linker flags of every module build: no symbol table or DWARF, and gjson's modifiers off.
const LDFlags = "-s -w -X github.com/tidwall/gjson.disableModifiers=true"

//go:embed jsonunquote/unquote.go
var jsonUnquoteSource []byte

// patch is one textual edit of a dependency's copy; Old must occur exactly once, so a dependency upgrade
// that moves the code fails the build loudly instead of silently growing the modules.
type patch struct {
	File     string
	Old, New string
}

// dependencyPatch edits one dependency's copy for the Wasm build.
type dependencyPatch struct {
	Module  string
	Edits   []patch
	AddFile string // name of a file to add to the package, "" for none
	Add     []byte
}

var dependencyPatches = []dependencyPatch{
	{
		Module: "github.com/tidwall/gjson",
		Edits: []patch{{
			File: "gjson.go",
			Old: `	stockModifiers = map[string]func(json, arg string) string{
		"pretty":  modPretty,
		"ugly":    modUgly,
		"reverse": modReverse,
		"this":    modThis,
		"flatten": modFlatten,
		"join":    modJoin,
		"valid":   modValid,
		"keys":    modKeys,
		"values":  modValues,
		"tostr":   modToStr,
		"fromstr": modFromStr,
		"group":   modGroup,
		"dig":     modDig,
	}
`,
			New: `	// laneway Wasm build: modifiers are disabled (-X disableModifiers=true); an empty map lets the linker
	// drop them and the pretty package. See github.com/laneway/laneway/packager/wasmbuild.
	stockModifiers = map[string]func(json, arg string) string{}
`,
		}},
	},
	{
		Module: "github.com/tidwall/pretty",
		Edits: []patch{
			{File: "pretty.go", Old: "\t\"encoding/json\"\n", New: ""},
			{
				File: "pretty.go",
				Old:  "\t\t\tjson.Unmarshal(s, &str)\n",
				New: "\t\t\t// laneway Wasm build: decodes like json.Unmarshal without linking encoding/json.\n" +
					"\t\t\tstr = unquoteJSONString(s)\n",
			},
		},
		AddFile: "laneway_unquote.go",
		Add:     bytes.Replace(jsonUnquoteSource, []byte("\npackage jsonunquote\n"), []byte("\npackage pretty\n"), 1),
	},
	{
		// Per-request cost, not size: the SDK reaches the host through an interface variable (currentHost) so
		// that proxytest can swap in its emulator. Through an interface, Go's escape analysis cannot see what
		// the callee does with a pointer, so every out-parameter the SDK passes (getMap's data/size,
		// CallForeignFunction's result, ...) is moved to the heap: two allocations per host call that returns
		// bytes. In the Wasm build the host is always the glue's abiHost, so the copy declares the variable
		// with that concrete type: the calls become static and those out-parameters stay on the stack.
		// proxytest is never linked into a module, so nothing registers another host there.
		Module: SDKModule,
		Edits: []patch{
			{
				File: "proxywasm/internal/abi_hostcalls_mock.go",
				Old:  "\tcurrentHost ProxyWasmHost\n",
				New:  "\t// laneway Wasm build: the ABI glue's host, statically typed (see packager/wasmbuild).\n\tcurrentHost abiHost\n",
			},
			{
				File: "proxywasm/internal/abi_hostcalls_mock.go",
				Old:  "\tcurrentHost = host\n",
				New:  "\tcurrentHost = host.(abiHost) // laneway Wasm build: only the ABI glue's host exists here.\n",
			},
			// The SDK formats and sends every trace/debug line, whatever Envoy's level; Envoy then drops it.
			// Asking the host's level first (ABI 0.2.1 proxy_get_log_level, one call that does not re-enter
			// Go) skips the formatting, which costs microseconds in Wasm, when nobody will read the line.
			// Header maps sent to the host are serialized into one reused buffer instead of a fresh one per
			// call, where the host copies them during the call and does not call back into Go meanwhile.
			// DispatchHttpCall keeps the SDK's own (it serializes two maps for one call).
			{
				File: "proxywasm/hostcall.go",
				Old:  "gRPCStatus int32) error {\n\tshs := internal.SerializeMap(headers)\n",
				New:  "gRPCStatus int32) error {\n\tshs := internal.SerializeMapReused(headers) // laneway Wasm build\n",
			},
			{
				File: "proxywasm/hostcall.go",
				Old:  "func setMap(mapType internal.MapType, headers [][2]string) error {\n\tshs := internal.SerializeMap(headers)\n",
				New:  "func setMap(mapType internal.MapType, headers [][2]string) error {\n\tshs := internal.SerializeMapReused(headers) // laneway Wasm build\n",
			},
			// Once Envoy deleted a stream the SDK drops its HTTP context; a filter that registered a hook
			// (proxyhost.OnHTTPContextDeleted, as synthetic does) gets the context back to hand to the next
			// stream instead of allocating one per stream. Nothing references the context after this point.
			// Filters without a hook pay one nil check per stream.
			{
				File: "proxywasm/internal/abi_callback_lifecycle.go",
				Old:  "\t} else if _, ok = currentState.httpContexts[contextID]; ok {\n\t\tdelete(currentState.httpContexts, contextID)\n",
				New: "\t} else if hc, found := currentState.httpContexts[contextID]; found {\n\t\tdelete(currentState.httpContexts, contextID)\n" +
					"\t\tif httpContextDeleted != nil { // laneway Wasm build\n\t\t\thttpContextDeleted(hc)\n\t\t}\n",
			},
			// The glue keeps live HTTP streams in its own table (filters/internal/abiglue/streams.go: the SDK's
			// per-stream map operations were most of the no-op stream's cost in Go), with each stream's root id;
			// the two places that read a stream's root from contextIDToRootID ask the glue instead.
			{
				File: "proxywasm/internal/vmstate.go",
				Old:  "\tr := s.pluginContexts[s.contextIDToRootID[s.activeContextID]]\n",
				New:  "\tr := s.pluginContexts[contextRoot(s.activeContextID)] // laneway Wasm build\n",
			},
			{
				File: "proxywasm/internal/abi_callback_l7.go",
				Old:  "\tif _, ok := currentState.contextIDToRootID[ctxID]; ok {\n",
				New:  "\tif _, ok := contextRootID(ctxID); ok { // laneway Wasm build\n",
			},
			// Size, not cost: fmt.Sprintf in the counter's panic messages is the only use of fmt left in a module
			// whose filter code logs without the SDK's Log*f helpers; with it gone the linker drops fmt's
			// printing code and the reflect and internal/fmtsort code only it reaches (about 0.3 MB). The
			// messages are the same text, built with strconv.
			{File: "proxywasm/hostcall.go", Old: "\t\"math\"\n", New: "\t\"math\"\n\t\"strconv\" // laneway Wasm build\n"},
			{
				File: "proxywasm/hostcall.go",
				Old:  "\t\tpanic(fmt.Sprintf(\"define metric of name %s: %v\", name, internal.StatusToError(st)))\n",
				New:  "\t\tpanic(\"define metric of name \" + name + \": \" + err.Error()) // laneway Wasm build\n",
			},
			{
				File: "proxywasm/hostcall.go",
				Old:  "\t\tpanic(fmt.Sprintf(\"increment %d by %d: %v\", uint32(m), offset, err))\n",
				New:  "\t\tpanic(\"increment \" + strconv.FormatUint(uint64(m), 10) + \" by \" + strconv.FormatUint(offset, 10) + \": \" + err.Error()) // laneway Wasm build\n",
			},
			logGate("LogTrace(msg string) {\n", "LogLevelTrace"),
			logGate("LogTracef(format string, args ...interface{}) {\n", "LogLevelTrace"),
			logGate("LogDebug(msg string) {\n", "LogLevelDebug"),
			logGate("LogDebugf(format string, args ...interface{}) {\n", "LogLevelDebug"),
		},
		// The functions filter code reaches through filters/proxyhost are real files of the glue, copied like
		// the rest of it (see addGlue and filters/internal/abiglue/proxywasm).
	},
}

// logGate makes the SDK function whose signature starts with sig return early when the host drops level.
func logGate(sig, level string) patch {
	return patch{
		File: "proxywasm/hostcall.go",
		Old:  "\nfunc " + sig,
		New:  "\nfunc " + sig + "\tif !internal.LogLevelEnabled(internal." + level + ") { // laneway Wasm build\n\t\treturn\n\t}\n",
	}
}

// apply edits the module copy in dir.
func (d dependencyPatch) apply(dir string) error {
	for _, e := range d.Edits {
		p := filepath.Join(dir, e.File)
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("size patch for %s: %w", d.Module, err)
		}
		if n := bytes.Count(b, []byte(e.Old)); n != 1 {
			return fmt.Errorf("size patch for %s: expected the text %q exactly once in %s, found it %d times: "+
				"the version in go.mod changed; update packager/wasmbuild/patches.go", d.Module, e.Old, e.File, n)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(e.Old), []byte(e.New), 1), 0o644); err != nil {
			return err
		}
	}
	if d.AddFile != "" {
		return os.WriteFile(filepath.Join(dir, d.AddFile), d.Add, 0o644)
	}
	return nil
}
