// Package envoyabi lists what Envoy's proxy-wasm host links for a module, per Envoy
// generation: the WASI functions, the proxy-wasm ABI 0.2.x imports with their wasm
// signatures, the ABI marker exports, the callback export signatures, and the imports
// allowed inside the restricted phases (_initialize and proxy_on_memory_allocate).
//
// It has no dependencies so that both the test host (testenv) and the CLI's
// `laneway inspect` can check a module against each generation.
package envoyabi

import (
	"fmt"
	"sort"
	"strings"
)

// Generation is an Envoy release range with one WASI surface.
type Generation int

const (
	// Envoy133 is Envoy 1.33–1.38 (proxy-wasm-cpp-host c4d7bb0..beb8a4e): 18 WASI
	// functions, poll_oneoff answers NOSYS(52).
	Envoy133 Generation = iota + 1
	// Envoy139 is Envoy >= 1.39 (proxy-wasm-cpp-host >= 94091cd): 45 WASI functions,
	// poll_oneoff writes nevents=0 and returns 0.
	Envoy139
)

// Generations lists every modelled generation, oldest first.
var Generations = []Generation{Envoy133, Envoy139}

// String names the generation as a release range.
func (g Generation) String() string {
	switch g {
	case Envoy133:
		return "envoy-1.33-1.38"
	case Envoy139:
		return "envoy-1.39+"
	}
	return fmt.Sprintf("envoy-generation(%d)", int(g))
}

// ValueType is a wasm value type, encoded as in the binary format.
type ValueType byte

// Wasm value types used by the ABI.
const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
)

// String returns "i32" or "i64".
func (v ValueType) String() string {
	switch v {
	case I32:
		return "i32"
	case I64:
		return "i64"
	}
	return fmt.Sprintf("type(0x%x)", byte(v))
}

// Signature is a wasm function type.
type Signature struct {
	Params  []ValueType
	Results []ValueType
}

// String renders the signature as "(i32,i64)->i32".
func (s Signature) String() string {
	p := make([]string, len(s.Params))
	for i, t := range s.Params {
		p[i] = t.String()
	}
	r := make([]string, len(s.Results))
	for i, t := range s.Results {
		r[i] = t.String()
	}
	return "(" + strings.Join(p, ",") + ")->(" + strings.Join(r, ",") + ")"
}

// Equal reports whether two signatures have the same value types.
func (s Signature) Equal(o Signature) bool {
	if len(s.Params) != len(o.Params) || len(s.Results) != len(o.Results) {
		return false
	}
	for i := range s.Params {
		if s.Params[i] != o.Params[i] {
			return false
		}
	}
	for i := range s.Results {
		if s.Results[i] != o.Results[i] {
			return false
		}
	}
	return true
}

// sig builds a signature of n i32 params (then the given extra params) returning i32.
func i32s(n int) []ValueType {
	v := make([]ValueType, n)
	for i := range v {
		v[i] = I32
	}
	return v
}

func status(n int) Signature { return Signature{Params: i32s(n), Results: []ValueType{I32}} }
func void(n int) Signature   { return Signature{Params: i32s(n)} }

// Module names.
const (
	ModuleEnv          = "env"
	ModuleWASI         = "wasi_snapshot_preview1"
	ModuleWASIUnstable = "wasi_unstable"
)

// ABIVersion is a proxy-wasm ABI version announced by a marker export.
type ABIVersion string

// ABI versions, in Envoy's lookup order (the first marker found wins).
const (
	ABI021 ABIVersion = "0.2.1"
	ABI020 ABIVersion = "0.2.0"
	ABI010 ABIVersion = "0.1.0"
)

// ABIMarkers maps each marker export name to its version, in Envoy's lookup order.
var ABIMarkers = []struct {
	Export  string
	Version ABIVersion
}{
	{"proxy_abi_version_0_2_1", ABI021},
	{"proxy_abi_version_0_2_0", ABI020},
	{"proxy_abi_version_0_1_0", ABI010},
}

// DetectABI returns the ABI version of a module given its function export names, as
// Envoy does (first marker found wins); ok is false when there is none.
func DetectABI(exports map[string]bool) (ABIVersion, bool) {
	for _, m := range ABIMarkers {
		if exports[m.Export] {
			return m.Version, true
		}
	}
	return "", false
}

var proxyImports020 = map[string]Signature{
	"proxy_log":                          status(3),
	"proxy_get_status":                   status(3),
	"proxy_get_property":                 status(4),
	"proxy_set_property":                 status(4),
	"proxy_send_local_response":          status(8),
	"proxy_continue_stream":              status(1),
	"proxy_close_stream":                 status(1),
	"proxy_get_header_map_value":         status(5),
	"proxy_add_header_map_value":         status(5),
	"proxy_replace_header_map_value":     status(5),
	"proxy_remove_header_map_value":      status(3),
	"proxy_get_header_map_pairs":         status(3),
	"proxy_set_header_map_pairs":         status(3),
	"proxy_get_header_map_size":          status(2),
	"proxy_get_buffer_status":            status(3),
	"proxy_get_buffer_bytes":             status(5),
	"proxy_set_buffer_bytes":             status(5),
	"proxy_http_call":                    status(10),
	"proxy_grpc_call":                    status(12),
	"proxy_grpc_stream":                  status(9),
	"proxy_grpc_send":                    status(4),
	"proxy_grpc_cancel":                  status(1),
	"proxy_grpc_close":                   status(1),
	"proxy_get_shared_data":              status(5),
	"proxy_set_shared_data":              status(5),
	"proxy_register_shared_queue":        status(3),
	"proxy_resolve_shared_queue":         status(5),
	"proxy_enqueue_shared_queue":         status(3),
	"proxy_dequeue_shared_queue":         status(3),
	"proxy_set_tick_period_milliseconds": status(1),
	"proxy_get_current_time_nanoseconds": status(1),
	"proxy_define_metric":                status(4),
	"proxy_increment_metric":             {Params: []ValueType{I32, I64}, Results: []ValueType{I32}},
	"proxy_record_metric":                {Params: []ValueType{I32, I64}, Results: []ValueType{I32}},
	"proxy_get_metric":                   status(2),
	"proxy_set_effective_context":        status(1),
	"proxy_done":                         status(0),
	"proxy_call_foreign_function":        status(6),
	"envoy_resolve_dns":                  status(3),
	"pthread_equal":                      status(2),
	"emscripten_notify_memory_growth":    void(1),
}

// ProxyImports returns the `env` imports Envoy links for a module of the given ABI
// version (0.2.0 or 0.2.1; 0.1.0 is not modelled and yields nil). 0.2.1 adds
// proxy_get_log_level.
func ProxyImports(v ABIVersion) map[string]Signature {
	switch v {
	case ABI020, ABI021:
	default:
		return nil
	}
	out := make(map[string]Signature, len(proxyImports020)+1)
	for k, s := range proxyImports020 {
		out[k] = s
	}
	if v == ABI021 {
		out["proxy_get_log_level"] = status(1)
	}
	return out
}

// ABI010OnlyImports are the imports that exist only in ABI 0.1.0; Envoy does not link
// them for 0.2.x modules, so importing one makes the load fail.
var ABI010OnlyImports = []string{"proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"}

var wasiAll = map[string]Signature{
	"args_get":                status(2),
	"args_sizes_get":          status(2),
	"environ_get":             status(2),
	"environ_sizes_get":       status(2),
	"clock_res_get":           status(2),
	"clock_time_get":          {Params: []ValueType{I32, I64, I32}, Results: []ValueType{I32}},
	"fd_advise":               {Params: []ValueType{I32, I64, I64, I32}, Results: []ValueType{I32}},
	"fd_allocate":             {Params: []ValueType{I32, I64, I64}, Results: []ValueType{I32}},
	"fd_close":                status(1),
	"fd_datasync":             status(1),
	"fd_fdstat_get":           status(2),
	"fd_fdstat_set_flags":     status(2),
	"fd_fdstat_set_rights":    {Params: []ValueType{I32, I64, I64}, Results: []ValueType{I32}},
	"fd_filestat_get":         status(2),
	"fd_filestat_set_size":    {Params: []ValueType{I32, I64}, Results: []ValueType{I32}},
	"fd_filestat_set_times":   {Params: []ValueType{I32, I64, I64, I32}, Results: []ValueType{I32}},
	"fd_pread":                {Params: []ValueType{I32, I32, I32, I64, I32}, Results: []ValueType{I32}},
	"fd_prestat_get":          status(2),
	"fd_prestat_dir_name":     status(3),
	"fd_pwrite":               {Params: []ValueType{I32, I32, I32, I64, I32}, Results: []ValueType{I32}},
	"fd_read":                 status(4),
	"fd_readdir":              {Params: []ValueType{I32, I32, I32, I64, I32}, Results: []ValueType{I32}},
	"fd_renumber":             status(2),
	"fd_seek":                 {Params: []ValueType{I32, I64, I32, I32}, Results: []ValueType{I32}},
	"fd_sync":                 status(1),
	"fd_tell":                 status(2),
	"fd_write":                status(4),
	"path_create_directory":   status(3),
	"path_filestat_get":       status(5),
	"path_filestat_set_times": {Params: []ValueType{I32, I32, I32, I32, I64, I64, I32}, Results: []ValueType{I32}},
	"path_link":               status(7),
	"path_open":               {Params: []ValueType{I32, I32, I32, I32, I32, I64, I64, I32, I32}, Results: []ValueType{I32}},
	"path_readlink":           status(6),
	"path_remove_directory":   status(3),
	"path_rename":             status(6),
	"path_symlink":            status(5),
	"path_unlink_file":        status(3),
	"poll_oneoff":             status(4),
	"proc_exit":               void(1),
	"random_get":              status(2),
	"sched_yield":             status(0),
	"sock_accept":             status(3),
	"sock_recv":               status(6),
	"sock_send":               status(5),
	"sock_shutdown":           status(2),
}

// wasi133 are the 18 WASI functions of Envoy 1.33–1.38.
var wasi133 = []string{
	"sched_yield", "poll_oneoff", "fd_fdstat_set_flags", "fd_prestat_get", "fd_prestat_dir_name",
	"proc_exit", "args_get", "args_sizes_get", "clock_time_get", "environ_get", "environ_sizes_get",
	"fd_write", "random_get", "fd_close", "fd_fdstat_get", "fd_read", "fd_seek", "path_open",
}

// WASIImports returns the WASI functions Envoy links (under both wasi_snapshot_preview1
// and wasi_unstable) for a generation, with their signatures.
func WASIImports(g Generation) map[string]Signature {
	switch g {
	case Envoy133:
		out := make(map[string]Signature, len(wasi133))
		for _, n := range wasi133 {
			out[n] = wasiAll[n]
		}
		return out
	case Envoy139:
		out := make(map[string]Signature, len(wasiAll))
		for k, s := range wasiAll {
			out[k] = s
		}
		return out
	}
	return nil
}

// initDenied139 are the WASI functions that trap inside _initialize on Envoy >= 1.39.
var initDenied139 = map[string]bool{"sched_yield": true, "proc_exit": true, "fd_close": true, "fd_read": true, "fd_seek": true, "path_open": true}

// init133 are the WASI functions allowed inside _initialize on Envoy 1.33–1.38.
var init133 = map[string]bool{
	"fd_write": true, "args_get": true, "args_sizes_get": true, "environ_get": true, "environ_sizes_get": true,
	"clock_time_get": true, "random_get": true, "fd_fdstat_get": true, "fd_fdstat_set_flags": true,
	"fd_prestat_get": true, "fd_prestat_dir_name": true,
}

// InitAllowed reports whether an import may be called inside _initialize (V8's
// restricted start phase): proxy_log, emscripten_notify_memory_growth and the
// generation's WASI allow-list.
func InitAllowed(g Generation, module, name string) bool {
	switch module {
	case ModuleEnv:
		return name == "proxy_log" || name == "emscripten_notify_memory_growth"
	case ModuleWASI, ModuleWASIUnstable:
		switch g {
		case Envoy133:
			return init133[name]
		case Envoy139:
			_, ok := wasiAll[name]
			return ok && !initDenied139[name]
		}
	}
	return false
}

// AllocAllowed reports whether an import may be called inside
// proxy_on_memory_allocate: proxy_log, fd_write and clock_time_get, plus poll_oneoff on
// Envoy >= 1.39.
func AllocAllowed(g Generation, module, name string) bool {
	switch module {
	case ModuleEnv:
		return name == "proxy_log"
	case ModuleWASI, ModuleWASIUnstable:
		return name == "fd_write" || name == "clock_time_get" || (g == Envoy139 && name == "poll_oneoff")
	}
	return false
}

// Callbacks are the export signatures Envoy checks when it looks up a callback or
// lifecycle export; a mismatch fails the load ("Bad function signature").
var Callbacks = map[string]Signature{
	"_initialize":                             void(0),
	"_start":                                  void(0),
	"malloc":                                  status(1),
	"proxy_on_memory_allocate":                status(1),
	"proxy_on_context_create":                 void(2),
	"proxy_on_vm_start":                       status(2),
	"proxy_on_configure":                      status(2),
	"proxy_validate_configuration":            status(2),
	"proxy_on_request_headers":                status(3),
	"proxy_on_response_headers":               status(3),
	"proxy_on_request_body":                   status(3),
	"proxy_on_response_body":                  status(3),
	"proxy_on_request_trailers":               status(2),
	"proxy_on_response_trailers":              status(2),
	"proxy_on_request_metadata":               status(2),
	"proxy_on_response_metadata":              status(2),
	"proxy_on_http_call_response":             void(5),
	"proxy_on_grpc_receive_initial_metadata":  void(3),
	"proxy_on_grpc_receive":                   void(3),
	"proxy_on_grpc_receive_trailing_metadata": void(3),
	"proxy_on_grpc_close":                     void(3),
	"proxy_on_queue_ready":                    void(2),
	"proxy_on_tick":                           void(1),
	"proxy_on_foreign_function":               void(3),
	"proxy_on_new_connection":                 status(1),
	"proxy_on_downstream_data":                status(3),
	"proxy_on_upstream_data":                  status(3),
	"proxy_on_downstream_connection_close":    void(2),
	"proxy_on_upstream_connection_close":      void(2),
	"proxy_on_done":                           status(1),
	"proxy_on_log":                            void(1),
	"proxy_on_delete":                         void(1),
	"envoy_on_resolve_dns":                    void(3),
	"envoy_on_stats_update":                   void(2),
}

// Import is one function import of a module.
type Import struct {
	Module, Name string
	Sig          Signature
}

// Export is one function export of a module.
type Export struct {
	Name string
	Sig  Signature
}

// Module is the part of a module's interface that Envoy checks at load time.
type Module struct {
	Imports []Import
	Exports []Export
	// OtherImports names non-function imports ("module.name (memory)").
	OtherImports []string
}

// LoadError is a refusal to load a module, naming the offending import or export.
type LoadError struct {
	Generation Generation
	Reason     string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("%s refuses the module: %s", e.Generation, e.Reason)
}

// Check applies Envoy's load-time rules for a generation: an ABI marker export must
// exist (ABI 0.2.x), every function import must be linked by the host with exactly the
// same signature, callback exports must have the expected signatures, and there must
// be a `malloc` or `proxy_on_memory_allocate` export. It returns the ABI version, or
// a *LoadError naming the first problem (imports sorted by module and name).
func Check(g Generation, m Module) (ABIVersion, error) {
	if g != Envoy133 && g != Envoy139 {
		return "", &LoadError{g, "unknown Envoy generation"}
	}
	exports := make(map[string]bool, len(m.Exports))
	for _, e := range m.Exports {
		exports[e.Name] = true
	}
	v, ok := DetectABI(exports)
	if !ok {
		return "", &LoadError{g, "no ABI marker export (proxy_abi_version_0_2_1, proxy_abi_version_0_2_0 or proxy_abi_version_0_1_0)"}
	}
	if v == ABI010 {
		return v, &LoadError{g, "ABI 0.1.0 modules are not supported (marker proxy_abi_version_0_1_0)"}
	}
	if len(m.OtherImports) > 0 {
		return v, &LoadError{g, "unsupported non-function import " + m.OtherImports[0]}
	}
	proxy := ProxyImports(v)
	wasi := WASIImports(g)
	imps := append([]Import(nil), m.Imports...)
	sort.SliceStable(imps, func(i, j int) bool {
		if imps[i].Module != imps[j].Module {
			return imps[i].Module < imps[j].Module
		}
		return imps[i].Name < imps[j].Name
	})
	for _, imp := range imps {
		var want Signature
		var found bool
		switch imp.Module {
		case ModuleEnv:
			want, found = proxy[imp.Name]
		case ModuleWASI, ModuleWASIUnstable:
			want, found = wasi[imp.Name]
		}
		if !found {
			return v, &LoadError{g, fmt.Sprintf("missing import %s.%s (not provided for ABI %s)", imp.Module, imp.Name, v)}
		}
		if !want.Equal(imp.Sig) {
			return v, &LoadError{g, fmt.Sprintf("bad signature for import %s.%s: module wants %s, host provides %s", imp.Module, imp.Name, imp.Sig, want)}
		}
	}
	for _, e := range m.Exports {
		want, known := Callbacks[e.Name]
		if known && !want.Equal(e.Sig) {
			return v, &LoadError{g, fmt.Sprintf("bad function signature for export %s: module has %s, host expects %s", e.Name, e.Sig, want)}
		}
	}
	if !exports["malloc"] && !exports["proxy_on_memory_allocate"] {
		return v, &LoadError{g, "no malloc or proxy_on_memory_allocate export"}
	}
	return v, nil
}
