package shadowtag

import (
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

// modeNames spells the modes in the configuration, in the order of their values.
var modeNames = pluginconfig.Enum{"inbound", "outbound", "edge", "auto", "waypoint"}

// String returns the config spelling of m ("unset" for 0).
func (m Mode) String() string { return modeNames.Name(int(m)) }

// Action is what happens to a contained (mutating, not allow-listed) shadow request.
type Action uint8

// Containment actions.
const (
	ActionSuppress Action = 1 // answer locally, never reach the collaborator
	ActionReroute  Action = 2 // set the reroute header so a route sends it to a test double
)

// actionNames spells the actions in the configuration, in the order of their values.
var actionNames = pluginconfig.Enum{"suppress", "reroute"}

// String returns the config spelling of a ("unset" for 0).
func (a Action) String() string { return actionNames.Name(int(a)) }

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
	Response          proxyhost.Reply     // outbound: local reply when suppressing
	RerouteHeader     string              // outbound: header a route matches to reach the test double
	RerouteValue      string              // outbound: value of RerouteHeader
	Redact            Redact              // inbound: headers and JSON fields hidden from shadow copies (redact.go)
	Compare           *CompareConfig      // inbound: response capture for the compare collector; nil when off (compare.go)
	Principals        []string            // waypoint: caller identities whose requests are shadow (exact)
	PrincipalPrefixes []string            // waypoint: the same, for entries ending in '*' (without it)

	modeAbsent bool // mode was not in the document: ModeAuto by default (said in the start-up log)
}

// ConfigError is a configuration problem: which field, what was received, what is allowed (the error
// format all laneway filters share).
type ConfigError = pluginconfig.Error

// fieldErr is kept out of line: inlined into its ~40 call sites it adds about 6 KB to the module.
//
//go:noinline
func fieldErr(field string, got gjson.Result, allowed string) error {
	return &ConfigError{Filter: filter, Field: field, Got: pluginconfig.Describe(got), Allowed: allowed}
}

// DefaultConfig returns the defaults applied before the JSON is read: without a mode the filter takes its job
// from the listener direction (ModeAuto), as for "mode":"auto"; edge and waypoint are always explicit.
func DefaultConfig() Config {
	return Config{
		Mode:       ModeAuto,
		modeAbsent: true,
		HostSuffix: true,
		Baggage:    true,
		Methods:    []string{"POST", "PUT", "PATCH", "DELETE"},
		Action:     ActionSuppress,
		Response: proxyhost.Reply{
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

// filter names shadowtag in configuration errors.
const filter = "shadowtag"

// markerNames are the header names the filter handles itself: a configured marker, redaction or reroute
// header may not be one of them (pluginconfig.HeaderName refuses the proxy's own besides).
var markerNames = []string{"baggage", MarkerHeader}

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

// The configuration's sections and their fields.
var (
	topFields      = []string{"mode", "detect", "inbound", "outbound", "compare"}
	detectFields   = []string{"hostSuffix", "shadowWorkload", "markerHeaders", "principals"}
	inboundFields  = []string{"restoreHost", "baggage", "redact"}
	outboundFields = []string{"mutatingMethods", "allow", "action", "response", "reroute"}
	markerFields   = []string{"name", "value"}
	responseFields = []string{"status", "headers", "body"}
	rerouteFields  = []string{"header", "value"}
)

// ParseConfig validates the plugin configuration JSON and returns it with defaults applied. An empty
// configuration is {}: every default, the mode taken from the listener direction.
func ParseConfig(data []byte) (Config, error) {
	doc, err := pluginconfig.Document(filter, data)
	if err != nil {
		return Config{}, err
	}
	c := DefaultConfig()
	err = pluginconfig.Object(filter, "", doc, topFields, func(p, name string, v gjson.Result) error {
		switch name {
		case "mode":
			n, err := modeNames.Read(filter, p, v)
			c.Mode, c.modeAbsent = Mode(n), false
			return err
		case "detect":
			return pluginconfig.Object(filter, p, v, detectFields, c.readDetect)
		case "inbound":
			return pluginconfig.Object(filter, p, v, inboundFields, c.readInbound)
		case "outbound":
			return pluginconfig.Object(filter, p, v, outboundFields, c.readOutbound)
		}
		if !captureBuilt {
			return fieldErr(p, v, plainNoCompare)
		}
		return c.readCompare(p, v)
	})
	if err != nil {
		return Config{}, err
	}
	if c.Mode == ModeWaypoint && (c.Redact.active() || c.Compare != nil) {
		field := "inbound.redact"
		if c.Compare != nil {
			field = "compare"
		}
		return Config{}, &ConfigError{Filter: filter, Field: field, Got: "a " + field + " section in mode waypoint", Allowed: "none in mode waypoint: it acts on the mirrored copy, which never passes a waypoint (it goes from the mirroring waypoint straight to the candidate's pods); give the candidate a sidecar and configure it on its inbound"}
	}
	if c.Mode != ModeWaypoint && len(c.Principals)+len(c.PrincipalPrefixes) > 0 {
		return Config{}, fieldErr("detect.principals", doc.Get("detect.principals"), "no principals outside mode waypoint (a sidecar learns it carries shadow traffic from the copy itself; set mode to waypoint on an ambient waypoint)")
	}
	if err := c.checkInboundOnly(doc); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) readDetect(p, name string, v gjson.Result) (err error) {
	switch name {
	case "hostSuffix":
		c.HostSuffix, err = pluginconfig.Bool(filter, p, v)
	case "shadowWorkload":
		c.ShadowWorkload, err = pluginconfig.Bool(filter, p, v)
	case "markerHeaders":
		err = c.readMarkers(p, v)
	default:
		err = c.readPrincipals(p, v)
	}
	return err
}

func (c *Config) readInbound(p, name string, v gjson.Result) (err error) {
	switch name {
	case "restoreHost":
		c.RestoreHost, err = pluginconfig.Bool(filter, p, v)
	case "baggage":
		c.Baggage, err = pluginconfig.Bool(filter, p, v)
	default:
		err = c.readRedact(p, v)
	}
	return err
}

func (c *Config) readOutbound(p, name string, v gjson.Result) (err error) {
	switch name {
	case "mutatingMethods":
		c.Methods, err = pluginconfig.Methods(filter, p, v)
	case "allow":
		c.Allow, err = pluginconfig.StringList(filter, p, v, MaxAllow, allowRule, readAllowHost)
	case "action":
		var n int
		n, err = actionNames.Read(filter, p, v)
		c.Action = Action(n)
	case "response":
		err = pluginconfig.Object(filter, p, v, responseFields, c.readResponse)
	default:
		err = pluginconfig.Object(filter, p, v, rerouteFields, c.readReroute)
	}
	return err
}

func (c *Config) readMarkers(p string, v gjson.Result) error {
	c.MarkerHeaders = nil
	return pluginconfig.List(filter, p, v, MaxMarkerHeaders, `an array of objects {"name": header name, "value": optional exact value}`,
		func(ip string, it gjson.Result) error {
			var m MarkerHeaderMatch
			err := pluginconfig.Object(filter, ip, it, markerFields, func(p, name string, v gjson.Result) (err error) {
				if name == "name" {
					m.Name, err = pluginconfig.HeaderName(filter, p, v, markerNames...)
				} else {
					m.Value, err = pluginconfig.HeaderValue(filter, p, v, 0, 256)
				}
				return err
			})
			if err != nil {
				return err
			}
			if m.Name == "" {
				return pluginconfig.Missing(filter, ip+".name", "a header name")
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

const allowRule = "a destination host without port: a DNS name (letters, digits, '-', '.'), \"*.\" followed by a DNS name, or a bracketed IPv6 literal, not ending in -shadow (the suffix is removed from the destination before matching)"

// readAllowHost reads one outbound.allow entry, in lower case.
func readAllowHost(p string, v gjson.Result) (string, error) {
	if v.Type != gjson.String || !validAllowHost(v.Str) {
		return "", fieldErr(p, v, allowRule)
	}
	h := pluginconfig.LowerASCII(v.Str)
	if _, shadow := trimShadowSuffix(h); shadow {
		return "", fieldErr(p, v, allowRule)
	}
	return h, nil
}

func (c *Config) readResponse(p, name string, v gjson.Result) (err error) {
	switch name {
	case "status":
		c.Response.Status, err = pluginconfig.Status(filter, p, v, pluginconfig.MinStatus, pluginconfig.MaxStatus)
	case "headers":
		c.Response.Headers, err = pluginconfig.HeaderMap(filter, p, v, MaxResponseHeaders, 1024)
	default:
		var body string
		body, err = pluginconfig.String(filter, p, v, MaxResponseBody, "a string of at most "+strconv.Itoa(MaxResponseBody)+" bytes", nil)
		c.Response.Body = []byte(body)
	}
	return err
}

func (c *Config) readReroute(p, name string, v gjson.Result) (err error) {
	if name == "header" {
		c.RerouteHeader, err = pluginconfig.HeaderName(filter, p, v, markerNames...)
	} else {
		c.RerouteValue, err = pluginconfig.HeaderValue(filter, p, v, 1, 256)
	}
	return err
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

// ModeNote says, for the log, which mode the filter applies and why when the listener direction decides it
// (mode auto or not set; "" otherwise): applied is Resolve(dir), known whether the host told dir at all.
func (c *Config) ModeNote(applied Mode, dir int64, known bool) string {
	if c.Mode != ModeAuto {
		return ""
	}
	why := "mode auto"
	if c.modeAbsent {
		why = "mode not set"
	}
	switch {
	case applied != 0:
		return why + ": " + applied.String() + ", taken from xds.listener_direction=" + strconv.FormatInt(dir, 10)
	case known:
		return why + ": xds.listener_direction=" + strconv.FormatInt(dir, 10) + " is neither inbound (1) nor outbound (2)"
	}
	return why + ": the host does not tell xds.listener_direction"
}

// Summary describes the configuration in one line for the start-up log.
func (c *Config) Summary() string {
	var l line
	l.add("shadowtag: mode=", c.Mode.String())
	if c.modeAbsent {
		l.add(" (not set)")
	}
	l.add(" detect=[x-laneway-shadow header, laneway-shadow baggage")
	if c.HostSuffix {
		l.add(", -shadow host suffix (inbound)")
	}
	if c.ShadowWorkload {
		l.add(", shadow workload (every request)")
	}
	for _, m := range c.MarkerHeaders {
		l.add(", header ", m.Name)
		if m.Value != "" {
			l.add("=", m.Value)
		}
	}
	for _, p := range c.Principals {
		l.add(", caller ", p)
	}
	for _, p := range c.PrincipalPrefixes {
		l.add(", caller ", p, "*")
	}
	l.add("]")
	if c.Mode == ModeInbound || c.Mode == ModeAuto || c.Mode == ModeWaypoint {
		l.add(" inbound{restoreHost=", strconv.FormatBool(c.RestoreHost), " baggage=", strconv.FormatBool(c.Baggage))
		if c.Redact.active() {
			l.add(" redact{headers=[")
			l.list(c.Redact.Headers)
			l.add("] jsonFields=[")
			l.list(c.Redact.JSONFields)
			l.add("] mask=", strconv.Quote(c.Redact.Mask), "}")
		}
		l.add("}")
		if captureBuilt && c.Compare != nil { // the plain module parses no compare section: keep its summary out
			compareSummary(&l, c.Compare)
		}
	}
	if c.Mode == ModeOutbound || c.Mode == ModeAuto || c.Mode == ModeWaypoint {
		l.add(" outbound{methods=")
		l.list(c.Methods)
		l.add(" allow=[")
		l.list(c.Allow)
		l.add("] action=", c.Action.String())
		if c.Action == ActionSuppress {
			l.add(" status=", strconv.FormatUint(uint64(c.Response.Status), 10), " body=", strconv.Itoa(len(c.Response.Body)), "B}")
		} else {
			l.add(" header=", c.RerouteHeader, ":", c.RerouteValue, "}")
		}
	}
	if c.Mode == ModeEdge {
		l.add(" strips=[", MarkerHeader, ", ", MarkerBaggageKey, " baggage")
		for _, m := range c.MarkerHeaders {
			l.add(", ", m.Name)
		}
		l.add(", ", c.RerouteHeader, "]")
	}
	return string(l)
}

// line is the start-up summary being written: its methods stay out of line, so the many small writes share
// one copy of append's code (written with strings.Builder, Summary took about 15 KB of the module).
type line []byte

//go:noinline
func (l *line) add(parts ...string) {
	for _, p := range parts {
		*l = append(*l, p...)
	}
}

// list writes items separated by commas.
//
//go:noinline
func (l *line) list(items []string) {
	for i, it := range items {
		if i > 0 {
			*l = append(*l, ',')
		}
		*l = append(*l, it...)
	}
}
