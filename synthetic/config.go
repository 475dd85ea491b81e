package synthetic

import (
	"strconv"
	"strings"
	"time"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tidwall/gjson"
)

// Mode says where in the mesh the filter runs and therefore what it checks.
type Mode uint8

// The modes a plugin configuration can select.
const (
	// ModeUnset is a configuration without "mode": the filter takes inbound or outbound from Envoy's
	// xds.listener_direction (see WithDirection).
	ModeUnset Mode = iota
	ModeInbound
	ModeOutbound
	ModeEdge
	// ModeWaypoint is edge's job on an Istio ambient waypoint, with the caller's identity read where a
	// waypoint keeps it (see waypoint.go).
	ModeWaypoint
)

// modes spells the modes in the configuration, in the order of their values.
var modes = pluginconfig.Enum{"inbound", "outbound", "edge", "waypoint"}

// String returns the configuration spelling of m ("unset" for ModeUnset).
func (m Mode) String() string { return modes.Name(int(m)) }

// Defaults used when a configuration leaves a field out.
const (
	DefaultHeader        = "x-laneway-synthetic"
	DefaultBaggageKey    = "laneway-synthetic"
	DefaultTokenHeader   = "x-laneway-synthetic-token"
	DefaultAckHeader     = "x-laneway-synthetic-ack"
	DefaultMaxSkew       = 30 * time.Second
	DefaultMaxLifetime   = time.Hour
	DefaultRefuseStatus  = 403
	DefaultRefuseBody    = "laneway synthetic transaction {id}: {method} to {host} refused: the destination is not declared rollback-capable\n"
	minSecretBytes       = 16
	maxSkewLimit         = 5 * time.Minute
	maxLifetimeLimit     = 24 * time.Hour
	maxListEntries       = 256
	maxEntryBytes        = 512
	maxRefuseBodyBytes   = 4096
	maxBaggageKeyBytes   = 128
	maxRerouteValueBytes = 256
)

var defaultMutating = []string{"POST", "PUT", "PATCH", "DELETE"}

// Config is a validated plugin configuration. It is not changed once ParseConfig returned it (WithDirection
// returns a copy): the memory a request needs lives in its Decision.
type Config struct {
	Mode       Mode
	Header     string // marker header name
	BaggageKey string // marker baggage key

	// Trust (inbound, edge and waypoint only).
	Principals  []string // exact peer identities
	Prefixes    []string // peer identity prefixes (entries written with a trailing '*')
	secret      []byte   // HMAC secret; never printed
	TokenHeader string
	MaxSkew     time.Duration
	MaxLifetime time.Duration

	// Destination policy (outbound, edge and waypoint only).
	Participants    []Destination // rollback-capable destinations
	MutatingMethods []string      // upper case; a request's method matches ASCII case-insensitively
	RefuseStatus    uint32
	RefuseBody      string // may hold {id}, {method} and {host}
	RerouteHeader   string // when set, requests are rerouted instead of refused
	RerouteValue    string
	AckHeader       string
	AckRequired     bool

	// fromDirection: Mode was taken from the listener direction (see WithDirection).
	fromDirection bool
}

// Destination is one rollback-capable destination: a host (any port), host:port, or *.suffix.
type Destination struct {
	Host   string    // lowercase; for a wildcard, the suffix including its leading '.'
	Port   string    // "" = any port
	Suffix bool      // Host is a suffix (entry written as *.suffix)
	_      [0]func() // not comparable: spares the module an equality function
}

// String returns d as written in the configuration.
func (d Destination) String() string {
	s := d.Host
	if d.Suffix {
		s = "*" + s
	}
	if d.Port != "" {
		s += ":" + d.Port
	}
	return s
}

// HasSecret reports whether token trust is configured.
func (c *Config) HasSecret() bool { return len(c.secret) > 0 }

// ConfigError says which field was wrong, what was received and what is allowed (the error format all
// laneway filters share).
type ConfigError = pluginconfig.Error

func cfgErr(field, got, allowed string) error {
	return &ConfigError{Filter: "synthetic", Field: field, Got: got, Allowed: allowed}
}

var (
	topFields    = []string{"mode", "header", "baggageKey", "trust", "participants", "mutatingMethods", "refuse", "reroute", "ack"}
	trustFields  = []string{"principals", "token"}
	tokenFields  = []string{"secret", "header", "maxSkew", "maxLifetime"}
	refuseFields = []string{"status", "body"}
	rerouteFlds  = []string{"header", "value"}
	ackFields    = []string{"header", "required"}
	policyFields = []string{"participants", "mutatingMethods", "refuse", "reroute", "ack"}
)

// modeSections are the fields that mean something in some modes only: a configuration naming one must
// name its mode too.
var modeSections = []string{"trust", "participants", "mutatingMethods", "refuse", "reroute", "ack"}

// ParseConfig parses and validates a plugin configuration (a JSON object; unknown and repeated fields are
// refused). An empty configuration is `{}`: no mode (taken from the listener direction, see WithDirection),
// no trusted source (every marker is stripped inbound) and no participant (every synthetic write is refused
// outbound).
func ParseConfig(data []byte) (Config, error) {
	root, err := pluginconfig.Document(filterName, data)
	if err != nil {
		return Config{}, err
	}
	fields, err := objectFields(root, "", topFields)
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Header:       DefaultHeader,
		BaggageKey:   DefaultBaggageKey,
		TokenHeader:  DefaultTokenHeader,
		MaxSkew:      DefaultMaxSkew,
		MaxLifetime:  DefaultMaxLifetime,
		RefuseStatus: DefaultRefuseStatus,
		RefuseBody:   DefaultRefuseBody,
		AckHeader:    DefaultAckHeader,
	}
	if v, ok := fields["mode"]; ok {
		m, err := modes.Read(filterName, "mode", v)
		if err != nil {
			return Config{}, cfgErr("mode", pluginconfig.Describe(v), modes.Allowed()+", or no mode to take inbound or outbound from the listener direction")
		}
		c.Mode = Mode(m)
	} else {
		// Without a mode, a section that applies in one direction only would silently do nothing in the
		// other: say so rather than guess.
		for _, name := range modeSections {
			if _, ok := fields[name]; ok {
				return Config{}, cfgErr(name, strconv.Quote(name)+" without a mode", `a "mode" next to it: "inbound" or "edge" for "trust", "outbound" or "edge" for the destination policy ("participants", "mutatingMethods", "refuse", "reroute", "ack"); only "header" and "baggageKey" may go without a mode, which is then taken from the listener direction`)
			}
		}
	}
	if v, ok := fields["header"]; ok {
		if c.Header, err = headerName("header", v); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["baggageKey"]; ok {
		const allowed = "a baggage key: 1 to 128 letters, digits and !#$%&'*+-.^_`|~ (an RFC 7230 token; case-sensitive)"
		if c.BaggageKey, err = pluginconfig.String(filterName, "baggageKey", v, maxBaggageKeyBytes, allowed, pluginconfig.IsToken); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["trust"]; ok {
		if c.Mode == ModeOutbound {
			return Config{}, cfgErr("trust", "a trust section in mode \"outbound\"", `no "trust" in mode "outbound" (the marker comes from the local workload); use mode "inbound" or "edge" to check trust`)
		}
		if err := c.parseTrust(v); err != nil {
			return Config{}, err
		}
	}
	for _, name := range policyFields {
		if _, ok := fields[name]; ok && c.Mode == ModeInbound {
			return Config{}, cfgErr(name, "a destination-policy field in mode \"inbound\"", `no "participants", "mutatingMethods", "refuse", "reroute" or "ack" in mode "inbound" (an inbound filter cannot change where a request went); use mode "outbound" or "edge"`)
		}
	}
	if c.Mode != ModeInbound {
		if err := c.parsePolicy(fields); err != nil {
			return Config{}, err
		}
	}
	if err := c.checkDistinctHeaders(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// WithDirection returns the configuration a filter applies on a listener of the given direction (Envoy's
// xds.listener_direction): c itself when it names a mode, otherwise c with mode inbound (1) or outbound
// (2). ok is false for any other direction (a gateway's listeners have none): c is returned unchanged, and
// Decide then refuses marked requests, since it cannot tell which check applies.
func (c Config) WithDirection(direction int64) (cfg Config, ok bool) {
	if c.Mode != ModeUnset {
		return c, true
	}
	switch direction {
	case proxyhost.DirectionInbound:
		c.Mode = ModeInbound
	case proxyhost.DirectionOutbound:
		c.Mode = ModeOutbound
	default:
		return c, false
	}
	c.fromDirection = true
	return c, true
}

func (c *Config) parseTrust(v gjson.Result) error {
	tf, err := objectFields(v, "trust", trustFields)
	if err != nil {
		return err
	}
	if p, ok := tf["principals"]; ok {
		ids, err := pluginconfig.StringList(filterName, "trust.principals", p, maxListEntries,
			"a peer identity, e.g. \"spiffe://cluster.local/ns/synthetics/sa/runner\", or a prefix ending in '*'", principal)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if p, ok := strings.CutSuffix(id, "*"); ok {
				c.Prefixes = append(c.Prefixes, p)
			} else {
				c.Principals = append(c.Principals, id)
			}
		}
	}
	if t, ok := tf["token"]; ok {
		if err := c.parseToken(t); err != nil {
			return err
		}
	}
	return nil
}

// principal reads one entry of trust.principals.
func principal(field string, e gjson.Result) (string, error) {
	const allowed = "a non-empty peer identity of printable ASCII without spaces (e.g. \"spiffe://cluster.local/ns/synthetics/sa/runner\"), at most 512 bytes, with '*' only as the last character to mean a prefix (e.g. \"spiffe://cluster.local/ns/synthetics/*\"), and not \"*\" alone"
	return pluginconfig.String(filterName, field, e, maxEntryBytes, allowed, func(s string) bool {
		for i := 0; i < len(s); i++ {
			if ch := s[i]; ch <= ' ' || ch >= 0x7f || (ch == '*' && i != len(s)-1) {
				return false
			}
		}
		return s != "" && s != "*"
	})
}

func (c *Config) parseToken(t gjson.Result) error {
	if !t.IsObject() { // do not echo the value: it may be the secret itself
		return cfgErr("trust.token", "a JSON "+t.Type.String()+" (value not shown)", "an object with fields "+strings.Join(tokenFields, ", "))
	}
	tf, err := objectFields(t, "trust.token", tokenFields)
	if err != nil {
		return err
	}
	s, ok := tf["secret"]
	if !ok || s.Type != gjson.String || len(s.Str) < minSecretBytes {
		r := "nothing"
		if ok {
			r = "a value that is not a string of at least 16 bytes" // never echo a secret
		}
		return cfgErr("trust.token.secret", r, "a string of at least 16 bytes (e.g. 32 random bytes, hex-encoded)")
	}
	c.secret = []byte(s.Str)
	if v, ok := tf["header"]; ok {
		if c.TokenHeader, err = headerName("trust.token.header", v); err != nil {
			return err
		}
	}
	if v, ok := tf["maxSkew"]; ok {
		if c.MaxSkew, err = pluginconfig.Duration(filterName, "trust.token.maxSkew", v, 0, maxSkewLimit); err != nil {
			return err
		}
	}
	if v, ok := tf["maxLifetime"]; ok {
		if c.MaxLifetime, err = pluginconfig.Duration(filterName, "trust.token.maxLifetime", v, time.Second, maxLifetimeLimit); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) parsePolicy(fields map[string]gjson.Result) error {
	if p, ok := fields["participants"]; ok {
		err := pluginconfig.List(filterName, "participants", p, maxListEntries,
			"a list of rollback-capable destinations: \"host\", \"host:port\" or \"*.suffix\"",
			func(field string, e gjson.Result) error {
				d, err := destination(field, e)
				if err == nil {
					c.Participants = append(c.Participants, d)
				}
				return err
			})
		if err != nil {
			return err
		}
	}
	c.MutatingMethods = defaultMutating
	if m, ok := fields["mutatingMethods"]; ok {
		var err error
		if c.MutatingMethods, err = pluginconfig.Methods(filterName, "mutatingMethods", m); err != nil {
			return err
		}
	}
	_, hasRefuse := fields["refuse"]
	_, hasReroute := fields["reroute"]
	if hasRefuse && hasReroute {
		return cfgErr("reroute", "both \"refuse\" and \"reroute\"", "one of them: \"refuse\" answers locally, \"reroute\" sends the request on with a routing header")
	}
	if v, ok := fields["refuse"]; ok {
		rf, err := objectFields(v, "refuse", refuseFields)
		if err != nil {
			return err
		}
		if s, ok := rf["status"]; ok {
			if c.RefuseStatus, err = pluginconfig.Status(filterName, "refuse.status", s, 400, 599); err != nil {
				return err
			}
		}
		if b, ok := rf["body"]; ok {
			if c.RefuseBody, err = pluginconfig.String(filterName, "refuse.body", b, maxRefuseBodyBytes, "a string of at most 4096 bytes; {id}, {method} and {host} are replaced", nil); err != nil {
				return err
			}
		}
	}
	if v, ok := fields["reroute"]; ok {
		rf, err := objectFields(v, "reroute", rerouteFlds)
		if err != nil {
			return err
		}
		h, ok := rf["header"]
		if !ok {
			return pluginconfig.Missing(filterName, "reroute.header", "the name of the routing header a VirtualService matches, e.g. \"x-laneway-route\"")
		}
		if c.RerouteHeader, err = headerName("reroute.header", h); err != nil {
			return err
		}
		val, ok := rf["value"]
		if !ok {
			return pluginconfig.Missing(filterName, "reroute.value", "the routing header's value, e.g. \"synthetic-stub\"")
		}
		if c.RerouteValue, err = pluginconfig.HeaderValue(filterName, "reroute.value", val, 1, maxRerouteValueBytes); err != nil {
			return err
		}
	}
	if v, ok := fields["ack"]; ok {
		af, err := objectFields(v, "ack", ackFields)
		if err != nil {
			return err
		}
		if h, ok := af["header"]; ok {
			if c.AckHeader, err = headerName("ack.header", h); err != nil {
				return err
			}
		}
		if r, ok := af["required"]; ok {
			if c.AckRequired, err = pluginconfig.Bool(filterName, "ack.required", r); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDistinctHeaders rejects configurations whose header names collide.
func (c *Config) checkDistinctHeaders() error {
	type named struct{ field, name string }
	hs := []named{{"header", c.Header}}
	if c.HasSecret() {
		hs = append(hs, named{"trust.token.header", c.TokenHeader})
	}
	if c.RerouteHeader != "" {
		hs = append(hs, named{"reroute.header", c.RerouteHeader})
	}
	for i := 1; i < len(hs); i++ {
		for j := 0; j < i; j++ {
			if hs[i].name == hs[j].name {
				return cfgErr(hs[i].field, strconv.Quote(hs[i].name), "a header name different from "+hs[j].field)
			}
		}
	}
	return nil
}

// objectFields returns the members of an object, rejecting unknown and duplicate names; path is the
// object's own path ("" for the document).
func objectFields(v gjson.Result, path string, allowed []string) (map[string]gjson.Result, error) {
	out := make(map[string]gjson.Result, len(allowed))
	err := pluginconfig.Object(filterName, path, v, allowed, func(_, name string, val gjson.Result) error {
		out[name] = val
		return nil
	})
	return out, err
}

// headerName reads a header the filter reads or writes itself; baggage is the filter's own, never a marker.
func headerName(field string, v gjson.Result) (string, error) {
	return pluginconfig.HeaderName(filterName, field, v, "baggage")
}

func destination(field string, e gjson.Result) (Destination, error) {
	const allowed = "a lowercase host name (any port), \"host:port\", or \"*.suffix\" (e.g. \"orders\", \"orders.shop.svc.cluster.local:8080\", \"*.sandbox.svc.cluster.local\")"
	if e.Type != gjson.String || e.Str == "" || len(e.Str) > maxEntryBytes {
		return Destination{}, cfgErr(field, pluginconfig.Describe(e), allowed)
	}
	var d Destination
	s := e.Str
	if strings.HasPrefix(s, "*.") {
		d.Suffix = true
		s = s[1:]
	}
	host, port, ok := splitHostPort(s)
	if !ok {
		return Destination{}, cfgErr(field, pluginconfig.Describe(e), allowed)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return Destination{}, cfgErr(field, pluginconfig.Describe(e), allowed)
		}
	}
	start := 0
	if d.Suffix {
		start = 1 // the leading '.'
	}
	if len(host) <= start {
		return Destination{}, cfgErr(field, pluginconfig.Describe(e), allowed)
	}
	for i := start; i < len(host); i++ {
		ch := host[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || (ch == ':' || ch == '[' || ch == ']') && !d.Suffix) {
			return Destination{}, cfgErr(field, pluginconfig.Describe(e), allowed)
		}
	}
	d.Host, d.Port = host, port
	return d, nil
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port"; ok is false for an empty host.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", true
		}
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", false
		}
		return host, rest[1:], true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", s != ""
	}
	if strings.IndexByte(s[:i], ':') >= 0 || i == 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// Summary describes the configuration in one line for the start-up log; it never prints the secret.
func (c *Config) Summary() string {
	var l line
	l.add("mode=", c.Mode.String())
	switch {
	case c.fromDirection:
		l.add(" (from the listener direction)")
	case c.Mode == ModeUnset:
		l.add(" (inbound or outbound from the listener direction, read on the first request)")
	}
	l.add(" header=", c.Header, " baggageKey=", c.BaggageKey)
	if c.Mode != ModeOutbound {
		l.add(" trustedPrincipals=", strconv.Itoa(len(c.Principals)), " trustedPrefixes=", pluginconfig.QuoteList(c.Prefixes))
		if c.HasSecret() {
			l.add(" token=on(header=", c.TokenHeader, " maxSkew=", c.MaxSkew.String(), " maxLifetime=", c.MaxLifetime.String(), " secret=set)")
		} else {
			l.add(" token=off")
		}
		if len(c.Principals) == 0 && len(c.Prefixes) == 0 && !c.HasSecret() {
			l.add(" (no trusted source: every marker is stripped)")
		}
	}
	if c.Mode != ModeInbound {
		ps := make([]string, len(c.Participants))
		for i, p := range c.Participants {
			ps[i] = p.String()
		}
		l.add(" participants=", pluginconfig.QuoteList(ps), " mutatingMethods=", pluginconfig.QuoteList(c.MutatingMethods))
		if c.RerouteHeader != "" {
			l.add(" nonParticipantWrites=reroute(", c.RerouteHeader, ": ", c.RerouteValue, ")")
		} else {
			l.add(" nonParticipantWrites=refuse(", strconv.FormatUint(uint64(c.RefuseStatus), 10), ")")
		}
		if c.AckRequired {
			l.add(" ack=required(", c.AckHeader, ")")
		} else {
			l.add(" ack=off")
		}
	}
	return string(l)
}

// line builds a log line; one call per group of parts keeps the module smaller than string concatenation.
type line []byte

// add stays out of line: inlined at each of Summary's calls, append's growth code took about 5 KB of the module.
//
//go:noinline
func (l *line) add(parts ...string) {
	for _, p := range parts {
		*l = append(*l, p...)
	}
}
