package shadowtag

import (
	"slices"
	"strconv"
	"strings"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tidwall/gjson"
)

// Mode says which job the filter does on the listener it is attached to.
type Mode uint8

// Modes; ModeInbound and ModeOutbound equal Envoy's xds.listener_direction values.
const (
	ModeInbound  Mode = 1 // detect shadow copies and mark them
	ModeOutbound Mode = 2 // contain mutating shadow requests
	ModeEdge     Mode = 3 // strip shadow markers from untrusted callers
	ModeAuto     Mode = 4 // inbound or outbound, from xds.listener_direction
	ModeWaypoint Mode = 5 // ambient waypoint: detect (also by caller identity), contain writes, mark the rest
)

// String returns the config spelling of m.
func (m Mode) String() string {
	switch m {
	case ModeInbound:
		return "inbound"
	case ModeOutbound:
		return "outbound"
	case ModeEdge:
		return "edge"
	case ModeAuto:
		return "auto"
	case ModeWaypoint:
		return "waypoint"
	}
	return "unknown"
}

// Action is what happens to a contained (mutating, not allow-listed) shadow request.
type Action uint8

// Containment actions.
const (
	ActionSuppress Action = 1 // answer locally, never reach the collaborator
	ActionReroute  Action = 2 // set the reroute header so a route sends it to a test double
)

// String returns the config spelling of a.
func (a Action) String() string {
	switch a {
	case ActionSuppress:
		return "suppress"
	case ActionReroute:
		return "reroute"
	}
	return "unknown"
}

// Built-in marker names (design.md §4).
const (
	MarkerHeader     = "x-laneway-shadow" // header set on shadow requests
	MarkerBaggageKey = "laneway-shadow"   // baggage member set on shadow requests
	MarkerValue      = "1"                // value laneway writes for both
)

// Config limits, so per-request work stays bounded.
const (
	MaxMarkerHeaders   = 8
	MaxMethods         = 16
	MaxAllow           = 64
	MaxResponseHeaders = 16
	MaxResponseBody    = 64 << 10
)

// DefaultResponseBody is the local reply to a suppressed request unless configured.
const DefaultResponseBody = `{"laneway":"shadow-suppressed","detail":"mirrored (shadow) request with a mutating method was answered by the laneway shadowtag filter and not sent to its destination"}`

// MarkerHeaderMatch is a configured header whose presence marks a request as shadow.
type MarkerHeaderMatch struct {
	Name  string // lowercase header name
	Value string // required value (case-insensitive); "" means any non-empty value
}

// LocalResponse is the reply sent for a suppressed request.
type LocalResponse struct {
	Status  uint32
	Headers [][2]string
	Body    []byte
}

// Config is the validated plugin configuration.
type Config struct {
	Mode              Mode
	HostSuffix        bool                // inbound: Envoy's -shadow host suffix is a signal
	ShadowWorkload    bool                // every request through this workload is shadow
	MarkerHeaders     []MarkerHeaderMatch // extra marker headers
	RestoreHost       bool                // inbound: remove the -shadow suffix from :authority
	Baggage           bool                // inbound: add laneway-shadow=1 to baggage
	Methods           []string            // outbound: mutating methods, upper case
	Allow             []string            // outbound: destinations shadow writes may reach ("*.x" = any subdomain of x)
	Action            Action              // outbound: suppress or reroute
	Response          LocalResponse       // outbound: local reply when suppressing
	RerouteHeader     string              // outbound: header a route matches to reach the test double
	RerouteValue      string              // outbound: value of RerouteHeader
	Redact            Redact              // inbound: headers and JSON fields hidden from shadow copies (redact.go)
	Compare           *CompareConfig      // inbound: response capture for the compare collector; nil when off (compare.go)
	Principals        []string            // waypoint: caller identities whose requests are shadow (exact)
	PrincipalPrefixes []string            // waypoint: the same, for entries ending in '*' (without it)

	bagBuf  proxyhost.Buf // memory for a rewritten baggage header (reused in Wasm only, one callback at a time)
	hostBuf proxyhost.Buf // memory for an :authority without a client-set -shadow suffix (edge)
}

// ConfigError is a configuration problem: which field, what was received, what is allowed (the error
// format all laneway filters share).
type ConfigError = pluginconfig.Error

// fieldErr is kept out of line: inlined into its ~40 call sites it adds about 6 KB to the module.
//
//go:noinline
func fieldErr(field string, got gjson.Result, allowed string) error {
	return &ConfigError{Filter: "shadowtag", Field: field, Got: pluginconfig.Describe(got), Allowed: allowed}
}

// DefaultConfig returns the defaults applied before the JSON is read (Mode is unset: it is required).
func DefaultConfig() Config {
	return Config{
		HostSuffix: true,
		Baggage:    true,
		Methods:    []string{"POST", "PUT", "PATCH", "DELETE"},
		Action:     ActionSuppress,
		Response: LocalResponse{
			Status: 202,
			Headers: [][2]string{
				{"content-type", "application/json"},
				{MarkerHeader, "suppressed"},
			},
			Body: []byte(DefaultResponseBody),
		},
		RerouteHeader: "x-laneway-shadow-route",
		RerouteValue:  "test-double",
	}
}

// field is one allowed key of a JSON object and how to read it.
type field struct {
	name string
	read func(path string, v gjson.Result) error
}

// readObject applies fields to the members of the object v, rejecting unknown and repeated keys.
func readObject(path string, v gjson.Result, fields []field) error {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return pluginconfig.Walk("shadowtag", path, v, names, func(p, name string, val gjson.Result) error {
		for _, f := range fields {
			if f.name == name {
				return f.read(p, val)
			}
		}
		return nil // unreachable: Walk only visits names listed in fields
	})
}

func readBool(dst *bool) func(string, gjson.Result) error {
	return func(p string, v gjson.Result) error {
		switch v.Type {
		case gjson.True:
			*dst = true
		case gjson.False:
			*dst = false
		default:
			return fieldErr(p, v, "true, false")
		}
		return nil
	}
}

// What the plain shadowtag module says of the sections only shadowtag-compare runs.
const (
	plainNoCompare    = "no compare section in the plain shadowtag module (it sees no responses): load the shadowtag-compare module for captures"
	plainNoJSONFields = "no jsonFields in the plain shadowtag module (it sees no request bodies): load the shadowtag-compare module to mask body fields; headers work in both"
)

// ParseModuleConfig parses data as the named module does on configure: "shadowtag-compare" as ParseConfig, and
// "shadowtag" (the plain module) also refusing a compare section and inbound.redact.jsonFields, which it
// cannot run. The CLI uses it to check a module's config before it reaches Envoy.
func ParseModuleConfig(module string, data []byte) (Config, error) {
	if module == "shadowtag" && gjson.ValidBytes(data) {
		doc := gjson.ParseBytes(data)
		if v := doc.Get("compare"); v.Exists() {
			return Config{}, fieldErr("compare", v, plainNoCompare)
		}
		if v := doc.Get("inbound.redact.jsonFields"); v.Exists() {
			return Config{}, fieldErr("inbound.redact.jsonFields", v, plainNoJSONFields)
		}
	}
	return ParseConfig(data)
}

// ParseConfig validates the plugin configuration JSON and returns it with defaults applied.
func ParseConfig(data []byte) (Config, error) {
	c := DefaultConfig()
	if len(strings.TrimSpace(string(data))) == 0 {
		return Config{}, &ConfigError{Filter: "shadowtag", Field: "mode", Got: "an empty configuration", Allowed: `a JSON object such as {"mode":"inbound"}; mode is one of inbound, outbound, edge, auto`}
	}
	if !gjson.ValidBytes(data) {
		return Config{}, &ConfigError{Filter: "shadowtag", Got: "invalid JSON", Allowed: "a JSON object"}
	}
	doc := gjson.ParseBytes(data)
	err := readObject("", doc, []field{
		{"mode", func(p string, v gjson.Result) error { return c.readMode(p, v) }},
		{"detect", func(p string, v gjson.Result) error {
			return readObject(p, v, []field{
				{"hostSuffix", readBool(&c.HostSuffix)},
				{"shadowWorkload", readBool(&c.ShadowWorkload)},
				{"markerHeaders", func(p string, v gjson.Result) error { return c.readMarkers(p, v) }},
				{"principals", func(p string, v gjson.Result) error { return c.readPrincipals(p, v) }},
			})
		}},
		{"inbound", func(p string, v gjson.Result) error {
			return readObject(p, v, []field{
				{"restoreHost", readBool(&c.RestoreHost)},
				{"baggage", readBool(&c.Baggage)},
				{"redact", func(p string, v gjson.Result) error { return c.readRedact(p, v) }},
			})
		}},
		{"outbound", func(p string, v gjson.Result) error {
			return readObject(p, v, []field{
				{"mutatingMethods", func(p string, v gjson.Result) error { return c.readMethods(p, v) }},
				{"allow", func(p string, v gjson.Result) error { return c.readAllow(p, v) }},
				{"action", func(p string, v gjson.Result) error { return c.readAction(p, v) }},
				{"response", func(p string, v gjson.Result) error { return c.readResponse(p, v) }},
				{"reroute", func(p string, v gjson.Result) error { return c.readReroute(p, v) }},
			})
		}},
		{"compare", func(p string, v gjson.Result) error {
			if !captureBuilt {
				return fieldErr(p, v, plainNoCompare)
			}
			return c.readCompare(p, v)
		}},
	})
	if err != nil {
		return Config{}, err
	}
	if c.Mode == 0 {
		return Config{}, fieldErr("mode", gjson.Result{}, "inbound, outbound, edge, auto, waypoint (required)")
	}
	if c.Mode == ModeWaypoint && (c.Redact.active() || c.Compare != nil) {
		field := "inbound.redact"
		if c.Compare != nil {
			field = "compare"
		}
		return Config{}, &ConfigError{Filter: "shadowtag", Field: field, Got: "a " + field + " section in mode waypoint", Allowed: "none in mode waypoint: it acts on the mirrored copy, which never passes a waypoint (it goes from the mirroring waypoint straight to the candidate's pods); give the candidate a sidecar and configure it on its inbound"}
	}
	if c.Mode != ModeWaypoint && len(c.Principals)+len(c.PrincipalPrefixes) > 0 {
		return Config{}, fieldErr("detect.principals", doc.Get("detect.principals"), "no principals outside mode waypoint (a sidecar learns it carries shadow traffic from the copy itself; set mode to waypoint on an ambient waypoint)")
	}
	if err := c.checkInboundOnly(doc); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) readMode(p string, v gjson.Result) error {
	const allowed = "inbound, outbound, edge, auto, waypoint"
	if v.Type != gjson.String {
		return fieldErr(p, v, allowed)
	}
	switch v.Str {
	case "inbound":
		c.Mode = ModeInbound
	case "outbound":
		c.Mode = ModeOutbound
	case "edge":
		c.Mode = ModeEdge
	case "auto":
		c.Mode = ModeAuto
	case "waypoint":
		c.Mode = ModeWaypoint
	default:
		return fieldErr(p, v, allowed)
	}
	return nil
}

func (c *Config) readAction(p string, v gjson.Result) error {
	const allowed = "suppress, reroute"
	if v.Type != gjson.String {
		return fieldErr(p, v, allowed)
	}
	switch v.Str {
	case "suppress":
		c.Action = ActionSuppress
	case "reroute":
		c.Action = ActionReroute
	default:
		return fieldErr(p, v, allowed)
	}
	return nil
}

const headerNameRule = "a header name (RFC 9110 token, not a pseudo-header, not baggage, at most 128 characters)"

// headerName validates and lowercases a configured header name.
func headerName(p string, v gjson.Result, reserved bool) (string, error) {
	if v.Type != gjson.String || len(v.Str) == 0 || len(v.Str) > 128 || !pluginconfig.IsToken(v.Str) {
		return "", fieldErr(p, v, headerNameRule)
	}
	name := strings.ToLower(v.Str)
	if reserved && (name == "baggage" || name == "host" || name == MarkerHeader) {
		return "", fieldErr(p, v, headerNameRule+"; host, baggage and "+MarkerHeader+" are handled by the filter itself")
	}
	return name, nil
}

// headerValue validates a configured header value: visible ASCII and inner spaces, no surrounding blanks.
func headerValue(p string, v gjson.Result, allowEmpty bool, maxLen int) (string, error) {
	rule := "a string of visible ASCII characters and inner spaces, at most " + strconv.Itoa(maxLen) + " characters"
	if !allowEmpty {
		rule = "a non-empty " + rule[2:]
	}
	if v.Type != gjson.String || len(v.Str) > maxLen || (!allowEmpty && v.Str == "") {
		return "", fieldErr(p, v, rule)
	}
	s := v.Str
	if s != strings.TrimSpace(s) {
		return "", fieldErr(p, v, rule+" (no leading or trailing blanks)")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", fieldErr(p, v, rule)
		}
	}
	return s, nil
}

func (c *Config) readMarkers(p string, v gjson.Result) error {
	c.MarkerHeaders = nil
	return pluginconfig.List("shadowtag", p, v, MaxMarkerHeaders, `an array of objects {"name": header name, "value": optional exact value}`,
		func(ip string, it gjson.Result) error {
			var m MarkerHeaderMatch
			var hasName bool
			err := readObject(ip, it, []field{
				{"name", func(p string, v gjson.Result) (err error) {
					m.Name, err = headerName(p, v, true)
					hasName = err == nil
					return err
				}},
				{"value", func(p string, v gjson.Result) (err error) { m.Value, err = headerValue(p, v, true, 256); return err }},
			})
			if err != nil {
				return err
			}
			if !hasName {
				return fieldErr(ip+".name", gjson.Result{}, headerNameRule+" (required)")
			}
			for _, prev := range c.MarkerHeaders {
				if prev.Name == m.Name {
					return fieldErr(ip+".name", it.Get("name"), "a header not listed before")
				}
			}
			c.MarkerHeaders = append(c.MarkerHeaders, m)
			return nil
		})
}

func (c *Config) readMethods(p string, v gjson.Result) error {
	const allowed = "a non-empty array of distinct HTTP method names, e.g. [\"POST\",\"PUT\",\"PATCH\",\"DELETE\"]"
	c.Methods = nil
	err := pluginconfig.List("shadowtag", p, v, MaxMethods, allowed, func(ip string, it gjson.Result) error {
		if it.Type != gjson.String || it.Str == "" || len(it.Str) > 32 || !pluginconfig.IsToken(it.Str) {
			return fieldErr(ip, it, "an HTTP method name (RFC 9110 token, at most 32 characters)")
		}
		m := strings.ToUpper(it.Str)
		if slices.Contains(c.Methods, m) {
			return fieldErr(ip, it, "a method not listed before")
		}
		c.Methods = append(c.Methods, m)
		return nil
	})
	if err == nil && len(c.Methods) == 0 {
		return fieldErr(p, v, allowed)
	}
	return err
}

func (c *Config) readAllow(p string, v gjson.Result) error {
	c.Allow = nil
	return pluginconfig.List("shadowtag", p, v, MaxAllow,
		"an array of destination hosts (no port), each a DNS name, \"*.\" followed by a DNS name, or a bracketed IPv6 literal",
		func(ip string, it gjson.Result) error {
			if it.Type != gjson.String || !validAllowHost(it.Str) {
				return fieldErr(ip, it, "a host without port: DNS name (letters, digits, '-', '.'), \"*.\" + DNS name, or [IPv6]")
			}
			h := strings.ToLower(it.Str)
			if _, shadow := trimShadowSuffix(h); shadow {
				return fieldErr(ip, it, "a host not ending in -shadow (the suffix is removed from the destination before matching)")
			}
			c.Allow = append(c.Allow, h)
			return nil
		})
}

func (c *Config) readResponse(p string, v gjson.Result) error {
	return readObject(p, v, []field{
		{"status", func(p string, v gjson.Result) error {
			n, err := strconv.ParseUint(v.Raw, 10, 32)
			if v.Type != gjson.Number || err != nil || n < 200 || n > 599 {
				return fieldErr(p, v, "an integer HTTP status from 200 to 599")
			}
			c.Response.Status = uint32(n)
			return nil
		}},
		{"headers", func(p string, v gjson.Result) error {
			allowed := "an object of at most " + strconv.Itoa(MaxResponseHeaders) + " header names to string values"
			if !v.IsObject() {
				return fieldErr(p, v, allowed)
			}
			c.Response.Headers = c.Response.Headers[:0:0]
			var err error
			v.ForEach(func(k, val gjson.Result) bool {
				hp := p + "." + k.String()
				if len(c.Response.Headers) == MaxResponseHeaders {
					err = fieldErr(p, v, allowed)
					return false
				}
				var name, value string
				if name, err = headerName(hp, k, false); err != nil {
					return false
				}
				for _, h := range c.Response.Headers {
					if h[0] == name {
						err = fieldErr(hp, val, "each header at most once")
						return false
					}
				}
				if value, err = headerValue(hp, val, true, 1024); err != nil {
					return false
				}
				c.Response.Headers = append(c.Response.Headers, [2]string{name, value})
				return true
			})
			return err
		}},
		{"body", func(p string, v gjson.Result) error {
			if v.Type != gjson.String || len(v.Str) > MaxResponseBody {
				return fieldErr(p, v, "a string of at most "+strconv.Itoa(MaxResponseBody)+" bytes")
			}
			c.Response.Body = []byte(v.Str)
			return nil
		}},
	})
}

func (c *Config) readReroute(p string, v gjson.Result) error {
	return readObject(p, v, []field{
		{"header", func(p string, v gjson.Result) (err error) { c.RerouteHeader, err = headerName(p, v, true); return err }},
		{"value", func(p string, v gjson.Result) (err error) {
			c.RerouteValue, err = headerValue(p, v, false, 256)
			return err
		}},
	})
}

// validAllowHost accepts a DNS name, "*." + DNS name, or a bracketed IPv6 literal, at most 253 bytes.
func validAllowHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if h[0] == '[' {
		if len(h) < 3 || h[len(h)-1] != ']' {
			return false
		}
		for i := 1; i < len(h)-1; i++ {
			c := h[i]
			if !(c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	h = strings.TrimPrefix(h, "*.")
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// Summary describes the configuration in one line for the start-up log.
func (c *Config) Summary() string {
	var b strings.Builder
	b.WriteString("shadowtag: mode=" + c.Mode.String())
	signals := []string{"x-laneway-shadow header", "laneway-shadow baggage"}
	if c.HostSuffix {
		signals = append(signals, "-shadow host suffix (inbound)")
	}
	if c.ShadowWorkload {
		signals = append(signals, "shadow workload (every request)")
	}
	for _, m := range c.MarkerHeaders {
		if m.Value == "" {
			signals = append(signals, "header "+m.Name)
		} else {
			signals = append(signals, "header "+m.Name+"="+m.Value)
		}
	}
	for _, p := range c.Principals {
		signals = append(signals, "caller "+p)
	}
	for _, p := range c.PrincipalPrefixes {
		signals = append(signals, "caller "+p+"*")
	}
	b.WriteString(" detect=[" + strings.Join(signals, ", ") + "]")
	if c.Mode == ModeInbound || c.Mode == ModeAuto || c.Mode == ModeWaypoint {
		b.WriteString(" inbound{restoreHost=" + strconv.FormatBool(c.RestoreHost) + " baggage=" + strconv.FormatBool(c.Baggage))
		if c.Redact.active() {
			b.WriteString(" redact{headers=[" + strings.Join(c.Redact.Headers, ",") + "] jsonFields=[" + strings.Join(c.Redact.JSONFields, ",") + "] mask=" + strconv.Quote(c.Redact.Mask) + "}")
		}
		b.WriteString("}")
		if captureBuilt && c.Compare != nil { // the plain module parses no compare section: keep its summary out
			compareSummary(&b, c.Compare)
		}
	}
	if c.Mode == ModeOutbound || c.Mode == ModeAuto || c.Mode == ModeWaypoint {
		b.WriteString(" outbound{methods=" + strings.Join(c.Methods, ",") + " allow=[" + strings.Join(c.Allow, ",") + "] action=" + c.Action.String())
		if c.Action == ActionSuppress {
			b.WriteString(" status=" + strconv.FormatUint(uint64(c.Response.Status), 10) + " body=" + strconv.Itoa(len(c.Response.Body)) + "B")
		} else {
			b.WriteString(" header=" + c.RerouteHeader + ":" + c.RerouteValue)
		}
		b.WriteString("}")
	}
	if c.Mode == ModeEdge {
		b.WriteString(" strips=[" + MarkerHeader + ", " + MarkerBaggageKey + " baggage")
		for _, m := range c.MarkerHeaders {
			b.WriteString(", " + m.Name)
		}
		b.WriteString(", " + c.RerouteHeader + "]")
	}
	return b.String()
}
