package proxy

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/testenv/configdoc"
	"github.com/tidwall/gjson"
)

// Defaults applied when a field is absent.
const (
	DefaultWorkers         = 2
	DefaultAddress         = "127.0.0.1:0"
	DefaultTenantHeader    = "x-laneway-tenant"
	DefaultUpstreamTimeout = 15 * time.Second
	DefaultMirrorTimeout   = 5 * time.Second
	DefaultMaxBodyBytes    = 1 << 20
	MaxWorkers             = 64
	MaxBodyBytes           = 64 << 20
	MaxTimeout             = 10 * time.Minute
)

// ListenerPrefix marks an upstream that is another listener of the same proxy ("listener:svc-b").
const ListenerPrefix = "listener:"

// configName names the mesh configuration in its errors ("mesh config: field ...").
const configName = "mesh"

// Config is a validated local-mesh configuration; build it with Parse or LoadFile. Its json tags are
// the YAML document's field names: the document is decoded into it strictly (configdoc.Decode), each
// type setting its defaults and checking its own fields in its DecodeConfig.
type Config struct {
	// Workers is the number of Envoy workers; each owns one VM per filter.
	Workers int `json:"workers"`
	// Profile is the Envoy generation the VMs emulate: "envoy133" or "envoy139".
	Profile string `json:"profile"`
	// TenantHeader is the header the decision log reports as the tenant.
	TenantHeader string `json:"tenantHeader"`
	// UpstreamTimeout bounds a live request to its upstream.
	UpstreamTimeout time.Duration `json:"upstreamTimeout"`
	// MirrorTimeout bounds each mirrored copy.
	MirrorTimeout time.Duration `json:"mirrorTimeout"`
	// MaxBodyBytes is the largest request or response body buffered (Envoy answers 413 beyond).
	MaxBodyBytes int `json:"maxBodyBytes"`
	// Listeners are served in order.
	Listeners []ListenerConfig `json:"listeners"`
	// Clusters name upstreams the filters reach with dispatch_http_call, as Envoy clusters
	// (e.g. Istio's "outbound|8080||collector.laneway.svc.cluster.local"): name to its
	// endpoints, each host:port or listener:<name>; a call to a cluster of several endpoints
	// goes to one chosen by consistent hash of its :authority (clusters.go).
	Clusters Clusters `json:"clusters"`
}

// ListenerConfig is one listener: an address, a filter chain and routes.
type ListenerConfig struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	Direction string `json:"direction"` // "", "inbound" or "outbound" (reported as xds.listener_direction)
	// Properties are host attributes every filter VM of this listener sees, by dotted path
	// (string values), e.g. connection.uri_san_peer_certificate to model the mTLS peer
	// identity of every connection to this listener.
	Properties map[string]string `json:"properties"`
	Filters    []FilterConfig    `json:"filters"`
	Routes     []RouteConfig     `json:"routes"`
	// Waypoint models an Istio ambient waypoint in front of a service: the filters run on an inbound
	// listener (xds.listener_direction 1) and each request's caller identity, as a ztunnel listener
	// carried it, is the stream's filter_state io.istio.peer_principal.
	Waypoint bool `json:"waypoint"`
	// Identity makes the listener a workload's ztunnel (ambient mode): no filters (ztunnel is L4), and
	// requests it forwards to other listeners carry this identity, as HBONE's mTLS certificate would.
	Identity string `json:"identity"`
}

// Failure strategies, as Istio's WasmPlugin.failStrategy.
const (
	FailClose  = "FAIL_CLOSE"
	FailOpen   = "FAIL_OPEN"
	FailReload = "FAIL_RELOAD"
)

// FilterConfig is one Wasm filter of a chain.
type FilterConfig struct {
	Name string `json:"name"`
	// Wasm is the module path (relative paths are resolved against the config file's folder).
	Wasm string `json:"wasm"`
	// PluginConfig is the plugin configuration handed to proxy_on_configure (JSON).
	PluginConfig ConfigBytes `json:"config"`
	// FailStrategy is FailClose (default: 503 once the VM failed), FailOpen (skip the filter)
	// or FailReload (start a fresh VM for the next stream).
	FailStrategy string `json:"failStrategy"`
}

// ConfigBytes is a filter's plugin configuration as the filter receives it: written in the mesh config
// as an object (sent as its JSON, like WasmPlugin.pluginConfig) or as a string (sent as is).
type ConfigBytes []byte

// RouteConfig is one route; the first route whose match holds wins.
type RouteConfig struct {
	Name string `json:"name"`
	// Match lists alternatives (any may hold); empty means the route matches every request.
	Match    []MatchConfig  `json:"match"`
	Upstream string         `json:"upstream"` // "host:port" or "listener:<name>"
	Mirrors  []MirrorConfig `json:"mirrors"`
}

// MatchConfig is an Istio HTTPMatchRequest subset: every condition given must hold.
type MatchConfig struct {
	Headers        map[string]StringMatch `json:"headers"`
	WithoutHeaders map[string]StringMatch `json:"withoutHeaders"`
	URI            *StringMatch           `json:"uri"`
	Authority      *StringMatch           `json:"authority"`
	Method         *StringMatch           `json:"method"`
}

// StringMatch is Istio's StringMatch: exactly one of Exact, Prefix, Regex; none set means
// "present" (headers only).
type StringMatch struct {
	Exact, Prefix, Regex string
	kind                 matchKind
	re                   *regexp.Regexp
}

type matchKind uint8

const (
	matchPresent matchKind = iota
	matchExact
	matchPrefix
	matchRegex
)

// MirrorConfig is an Istio HTTPMirrorPolicy: where copies go and how many.
type MirrorConfig struct {
	Upstream string `json:"upstream"`
	// Percentage of requests mirrored, 0–100 (default 100).
	Percentage float64 `json:"percentage"`
	// DisableShadowHostSuffix keeps the host unchanged (Envoy >= 1.31, Istio >= 1.28 default).
	DisableShadowHostSuffix bool `json:"disableShadowHostSuffix"`
}

// ConfigError is one invalid field: where, what was received, what is allowed (the error format of
// every laneway configuration; Filter is "mesh").
type ConfigError = pluginconfig.Error

// cfgErr returns the error for the mesh config field: got what was received, allowed what is accepted.
func cfgErr(field, got, allowed string) error {
	return &ConfigError{Filter: configName, Field: field, Got: got, Allowed: allowed}
}

// describe renders a received string for an error: "nothing" when empty (a required field left out).
func describe(s string) string {
	if s == "" {
		return "nothing"
	}
	return "string " + strconv.Quote(s)
}

// LoadFile reads and parses a YAML configuration; relative wasm paths are resolved against the
// file's folder.
func LoadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("mesh config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for i := range c.Listeners {
		for j := range c.Listeners[i].Filters {
			f := &c.Listeners[i].Filters[j]
			if !filepath.IsAbs(f.Wasm) {
				f.Wasm = filepath.Join(dir, f.Wasm)
			}
		}
	}
	return c, nil
}

// Parse parses and validates a YAML (or JSON) configuration.
func Parse(data []byte) (Config, error) {
	js, err := configdoc.ToJSON(data)
	if err != nil {
		var dup *configdoc.DuplicateKeyError
		if errors.As(err, &dup) {
			return Config{}, cfgErr(dup.Path, fmt.Sprintf("the key a second time (line %d, column %d)", dup.Line, dup.Column), "each key once (YAML and JSON readers would silently keep only the last)")
		}
		return Config{}, cfgErr("", "text that is not valid YAML or JSON: "+err.Error(), "a YAML (or JSON) document with a listeners list")
	}
	var c Config
	if err := configdoc.Decode(configName, "", gjson.ParseBytes(js), &c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// DecodeConfig reads the whole document v: the defaults, the fields, then each field's own rule.
func (c *Config) DecodeConfig(name, field string, v gjson.Result) error {
	type plain Config
	p := plain{
		Workers: DefaultWorkers, Profile: "envoy139", TenantHeader: DefaultTenantHeader,
		UpstreamTimeout: DefaultUpstreamTimeout, MirrorTimeout: DefaultMirrorTimeout, MaxBodyBytes: DefaultMaxBodyBytes,
	}
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*c = Config(p)
	if c.Workers < 1 || c.Workers > MaxWorkers {
		return cfgErr("workers", "number "+strconv.Itoa(c.Workers), fmt.Sprintf("an integer from 1 to %d", MaxWorkers))
	}
	if c.Profile != "envoy133" && c.Profile != "envoy139" {
		return cfgErr("profile", describe(c.Profile), "one of envoy133, envoy139")
	}
	if th := v.Get("tenantHeader"); th.Exists() {
		var err error
		if c.TenantHeader, err = pluginconfig.HeaderName(configName, "tenantHeader", th); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		field string
		d     time.Duration
	}{{"upstreamTimeout", c.UpstreamTimeout}, {"mirrorTimeout", c.MirrorTimeout}} {
		if d.d <= 0 || d.d > MaxTimeout {
			return cfgErr(d.field, "duration "+d.d.String(), "a duration such as 500ms or 5s, above 0 and at most 10m")
		}
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > MaxBodyBytes {
		return cfgErr("maxBodyBytes", "number "+strconv.Itoa(c.MaxBodyBytes), fmt.Sprintf("an integer from 0 to %d", MaxBodyBytes))
	}
	if len(c.Listeners) == 0 {
		return cfgErr("listeners", pluginconfig.Describe(v.Get("listeners")), "a list of at least one listener {name, address, filters, routes}")
	}
	return nil
}

// Validate checks the rules that span fields: unique names and resolvable upstreams.
func (c *Config) Validate() error {
	if c.Workers < 1 || c.Workers > MaxWorkers {
		return cfgErr("workers", strconv.Itoa(c.Workers), fmt.Sprintf("an integer from 1 to %d", MaxWorkers))
	}
	if len(c.Listeners) == 0 {
		return cfgErr("listeners", "an empty list", "at least one listener")
	}
	names := map[string]int{}
	for i, l := range c.Listeners {
		if j, dup := names[l.Name]; dup {
			return cfgErr(fmt.Sprintf("listeners[%d].name", i), strconv.Quote(l.Name), fmt.Sprintf("a name not used by listeners[%d]", j))
		}
		names[l.Name] = i
	}
	target := func(field, up string) error {
		if name, ok := strings.CutPrefix(up, ListenerPrefix); ok {
			if _, found := names[name]; !found {
				return cfgErr(field, strconv.Quote(up), "listener:<name> naming one of the listeners: "+strings.Join(sortedKeys(names), ", "))
			}
		}
		return nil
	}
	for _, n := range sortedKeys(c.Clusters) {
		for i, up := range c.Clusters[n] {
			field := clusterField(n)
			if len(c.Clusters[n]) > 1 {
				field = fmt.Sprintf("%s[%d]", field, i)
			}
			if err := target(field, up); err != nil {
				return err
			}
		}
	}
	for i, l := range c.Listeners {
		for j, r := range l.Routes {
			p := fmt.Sprintf("listeners[%d].routes[%d]", i, j)
			if err := target(p+".upstream", r.Upstream); err != nil {
				return err
			}
			for k, m := range r.Mirrors {
				if err := target(fmt.Sprintf("%s.mirrors[%d].upstream", p, k), m.Upstream); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// DecodeConfig reads one listener at field: the default address, the fields, then their rules.
func (l *ListenerConfig) DecodeConfig(name, field string, v gjson.Result) error {
	type plain ListenerConfig
	p := plain{Address: DefaultAddress}
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*l = ListenerConfig(p)
	if err := checkName(field+".name", l.Name); err != nil {
		return err
	}
	if err := checkHostPort(field+".address", l.Address, true); err != nil {
		return err
	}
	if l.Direction != "" && l.Direction != "inbound" && l.Direction != "outbound" {
		return cfgErr(field+".direction", describe(l.Direction), "one of inbound, outbound")
	}
	if l.Waypoint {
		if l.Direction == "outbound" {
			return cfgErr(field+".direction", `"outbound"`, "inbound or nothing on a waypoint (a waypoint's listener is inbound for all traffic)")
		}
		l.Direction = "inbound"
	}
	if v.Get("identity").Exists() {
		if !identityPattern.MatchString(l.Identity) {
			return cfgErr(field+".identity", describe(l.Identity), "a SPIFFE id such as spiffe://cluster.local/ns/shop/sa/svc-a")
		}
		if l.Waypoint {
			return cfgErr(field+".identity", strconv.Quote(l.Identity), "no identity on a waypoint (identity makes a listener a workload's ztunnel)")
		}
	}
	if err := checkProperties(field+".properties", l.Properties); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, f := range l.Filters {
		if seen[f.Name] {
			return cfgErr(fmt.Sprintf("%s.filters[%d].name", field, i), strconv.Quote(f.Name), "a name used once per listener")
		}
		seen[f.Name] = true
	}
	if l.Identity != "" && len(l.Filters) > 0 {
		return cfgErr(field+".filters", fmt.Sprintf("%d filters on a ztunnel listener", len(l.Filters)), "none: ztunnel moves bytes (L4); put the filters on the destination's waypoint listener")
	}
	if len(l.Routes) == 0 {
		return cfgErr(field+".routes", pluginconfig.Describe(v.Get("routes")), "a list of at least one route {name, match, upstream, mirrors}")
	}
	for i := range l.Routes {
		if l.Routes[i].Name == "" {
			l.Routes[i].Name = fmt.Sprintf("route-%d", i)
		}
	}
	return nil
}

// proxySetProperties are attributes the proxy derives itself; a listener may not set them.
var proxySetProperties = map[string]string{
	"xds.listener_direction": "direction",
	"xds.listener_name":      "name",
	"plugin_name":            "the filter's name",
	"plugin_root_id":         "the filter's name",
	"plugin_vm_id":           "the filter's name",
}

var propertyPathPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

var identityPattern = regexp.MustCompile(`^spiffe://[!-~]{1,245}$`)

// checkProperties checks a listener's host attributes: dotted lower-case paths the proxy does not set.
func checkProperties(p string, props map[string]string) error {
	for _, key := range sortedKeys(props) {
		kp := fmt.Sprintf("%s[%q]", p, key)
		switch {
		case !propertyPathPattern.MatchString(key) || len(key) > 256:
			return cfgErr(kp, strconv.Quote(key), "an attribute path of dot-separated segments of a-z, 0-9 and _ (e.g. source.principal)")
		case proxySetProperties[key] != "":
			return cfgErr(kp, strconv.Quote(key), "an attribute the proxy does not set itself (it derives "+key+" from the listener's "+proxySetProperties[key]+")")
		case strings.HasPrefix(key, "request.") || strings.HasPrefix(key, "response.") || key == "request" || key == "response":
			return cfgErr(kp, strconv.Quote(key), "an attribute outside request.* and response.* (those come from each stream)")
		}
	}
	return nil
}

// DecodeConfig reads one filter at field: the default fail strategy, the fields, then their rules.
func (fc *FilterConfig) DecodeConfig(name, field string, v gjson.Result) error {
	type plain FilterConfig
	p := plain{FailStrategy: FailClose}
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*fc = FilterConfig(p)
	if err := checkName(field+".name", fc.Name); err != nil {
		return err
	}
	if fc.Wasm == "" {
		return cfgErr(field+".wasm", describe(fc.Wasm), "the path of a .wasm module, e.g. dist/tenantroute.wasm (run `make build` to produce it)")
	}
	switch fc.FailStrategy {
	case FailClose, FailOpen, FailReload:
		return nil
	}
	return cfgErr(field+".failStrategy", describe(fc.FailStrategy), "one of FAIL_CLOSE, FAIL_OPEN, FAIL_RELOAD")
}

// DecodeConfig reads a plugin configuration: an object is sent as its JSON, a string as is.
func (b *ConfigBytes) DecodeConfig(name, field string, v gjson.Result) error {
	switch {
	case v.IsObject():
		*b = ConfigBytes(v.Raw)
	case v.Type == gjson.String:
		*b = ConfigBytes(v.Str)
	default:
		return cfgErr(field, pluginconfig.Describe(v), "an object (sent to the filter as JSON, like WasmPlugin.pluginConfig) or a string sent as is")
	}
	return nil
}

// DecodeConfig reads one route at field: the fields, then the upstream's rule (the proxy names a route
// left unnamed after its index).
func (r *RouteConfig) DecodeConfig(name, field string, v gjson.Result) error {
	type plain RouteConfig
	var p plain
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*r = RouteConfig(p)
	if r.Name != "" {
		if err := checkName(field+".name", r.Name); err != nil {
			return err
		}
	}
	return checkUpstream(field+".upstream", r.Upstream)
}

// DecodeConfig reads one mirror policy at field: the default percentage, the fields, then their rules.
func (m *MirrorConfig) DecodeConfig(name, field string, v gjson.Result) error {
	type plain MirrorConfig
	p := plain{Percentage: 100}
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*m = MirrorConfig(p)
	if err := checkUpstream(field+".upstream", m.Upstream); err != nil {
		return err
	}
	if m.Percentage < 0 || m.Percentage > 100 {
		return cfgErr(field+".percentage", pluginconfig.Describe(v.Get("percentage")), "a number from 0 to 100 (default 100)")
	}
	return nil
}

// DecodeConfig reads one match at field: header names are folded to lower case (a name given twice
// in any case is refused), and uri, authority and method need exactly one of exact, prefix, regex.
func (m *MatchConfig) DecodeConfig(name, field string, v gjson.Result) error {
	type plain MatchConfig
	var p plain
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*m = MatchConfig(p)
	var err error
	if m.Headers, err = foldHeaderNames(field+".headers", m.Headers); err != nil {
		return err
	}
	if m.WithoutHeaders, err = foldHeaderNames(field+".withoutHeaders", m.WithoutHeaders); err != nil {
		return err
	}
	for _, k := range []struct {
		field string
		sm    *StringMatch
	}{{"uri", m.URI}, {"authority", m.Authority}, {"method", m.Method}} {
		if k.sm != nil && k.sm.kind == matchPresent {
			return cfgErr(field+"."+k.field, "object {}", "an object with exactly one of exact, prefix, regex (RE2, whole value)")
		}
	}
	return nil
}

// foldHeaderNames checks the names of a header match map and returns it keyed by lower-case name.
func foldHeaderNames(p string, hs map[string]StringMatch) (map[string]StringMatch, error) {
	if hs == nil {
		return nil, nil
	}
	out := make(map[string]StringMatch, len(hs))
	for _, k := range sortedKeys(hs) {
		hp := fmt.Sprintf("%s[%q]", p, k)
		if !pluginconfig.IsToken(k) {
			return nil, cfgErr(hp, strconv.Quote(k), "an HTTP header name (token characters only)")
		}
		h := strings.ToLower(k)
		if _, dup := out[h]; dup {
			return nil, cfgErr(hp, strconv.Quote(k), "each header name once (names are compared in lower case)")
		}
		out[h] = hs[k]
	}
	return out, nil
}

// DecodeConfig reads a string match at field: an object with at most one of exact, prefix, regex (RE2,
// matching the whole value); {} matches presence, which only a header match takes.
func (sm *StringMatch) DecodeConfig(name, field string, v gjson.Result) error {
	var p struct {
		Exact  *string `json:"exact"`
		Prefix *string `json:"prefix"`
		Regex  *string `json:"regex"`
	}
	if err := configdoc.Decode(name, field, v, &p); err != nil {
		return err
	}
	*sm = StringMatch{}
	n := 0
	if p.Exact != nil {
		sm.Exact, sm.kind, n = *p.Exact, matchExact, n+1
	}
	if p.Prefix != nil {
		sm.Prefix, sm.kind, n = *p.Prefix, matchPrefix, n+1
	}
	if p.Regex != nil {
		re, err := regexp.Compile("^(?:" + *p.Regex + ")$")
		if err != nil {
			return cfgErr(field+".regex", describe(*p.Regex), "an RE2 regular expression ("+err.Error()+")")
		}
		sm.Regex, sm.kind, sm.re, n = *p.Regex, matchRegex, re, n+1
	}
	if n > 1 {
		return cfgErr(field, pluginconfig.Describe(v), "an object with exactly one of exact, prefix, regex (RE2, whole value), or {} to match presence")
	}
	return nil
}

var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)

func checkName(p, s string) error {
	if !namePattern.MatchString(s) {
		return cfgErr(p, describe(s), "a name of 1-63 characters a-z, 0-9, '.', '_', '-', starting and ending with a letter or digit")
	}
	return nil
}

func checkHostPort(p, s string, listen bool) error {
	want := "host:port such as 127.0.0.1:8080"
	if listen {
		want += " (port 0 picks a free port)"
	}
	h, port, err := net.SplitHostPort(s)
	if err != nil || h == "" {
		return cfgErr(p, describe(s), want)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (!listen && n == 0) {
		return cfgErr(p, describe(s), want)
	}
	return nil
}

func checkUpstream(p, s string) error {
	want := "host:port of a running server, or listener:<name> to go through another listener of this mesh"
	if n, ok := strings.CutPrefix(s, ListenerPrefix); ok {
		if !namePattern.MatchString(n) {
			return cfgErr(p, describe(s), want)
		}
		return nil
	}
	if checkHostPort(p, s, false) != nil {
		return cfgErr(p, describe(s), want)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
