package proxy

import (
	"errors"
	"fmt"
	"math"
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
)

// ListenerPrefix marks an upstream that is another listener of the same proxy ("listener:svc-b").
const ListenerPrefix = "listener:"

// Config is a validated local-mesh configuration; build it with Parse or LoadFile.
type Config struct {
	// Workers is the number of Envoy workers; each owns one VM per filter.
	Workers int
	// Profile is the Envoy generation the VMs emulate: "envoy133" or "envoy139".
	Profile string
	// TenantHeader is the header the decision log reports as the tenant.
	TenantHeader string
	// UpstreamTimeout bounds a live request to its upstream.
	UpstreamTimeout time.Duration
	// MirrorTimeout bounds each mirrored copy.
	MirrorTimeout time.Duration
	// MaxBodyBytes is the largest request or response body buffered (Envoy answers 413 beyond).
	MaxBodyBytes int
	// Listeners are served in order.
	Listeners []ListenerConfig
	// Clusters name upstreams the filters reach with dispatch_http_call, as Envoy clusters
	// (e.g. Istio's "outbound|8080||collector.laneway.svc.cluster.local"): name to its
	// endpoints, each host:port or listener:<name>; a call to a cluster of several endpoints
	// goes to one chosen by consistent hash of its :authority (clusters.go).
	Clusters map[string][]string
}

// ListenerConfig is one listener: an address, a filter chain and routes.
type ListenerConfig struct {
	Name      string
	Address   string
	Direction string // "", "inbound" or "outbound" (reported as xds.listener_direction)
	// Properties are host attributes every filter VM of this listener sees, by dotted path
	// (string values), e.g. connection.uri_san_peer_certificate to model the mTLS peer
	// identity of every connection to this listener.
	Properties map[string]string
	Filters    []FilterConfig
	Routes     []RouteConfig
	// Waypoint models an Istio ambient waypoint in front of a service: the filters run on an inbound
	// listener (xds.listener_direction 1) and each request's caller identity, as a ztunnel listener
	// carried it, is the stream's filter_state io.istio.peer_principal.
	Waypoint bool
	// Identity makes the listener a workload's ztunnel (ambient mode): no filters (ztunnel is L4), and
	// requests it forwards to other listeners carry this identity, as HBONE's mTLS certificate would.
	Identity string
}

// Failure strategies, as Istio's WasmPlugin.failStrategy.
const (
	FailClose  = "FAIL_CLOSE"
	FailOpen   = "FAIL_OPEN"
	FailReload = "FAIL_RELOAD"
)

// FilterConfig is one Wasm filter of a chain.
type FilterConfig struct {
	Name string
	// Wasm is the module path (relative paths are resolved against the config file's folder).
	Wasm string
	// PluginConfig is the plugin configuration handed to proxy_on_configure (JSON).
	PluginConfig []byte
	// FailStrategy is FailClose (default: 503 once the VM failed), FailOpen (skip the filter)
	// or FailReload (start a fresh VM for the next stream).
	FailStrategy string
}

// RouteConfig is one route; the first route whose match holds wins.
type RouteConfig struct {
	Name string
	// Match lists alternatives (any may hold); empty means the route matches every request.
	Match    []MatchConfig
	Upstream string // "host:port" or "listener:<name>"
	Mirrors  []MirrorConfig
}

// MatchConfig is an Istio HTTPMatchRequest subset: every condition given must hold.
type MatchConfig struct {
	Headers        map[string]StringMatch
	WithoutHeaders map[string]StringMatch
	URI            *StringMatch
	Authority      *StringMatch
	Method         *StringMatch
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
	Upstream string
	// Percentage of requests mirrored, 0–100 (default 100).
	Percentage float64
	// DisableShadowHostSuffix keeps the host unchanged (Envoy >= 1.31, Istio >= 1.28 default).
	DisableShadowHostSuffix bool
}

// ConfigError is one invalid field: where, what was received, what is allowed.
type ConfigError struct {
	Field string // path such as listeners[0].routes[1].upstream; "" for the document
	Got   string
	Want  string
}

// Error renders e on one line.
func (e *ConfigError) Error() string {
	f := e.Field
	if f == "" {
		f = "(document)"
	}
	return fmt.Sprintf("mesh config: %s: got %s; want %s", f, e.Got, e.Want)
}

func cfgErr(field, got, want string) error { return &ConfigError{Field: field, Got: got, Want: want} }

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
	doc := gjson.ParseBytes(js)
	fields, err := object(doc, "", "workers", "profile", "tenantHeader", "upstreamTimeout", "mirrorTimeout", "maxBodyBytes", "listeners", "clusters")
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Workers: DefaultWorkers, Profile: "envoy139", TenantHeader: DefaultTenantHeader,
		UpstreamTimeout: DefaultUpstreamTimeout, MirrorTimeout: DefaultMirrorTimeout, MaxBodyBytes: DefaultMaxBodyBytes,
	}
	if v, ok := fields["workers"]; ok {
		if c.Workers, err = integer("workers", v, 1, MaxWorkers); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["profile"]; ok {
		if c.Profile, err = oneOf("profile", v, "envoy133", "envoy139"); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["tenantHeader"]; ok {
		if c.TenantHeader, err = headerName("tenantHeader", v); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["upstreamTimeout"]; ok {
		if c.UpstreamTimeout, err = duration("upstreamTimeout", v); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["mirrorTimeout"]; ok {
		if c.MirrorTimeout, err = duration("mirrorTimeout", v); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["maxBodyBytes"]; ok {
		if c.MaxBodyBytes, err = integer("maxBodyBytes", v, 0, 64<<20); err != nil {
			return Config{}, err
		}
	}
	if v, ok := fields["clusters"]; ok {
		if c.Clusters, err = parseClusters("clusters", v); err != nil {
			return Config{}, err
		}
	}
	ls, ok := fields["listeners"]
	if !ok {
		return Config{}, cfgErr("listeners", "nothing", "a list of at least one listener {name, address, filters, routes}")
	}
	items, err := list("listeners", ls, 1)
	if err != nil {
		return Config{}, err
	}
	for i, it := range items {
		l, err := parseListener(fmt.Sprintf("listeners[%d]", i), it)
		if err != nil {
			return Config{}, err
		}
		c.Listeners = append(c.Listeners, l)
	}
	return c, c.Validate()
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
			field := "clusters." + n
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

func parseListener(p string, v gjson.Result) (ListenerConfig, error) {
	f, err := object(v, p+".", "name", "address", "direction", "properties", "filters", "routes", "waypoint", "identity")
	if err != nil {
		return ListenerConfig{}, err
	}
	l := ListenerConfig{Address: DefaultAddress}
	if l.Name, err = name(p+".name", f["name"], true); err != nil {
		return l, err
	}
	if a, ok := f["address"]; ok {
		if l.Address, err = hostPort(p+".address", a, true); err != nil {
			return l, err
		}
	}
	if d, ok := f["direction"]; ok {
		if l.Direction, err = oneOf(p+".direction", d, "inbound", "outbound"); err != nil {
			return l, err
		}
	}
	if wv, ok := f["waypoint"]; ok {
		if wv.Type != gjson.True && wv.Type != gjson.False {
			return l, cfgErr(p+".waypoint", pluginconfig.Describe(wv), "true or false")
		}
		l.Waypoint = wv.Bool()
		if l.Waypoint && l.Direction == "outbound" {
			return l, cfgErr(p+".direction", `"outbound"`, "inbound or nothing on a waypoint (a waypoint's listener is inbound for all traffic)")
		}
		if l.Waypoint {
			l.Direction = "inbound"
		}
	}
	if iv, ok := f["identity"]; ok {
		if iv.Type != gjson.String || !identityPattern.MatchString(iv.String()) {
			return l, cfgErr(p+".identity", pluginconfig.Describe(iv), "a SPIFFE id such as spiffe://cluster.local/ns/shop/sa/svc-a")
		}
		if l.Waypoint {
			return l, cfgErr(p+".identity", strconv.Quote(iv.String()), "no identity on a waypoint (identity makes a listener a workload's ztunnel)")
		}
		l.Identity = iv.String()
	}
	if pv, ok := f["properties"]; ok {
		if l.Properties, err = properties(p+".properties", pv); err != nil {
			return l, err
		}
	}
	if fs, ok := f["filters"]; ok {
		items, err := list(p+".filters", fs, 0)
		if err != nil {
			return l, err
		}
		seen := map[string]bool{}
		for i, it := range items {
			fc, err := parseFilter(fmt.Sprintf("%s.filters[%d]", p, i), it)
			if err != nil {
				return l, err
			}
			if seen[fc.Name] {
				return l, cfgErr(fmt.Sprintf("%s.filters[%d].name", p, i), strconv.Quote(fc.Name), "a name used once per listener")
			}
			seen[fc.Name] = true
			l.Filters = append(l.Filters, fc)
		}
		if l.Identity != "" && len(l.Filters) > 0 {
			return l, cfgErr(p+".filters", fmt.Sprintf("%d filters on a ztunnel listener", len(l.Filters)), "none: ztunnel moves bytes (L4); put the filters on the destination's waypoint listener")
		}
	}
	rs, ok := f["routes"]
	if !ok {
		return l, cfgErr(p+".routes", "nothing", "a list of at least one route {name, match, upstream, mirrors}")
	}
	items, err := list(p+".routes", rs, 1)
	if err != nil {
		return l, err
	}
	for i, it := range items {
		r, err := parseRoute(fmt.Sprintf("%s.routes[%d]", p, i), i, it)
		if err != nil {
			return l, err
		}
		l.Routes = append(l.Routes, r)
	}
	return l, nil
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

// properties reads a listener's host attributes: dotted lower-case paths to string values.
func properties(p string, v gjson.Result) (map[string]string, error) {
	if !v.IsObject() {
		return nil, cfgErr(p, pluginconfig.Describe(v), "a map of attribute path to string value, e.g. {connection.uri_san_peer_certificate: spiffe://cluster.local/ns/shop/sa/svc-a}")
	}
	out := map[string]string{}
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		key := k.String()
		kp := fmt.Sprintf("%s[%q]", p, key)
		switch {
		case !propertyPathPattern.MatchString(key) || len(key) > 256:
			err = cfgErr(kp, strconv.Quote(key), "an attribute path of dot-separated segments of a-z, 0-9 and _ (e.g. source.principal)")
		case proxySetProperties[key] != "":
			err = cfgErr(kp, strconv.Quote(key), "an attribute the proxy does not set itself (it derives "+key+" from the listener's "+proxySetProperties[key]+")")
		case strings.HasPrefix(key, "request.") || strings.HasPrefix(key, "response.") || key == "request" || key == "response":
			err = cfgErr(kp, strconv.Quote(key), "an attribute outside request.* and response.* (those come from each stream)")
		case val.Type != gjson.String:
			err = cfgErr(kp, pluginconfig.Describe(val), "a string value")
		default:
			out[key] = val.String()
			return true
		}
		return false
	})
	return out, err
}

func parseFilter(p string, v gjson.Result) (FilterConfig, error) {
	f, err := object(v, p+".", "name", "wasm", "config", "failStrategy")
	if err != nil {
		return FilterConfig{}, err
	}
	fc := FilterConfig{FailStrategy: FailClose}
	if fc.Name, err = name(p+".name", f["name"], true); err != nil {
		return fc, err
	}
	w, ok := f["wasm"]
	if !ok || w.Type != gjson.String || w.String() == "" {
		return fc, cfgErr(p+".wasm", pluginconfig.Describe(w), "the path of a .wasm module, e.g. dist/tenantroute.wasm (run `make build` to produce it)")
	}
	fc.Wasm = w.String()
	if c, ok := f["config"]; ok {
		switch {
		case c.IsObject():
			fc.PluginConfig = []byte(c.Raw)
		case c.Type == gjson.String:
			fc.PluginConfig = []byte(c.String())
		default:
			return fc, cfgErr(p+".config", pluginconfig.Describe(c), "an object (sent to the filter as JSON, like WasmPlugin.pluginConfig) or a string sent as is")
		}
	}
	if s, ok := f["failStrategy"]; ok {
		if fc.FailStrategy, err = oneOf(p+".failStrategy", s, FailClose, FailOpen, FailReload); err != nil {
			return fc, err
		}
	}
	return fc, nil
}

func parseRoute(p string, idx int, v gjson.Result) (RouteConfig, error) {
	f, err := object(v, p+".", "name", "match", "upstream", "mirrors")
	if err != nil {
		return RouteConfig{}, err
	}
	r := RouteConfig{Name: fmt.Sprintf("route-%d", idx)}
	if n, ok := f["name"]; ok {
		if r.Name, err = name(p+".name", n, true); err != nil {
			return r, err
		}
	}
	if m, ok := f["match"]; ok {
		items, err := list(p+".match", m, 0)
		if err != nil {
			return r, err
		}
		for i, it := range items {
			mc, err := parseMatch(fmt.Sprintf("%s.match[%d]", p, i), it)
			if err != nil {
				return r, err
			}
			r.Match = append(r.Match, mc)
		}
	}
	if r.Upstream, err = upstream(p+".upstream", f["upstream"]); err != nil {
		return r, err
	}
	if ms, ok := f["mirrors"]; ok {
		items, err := list(p+".mirrors", ms, 0)
		if err != nil {
			return r, err
		}
		for i, it := range items {
			mp := fmt.Sprintf("%s.mirrors[%d]", p, i)
			mf, err := object(it, mp+".", "upstream", "percentage", "disableShadowHostSuffix")
			if err != nil {
				return r, err
			}
			mc := MirrorConfig{Percentage: 100}
			if mc.Upstream, err = upstream(mp+".upstream", mf["upstream"]); err != nil {
				return r, err
			}
			if pc, ok := mf["percentage"]; ok {
				if pc.Type != gjson.Number || pc.Float() < 0 || pc.Float() > 100 || math.IsNaN(pc.Float()) {
					return r, cfgErr(mp+".percentage", pluginconfig.Describe(pc), "a number from 0 to 100 (default 100)")
				}
				mc.Percentage = pc.Float()
			}
			if d, ok := mf["disableShadowHostSuffix"]; ok {
				if d.Type != gjson.True && d.Type != gjson.False {
					return r, cfgErr(mp+".disableShadowHostSuffix", pluginconfig.Describe(d), "true or false")
				}
				mc.DisableShadowHostSuffix = d.Bool()
			}
			r.Mirrors = append(r.Mirrors, mc)
		}
	}
	return r, nil
}

func parseMatch(p string, v gjson.Result) (MatchConfig, error) {
	f, err := object(v, p+".", "headers", "withoutHeaders", "uri", "authority", "method")
	if err != nil {
		return MatchConfig{}, err
	}
	var m MatchConfig
	headers := func(field string) (map[string]StringMatch, error) {
		hv, ok := f[field]
		if !ok {
			return nil, nil
		}
		if !hv.IsObject() {
			return nil, cfgErr(p+"."+field, pluginconfig.Describe(hv), "a map of header name to {exact|prefix|regex: value}, or {} for presence")
		}
		out := map[string]StringMatch{}
		var err error
		hv.ForEach(func(k, val gjson.Result) bool {
			hp := fmt.Sprintf("%s.%s[%q]", p, field, k.String())
			h := strings.ToLower(k.String())
			if !pluginconfig.IsToken(h) {
				err = cfgErr(hp, strconv.Quote(k.String()), "an HTTP header name (token characters only)")
				return false
			}
			var sm StringMatch
			if sm, err = stringMatch(hp, val, true); err != nil {
				return false
			}
			out[h] = sm
			return true
		})
		return out, err
	}
	if m.Headers, err = headers("headers"); err != nil {
		return m, err
	}
	if m.WithoutHeaders, err = headers("withoutHeaders"); err != nil {
		return m, err
	}
	for _, k := range []struct {
		field string
		dst   **StringMatch
	}{{"uri", &m.URI}, {"authority", &m.Authority}, {"method", &m.Method}} {
		if sv, ok := f[k.field]; ok {
			sm, err := stringMatch(p+"."+k.field, sv, false)
			if err != nil {
				return m, err
			}
			*k.dst = &sm
		}
	}
	return m, nil
}

func stringMatch(p string, v gjson.Result, presenceOK bool) (StringMatch, error) {
	want := "an object with exactly one of exact, prefix, regex (RE2, whole value)"
	if presenceOK {
		want += ", or {} to match presence"
	}
	f, err := object(v, p+".", "exact", "prefix", "regex")
	if err != nil {
		return StringMatch{}, err
	}
	if len(f) > 1 {
		return StringMatch{}, cfgErr(p, pluginconfig.Describe(v), want)
	}
	var sm StringMatch
	for k, val := range f {
		if val.Type != gjson.String {
			return sm, cfgErr(p+"."+k, pluginconfig.Describe(val), "a string")
		}
		switch k {
		case "exact":
			sm.Exact, sm.kind = val.String(), matchExact
		case "prefix":
			sm.Prefix, sm.kind = val.String(), matchPrefix
		case "regex":
			re, err := regexp.Compile("^(?:" + val.String() + ")$")
			if err != nil {
				return sm, cfgErr(p+".regex", pluginconfig.Describe(val), "an RE2 regular expression ("+err.Error()+")")
			}
			sm.Regex, sm.kind, sm.re = val.String(), matchRegex, re
		}
	}
	if len(f) == 0 && !presenceOK {
		return sm, cfgErr(p, "{}", want)
	}
	return sm, nil
}

// object returns v's members, rejecting anything but an object with the allowed fields.
func object(v gjson.Result, prefix string, allowed ...string) (map[string]gjson.Result, error) {
	field := strings.TrimSuffix(prefix, ".")
	if !v.IsObject() {
		return nil, cfgErr(field, pluginconfig.Describe(v), "an object with fields "+strings.Join(allowed, ", "))
	}
	out := map[string]gjson.Result{}
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		n := k.String()
		if !contains(allowed, n) {
			err = cfgErr(prefix+n, "an unknown field", "one of "+strings.Join(allowed, ", "))
			return false
		}
		out[n] = val
		return true
	})
	return out, err
}

func list(p string, v gjson.Result, min int) ([]gjson.Result, error) {
	if !v.IsArray() {
		return nil, cfgErr(p, pluginconfig.Describe(v), "a list")
	}
	items := v.Array()
	if len(items) < min {
		return nil, cfgErr(p, "an empty list", fmt.Sprintf("at least %d entry", min))
	}
	return items, nil
}

var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`)

func name(p string, v gjson.Result, required bool) (string, error) {
	want := "a name of 1-63 characters a-z, 0-9, '.', '_', '-', starting and ending with a letter or digit"
	if !v.Exists() && required {
		return "", cfgErr(p, "nothing", want)
	}
	if v.Type != gjson.String || !namePattern.MatchString(v.String()) {
		return "", cfgErr(p, pluginconfig.Describe(v), want)
	}
	return v.String(), nil
}

func hostPort(p string, v gjson.Result, listen bool) (string, error) {
	want := "host:port such as 127.0.0.1:8080"
	if listen {
		want += " (port 0 picks a free port)"
	}
	if v.Type != gjson.String {
		return "", cfgErr(p, pluginconfig.Describe(v), want)
	}
	h, port, err := net.SplitHostPort(v.String())
	if err != nil || h == "" {
		return "", cfgErr(p, pluginconfig.Describe(v), want)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (!listen && n == 0) {
		return "", cfgErr(p, pluginconfig.Describe(v), want)
	}
	return v.String(), nil
}

func upstream(p string, v gjson.Result) (string, error) {
	want := "host:port of a running server, or listener:<name> to go through another listener of this mesh"
	if !v.Exists() {
		return "", cfgErr(p, "nothing", want)
	}
	if v.Type == gjson.String {
		if n, ok := strings.CutPrefix(v.String(), ListenerPrefix); ok {
			if !namePattern.MatchString(n) {
				return "", cfgErr(p, pluginconfig.Describe(v), want)
			}
			return v.String(), nil
		}
	}
	s, err := hostPort(p, v, false)
	if err != nil {
		return "", cfgErr(p, pluginconfig.Describe(v), want)
	}
	return s, nil
}

func oneOf(p string, v gjson.Result, allowed ...string) (string, error) {
	if v.Type != gjson.String || !contains(allowed, v.String()) {
		return "", cfgErr(p, pluginconfig.Describe(v), "one of "+strings.Join(allowed, ", "))
	}
	return v.String(), nil
}

func integer(p string, v gjson.Result, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v.Raw)
	if v.Type != gjson.Number || err != nil || n < lo || n > hi {
		return 0, cfgErr(p, pluginconfig.Describe(v), fmt.Sprintf("an integer from %d to %d", lo, hi))
	}
	return n, nil
}

func duration(p string, v gjson.Result) (time.Duration, error) {
	want := "a duration such as 500ms or 5s, above 0 and at most 10m"
	if v.Type != gjson.String {
		return 0, cfgErr(p, pluginconfig.Describe(v), want)
	}
	d, err := time.ParseDuration(v.String())
	if err != nil || d <= 0 || d > 10*time.Minute {
		return 0, cfgErr(p, pluginconfig.Describe(v), want)
	}
	return d, nil
}

func headerName(p string, v gjson.Result) (string, error) {
	if v.Type != gjson.String || !pluginconfig.IsToken(v.String()) || strings.ToLower(v.String()) != v.String() {
		return "", cfgErr(p, pluginconfig.Describe(v), "a lower-case HTTP header name")
	}
	return v.String(), nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
