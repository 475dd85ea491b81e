package testenv

import (
	"errors"
	"strconv"
	"strings"

	"github.com/laneway/laneway/testenv/envoyabi"
)

// Profile selects the Envoy generation whose WASI surface and restricted phases the VM
// emulates.
type Profile = envoyabi.Generation

// Profiles.
const (
	// Envoy133 is Envoy 1.33–1.38: 18 WASI functions; poll_oneoff answers NOSYS(52).
	Envoy133 = envoyabi.Envoy133
	// Envoy139 is Envoy >= 1.39: 45 WASI functions; poll_oneoff reports 0 events.
	Envoy139 = envoyabi.Envoy139
)

// Header is one header field.
type Header struct{ Key, Value string }

// Headers is an ordered header list; a key may repeat.
type Headers []Header

// Get returns the first value of key (compared case-insensitively).
func (h Headers) Get(key string) (string, bool) {
	for _, kv := range h {
		if strings.EqualFold(kv.Key, key) {
			return kv.Value, true
		}
	}
	return "", false
}

// Values returns every value of key, in order.
func (h Headers) Values(key string) []string {
	var out []string
	for _, kv := range h {
		if strings.EqualFold(kv.Key, key) {
			out = append(out, kv.Value)
		}
	}
	return out
}

// Clone returns a copy of h.
func (h Headers) Clone() Headers { return append(Headers(nil), h...) }

// HeadersOf converts header pairs ({name, value}, the form the filters' Decide takes) to Headers; nil stays nil
// (an exchange without a response has no response headers).
func HeadersOf(pairs [][2]string) Headers {
	if pairs == nil {
		return nil
	}
	h := make(Headers, len(pairs))
	for i, p := range pairs {
		h[i] = Header{Key: p[0], Value: p[1]}
	}
	return h
}

// Pairs returns h as header pairs ({name, value}); nil stays nil.
func (h Headers) Pairs() [][2]string {
	if h == nil {
		return nil
	}
	out := make([][2]string, len(h))
	for i, kv := range h {
		out[i] = [2]string{kv.Key, kv.Value}
	}
	return out
}

// RequestHeaders returns request headers with the pseudo-headers Envoy sets
// (:method, :authority, :path, :scheme "http") followed by extra key/value pairs.
func RequestHeaders(method, authority, path string, kv ...string) Headers {
	h := Headers{{":method", method}, {":authority", authority}, {":path", path}, {":scheme", "http"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, Header{kv[i], kv[i+1]})
	}
	return h
}

// Action is what a stream callback returned (after Envoy's forced stops).
type Action uint32

// Actions. Values 0 and 1 are the ABI's; ActionFailed is the host's own.
const (
	ActionContinue Action = 0
	ActionPause    Action = 1
	// ActionFailed means the VM is in a failed state (trap); Envoy answers 503.
	ActionFailed Action = 0xffffffff
)

func (a Action) String() string {
	switch a {
	case ActionContinue:
		return "Continue"
	case ActionPause:
		return "Pause"
	case ActionFailed:
		return "Failed"
	}
	return "Action(" + itoa(uint64(a)) + ")"
}

// LogLevel is a proxy-wasm log level.
type LogLevel uint32

// Log levels (proxy_log's level argument; Envoy's spdlog levels, which proxy_get_log_level reports).
const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
	LogCritical
	// LogOff is Envoy's "off": as VMOptions.LogLevel it keeps every line; modules never log at it.
	LogOff
)

func (l LogLevel) String() string {
	switch l {
	case LogTrace:
		return "trace"
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	case LogCritical:
		return "critical"
	case LogOff:
		return "off"
	}
	return "level(" + itoa(uint64(l)) + ")"
}

// LogLevelNames are the names ParseLogLevel accepts, lowest level first ("warning" is taken too).
const LogLevelNames = "trace|debug|info|warn|error|critical|off"

// ParseLogLevel reads a level by the name Envoy's --log-level takes: trace, debug, info, warn (or
// warning), error, critical, off; case-insensitive.
func ParseLogLevel(name string) (LogLevel, error) {
	switch strings.ToLower(name) {
	case "warning":
		return LogWarn, nil
	default:
		for l := LogTrace; l <= LogOff; l++ {
			if strings.EqualFold(name, l.String()) {
				return l, nil
			}
		}
	}
	return 0, errors.New("log level " + strconv.Quote(name) + ": expected one of " + LogLevelNames)
}

// LogEntry is one log line written by the module (proxy_log, or WASI fd 1/2).
type LogEntry struct {
	Level   LogLevel
	Message string
}

// LocalResponse is a reply the filter sent with proxy_send_local_response.
type LocalResponse struct {
	StatusCode uint32
	Details    string // spaces replaced by '_' as Envoy does
	Headers    Headers
	Body       []byte
	// GRPCStatus is -1 when no grpc-status header is sent.
	GRPCStatus int32
}

// Message is what the filter passes on in one direction: headers, forwarded body,
// trailers.
type Message struct {
	Headers  Headers
	Body     []byte
	Trailers Headers
}

// HTTPCallRequest is an outgoing proxy_http_call.
type HTTPCallRequest struct {
	Cluster   string
	Headers   Headers
	Body      []byte
	Trailers  Headers
	TimeoutMS uint32
	// ContextID is the context that issued the call (the stream, or the root).
	ContextID uint32
}

// HTTPCallResponse is the reply a test handler gives to an HTTP call.
type HTTPCallResponse struct {
	Headers  Headers
	Body     []byte
	Trailers Headers
}

// HTTPCallHandler answers HTTP calls to one cluster; an error makes the call fail as a
// reset (proxy_on_http_call_response with no headers, get_status = 11 "reset"), except
// ErrNoAnswer, which models an upstream that never answers (see ErrNoAnswer).
type HTTPCallHandler func(HTTPCallRequest) (HTTPCallResponse, error)

// ErrNoAnswer, returned by an HTTPCallHandler, models a slow upstream: nothing reaches the
// module until the VM's clock (AdvanceClock) passes the call's timeout, and then Envoy's
// router answers as it does for an upstream timeout: a 504 response with the body
// "upstream request timeout".
var ErrNoAnswer = errors.New("testenv: the upstream does not answer before the call's timeout")

// PeerType is who closed a TCP connection.
type PeerType uint32

// Peer types.
const (
	PeerUnknown PeerType = 0
	PeerLocal   PeerType = 1
	PeerRemote  PeerType = 2
)

// VMOptions configures one VM (one plugin on one Envoy worker).
type VMOptions struct {
	// Profile is the Envoy generation to emulate (default Envoy139).
	Profile Profile
	// PluginConfig is the plugin configuration (buffer 7, read in proxy_on_configure).
	PluginConfig []byte
	// VMConfig is the VM configuration (buffer 6, read in proxy_on_vm_start).
	VMConfig []byte
	// VMID keys shared data and shared queues (default "").
	VMID string
	// PluginName and RootID are reported as plugin_name / plugin_root_id properties.
	PluginName, RootID string
	// Properties are host attributes by path. Path segments are separated by '.', or
	// by NUL when the key contains a NUL (for segments that contain dots). Values use
	// Envoy's encodings; build them with StringValue, IntValue, UintValue, BoolValue,
	// MapValue. Stream attributes (request.*, response.*) are derived from the stream. As in
	// Envoy, xds.* attributes other than xds.node (xds.listener_direction, xds.cluster_name, ...)
	// are answered in stream contexts only, never in the root context (on_configure, on_tick).
	Properties map[string][]byte
	// Env are the vm_config.environment_variables the WASI environ_* calls return.
	Env map[string]string
	// LogLevel is the level proxy_get_log_level reports and the lowest level recorded
	// (default LogTrace: everything is recorded; LogOff: nothing).
	LogLevel LogLevel
	// OnLog, when set, receives each line logged at LogLevel or above (proxy_log, and fd 1/2
	// through WASI) as it is written, instead of the line being kept for Logs. It runs on the
	// goroutine that called into the VM, inside the host call.
	OnLog func(LogEntry)
	// HTTPCallHandlers answer proxy_http_call by cluster name; a call to any other
	// cluster gets BAD_ARGUMENT, as Envoy answers for an unknown cluster.
	HTTPCallHandlers map[string]HTTPCallHandler
	// AsyncHTTPCallHandlers answer proxy_http_call by cluster name later, from any
	// goroutine: the reply reaches the module when the VM next drains its events (Poll,
	// or any callback), as Envoy's dispatcher delivers an upstream's answer. The local
	// proxy uses them to send calls to real upstreams without holding a worker.
	AsyncHTTPCallHandlers map[string]AsyncHTTPCallHandler
}

// AsyncHTTPCallHandler starts answering one HTTP call and calls reply once, from any
// goroutine; an error fails the call as a reset (see HTTPCallHandler).
type AsyncHTTPCallHandler func(req HTTPCallRequest, reply func(HTTPCallResponse, error))

// Metric is a metric's current value.
type Metric struct {
	Type MetricType
	// Value is the counter or gauge value.
	Value int64
	// Samples are the values recorded on a histogram.
	Samples []uint64
}

// MetricType is a proxy-wasm metric type.
type MetricType uint32

// Metric types; a metric id's low 2 bits hold its type.
const (
	MetricCounter   MetricType = 0
	MetricGauge     MetricType = 1
	MetricHistogram MetricType = 2
)

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
