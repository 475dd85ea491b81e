package tenantroute

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/bytewords"
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tidwall/gjson"
)

// Defaults applied when a field is absent from the plugin configuration.
const (
	DefaultTenantHeader      = "x-laneway-tenant"
	DefaultStripHeaderPrefix = "x-laneway-"
	DefaultInvalidLogLimit   = 128
)

// Limits on configuration sizes, so that per-request work stays bounded.
const (
	MaxBaggageKeys     = 8
	MaxAllow           = 4096
	MaxInvalidLogLimit = 4096
	MaxTenantLen       = 253
)

// DefaultBaggageKeys are the baggage keys read when baggageKeys is absent: ours, then Signadot's.
var DefaultBaggageKeys = []string{"laneway-tenant", "sd-routing-key"}

// Carrier names accepted in the carriers field.
const (
	CarrierTracestate = "tracestate"
	CarrierOTBaggage  = "ot-baggage"
	CarrierUberctx    = "uberctx"
)

// Config is the validated tenantroute plugin configuration; build it with ParseConfig.
type Config struct {
	// BaggageKeys are the baggage keys holding the tenant, highest priority first.
	BaggageKeys []string
	// Carriers are extra carriers looked up for each baggage key after baggage itself, in this order.
	Carriers []string
	// Header is an optional plain request header read last ("" = none); never a carrier header (ot-baggage-*, uberctx-*).
	Header string
	// TenantHeader is the output header the routes match.
	TenantHeader string
	// Pattern is a glob (path.Match syntax: * ? [a-z] [^a-z] \x) a tenant must match entirely ("" = DNS label).
	Pattern string
	// Allow, when not empty, is the only set of tenants that are routed.
	Allow []string
	// TrustBoundary strips client-set headers and accepts only allowed tenants (ingress gateway mode).
	TrustBoundary bool
	// StripHeaderPrefix is the prefix of the headers removed at the trust boundary.
	StripHeaderPrefix string
	// StripBaggage makes a trust boundary forward only the tenant it accepted (or none), removing every other
	// tenant member from baggage, the carriers and the plain header.
	StripBaggage bool
	// WorkloadTenant is added to requests carrying no valid tenant ("" = none).
	WorkloadTenant string
	// InvalidLogLimit is how many distinct rejected values are logged (once each) per plugin.
	InvalidLogLimit int

	hasPattern    bool
	allow         map[string]struct{}
	useTracestate bool
	// onlyBaggage: no carrier but baggage, no plain header, no trust boundary, so a request's scan looks for
	// baggage and the output header only (the common sidecar config).
	onlyBaggage    bool
	otNames        []string      // "ot-baggage-<key>" per baggage key, nil when that carrier is off
	uberNames      []string      // "uberctx-<key>" per baggage key, nil when that carrier is off
	otAll, uberAll []string      // "ot-baggage-<key>" and "uberctx-<key>" per baggage key, always
	carrierSources []Source      // configured carriers in order, as sources
	bagKeys        []baggage.Key // BaggageKeys prepared for baggage.LookupKey
	kept           []string      // lower-case names a trust boundary leaves alone (Keeping)
}

// Keeping returns a copy of c whose trust boundary leaves the named headers alone although they start with
// StripHeaderPrefix: headers another role of the same module set or vouched for before tenantroute decides
// (in the combined module, synthetic's accepted marker or a reroute header). Names compare case-insensitively;
// the tenant header is stripped whatever the list says. c itself is not changed.
func (c Config) Keeping(names ...string) Config {
	c.kept = append([]string(nil), names...)
	return c
}

// StripsForPrefix reports whether the trust boundary removes a header named name for its StripHeaderPrefix alone:
// the strips Keeping can leave alone. Baggage, tracestate and the tenant header are removed for what they hold,
// whatever their names begin with.
func (c *Config) StripsForPrefix(name string) bool {
	return c.TrustBoundary && proxyhost.HasPrefixFold(name, c.StripHeaderPrefix) && !headerscan.IsBaggage(name) &&
		!((c.useTracestate || c.stripAll()) && equalFold(name, "tracestate")) && !equalFold(name, c.TenantHeader)
}

// keeps reports whether name is one of the headers Keeping named.
func (c *Config) keeps(name string) bool {
	for _, k := range c.kept {
		if equalFoldAny(name, k) {
			return true
		}
	}
	return false
}

// ConfigError describes one invalid field of the plugin configuration (the error format all laneway
// filters share).
type ConfigError = pluginconfig.Error

func fieldErr(field, got, allowed string) error {
	return &ConfigError{Filter: filterName, Field: field, Got: got, Allowed: allowed}
}

// What the fields take, for error messages.
const (
	wantKey       = "a baggage key (an HTTP token: letters, digits and !#$%&'*+-.^_`|~), 1-128 characters"
	wantTenant    = "a tenant name"
	wantPattern   = "a glob pattern (* ? [a-z] [^a-z] \\x) of at most 1024 bytes, or \"\" for a DNS label"
	maxPatternLen = 1024
)

// carrierNames spells the carriers field's values.
var carrierNames = pluginconfig.Enum{CarrierTracestate, CarrierOTBaggage, CarrierUberctx}

// ParseConfig parses and validates the plugin configuration JSON with the shared vocabulary
// (filters/pluginconfig); empty input yields the defaults.
func ParseConfig(data []byte) (Config, error) {
	c := Config{
		BaggageKeys:       append([]string(nil), DefaultBaggageKeys...),
		TenantHeader:      DefaultTenantHeader,
		StripHeaderPrefix: DefaultStripHeaderPrefix,
		InvalidLogLimit:   DefaultInvalidLogLimit,
	}
	doc, err := pluginconfig.Document(filterName, data)
	if err != nil {
		return Config{}, err
	}
	seen := map[string]bool{}
	err = pluginconfig.Object(filterName, "", doc, fieldNames, func(field, name string, v gjson.Result) error {
		seen[name] = true
		var err error
		switch name {
		case "baggageKeys":
			// Baggage keys are case-sensitive: tokens kept as written.
			c.BaggageKeys, err = pluginconfig.StringList(filterName, field, v, MaxBaggageKeys, wantKey, func(f string, e gjson.Result) (string, error) {
				return pluginconfig.String(filterName, f, e, pluginconfig.MaxHeaderName, wantKey, pluginconfig.IsToken)
			})
		case "carriers":
			c.Carriers, err = pluginconfig.StringList(filterName, field, v, len(carrierNames), carrierNames.Allowed(), func(f string, e gjson.Result) (string, error) {
				n, err := carrierNames.Read(filterName, f, e)
				return carrierNames.Name(n), err
			})
		case "header":
			if v.Type == gjson.String && v.Str == "" {
				c.Header = ""
				break
			}
			c.Header, err = pluginconfig.HeaderName(filterName, field, v)
		case "tenantHeader":
			c.TenantHeader, err = pluginconfig.HeaderName(filterName, field, v)
		case "pattern":
			c.Pattern, err = pluginconfig.String(filterName, field, v, maxPatternLen, wantPattern, nil)
		case "allow":
			c.Allow, err = pluginconfig.StringList(filterName, field, v, MaxAllow, wantTenant, nil)
		case "trustBoundary":
			c.TrustBoundary, err = pluginconfig.Bool(filterName, field, v)
		case "stripHeaderPrefix":
			c.StripHeaderPrefix, err = pluginconfig.HeaderName(filterName, field, v)
		case "stripBaggage":
			c.StripBaggage, err = pluginconfig.Bool(filterName, field, v)
		case "workloadTenant":
			c.WorkloadTenant, err = pluginconfig.String(filterName, field, v, MaxTenantLen, wantTenant+", or \"\" for none", nil)
		case "invalidLogLimit":
			var n uint64
			n, err = pluginconfig.Uint(filterName, field, v, 0, MaxInvalidLogLimit)
			c.InvalidLogLimit = int(n)
		}
		return err
	})
	if err != nil {
		return Config{}, err
	}
	if err := c.compile(seen); err != nil {
		return Config{}, err
	}
	return c, nil
}

// fieldNames lists the accepted fields.
var fieldNames = []string{"allow", "baggageKeys", "carriers", "header", "invalidLogLimit", "pattern",
	"stripBaggage", "stripHeaderPrefix", "tenantHeader", "trustBoundary", "workloadTenant"}

// compile checks cross-field rules and builds the lookup state; seen holds the fields that were given.
func (c *Config) compile(seen map[string]bool) error {
	if c.Pattern != "" {
		// path.Match reports a malformed pattern only when it gets that far, so check it against every
		// prefix shape the matcher could reach: matching the pattern against itself walks all of it.
		if _, err := path.Match(c.Pattern, c.Pattern); err != nil {
			return fieldErr("pattern", strconv.Quote(c.Pattern), "a glob pattern: * ? [a-z] [^a-z] \\x ("+err.Error()+")")
		}
		c.hasPattern = true
	}
	switch c.TenantHeader {
	case "baggage", "tracestate":
		return fieldErr("tenantHeader", strconv.Quote(c.TenantHeader), "a header of its own, not a tenant carrier")
	}
	if c.Header != "" {
		switch {
		case c.Header == c.TenantHeader:
			return fieldErr("header", strconv.Quote(c.Header), "a header other than tenantHeader (the output header is always rewritten)")
		case c.Header == "baggage" || c.Header == "tracestate":
			return fieldErr("header", strconv.Quote(c.Header), "a plain header; list baggage keys in baggageKeys and tracestate in carriers")
		case strings.HasPrefix(c.Header, "ot-baggage-") || strings.HasPrefix(c.Header, "uberctx-"):
			return fieldErr("header", strconv.Quote(c.Header), "a plain header, not an ot-baggage-<key> or uberctx-<key> carrier header; list those in carriers")
		case c.TrustBoundary && strings.HasPrefix(c.Header, c.StripHeaderPrefix):
			return fieldErr("header", strconv.Quote(c.Header), "a header not starting with stripHeaderPrefix "+strconv.Quote(c.StripHeaderPrefix)+" (those are stripped at the trust boundary)")
		}
	}
	if len(c.Carriers) > 0 && len(c.BaggageKeys) == 0 {
		return fieldErr("carriers", pluginconfig.QuoteList(c.Carriers)+" with no baggageKeys", "at least one baggageKeys entry (carriers are looked up by baggage key)")
	}
	if !seen["stripBaggage"] {
		// A boundary that forwards what it rejected is no boundary: stripping is the default there.
		c.StripBaggage = c.TrustBoundary
	}
	if !c.TrustBoundary {
		if seen["stripHeaderPrefix"] {
			return fieldErr("stripHeaderPrefix", strconv.Quote(c.StripHeaderPrefix), "no stripHeaderPrefix unless trustBoundary is true")
		}
		if c.StripBaggage {
			return fieldErr("stripBaggage", "true", "false unless trustBoundary is true")
		}
	}
	for i, t := range c.Allow {
		if !c.Valid(t) {
			return fieldErr("allow["+strconv.Itoa(i)+"]", strconv.Quote(t), c.validationText())
		}
	}
	if len(c.Allow) > 0 {
		c.allow = make(map[string]struct{}, len(c.Allow))
		for _, t := range c.Allow {
			c.allow[t] = struct{}{}
		}
	}
	if c.WorkloadTenant != "" {
		switch {
		case c.TrustBoundary:
			return fieldErr("workloadTenant", strconv.Quote(c.WorkloadTenant), "\"\" when trustBoundary is true (a gateway does not originate calls)")
		case len(c.BaggageKeys) == 0:
			return fieldErr("workloadTenant", strconv.Quote(c.WorkloadTenant), "\"\" when baggageKeys is empty (it travels on as baggageKeys[0])")
		case !c.Valid(c.WorkloadTenant):
			return fieldErr("workloadTenant", strconv.Quote(c.WorkloadTenant), c.validationText())
		case c.allow != nil && !c.Allowed(c.WorkloadTenant):
			return fieldErr("workloadTenant", strconv.Quote(c.WorkloadTenant), "one of the allow list")
		}
	}
	c.bagKeys = make([]baggage.Key, len(c.BaggageKeys))
	for i, k := range c.BaggageKeys {
		c.bagKeys[i] = baggage.MakeKey(k)
	}
	c.carrierSources = c.carrierSources[:0]
	c.otNames, c.uberNames, c.useTracestate = nil, nil, false
	c.otAll, c.uberAll = prefixed("ot-baggage-", c.BaggageKeys), prefixed("uberctx-", c.BaggageKeys)
	for _, car := range c.Carriers {
		switch car {
		case CarrierTracestate:
			c.useTracestate = true
			c.carrierSources = append(c.carrierSources, SourceTracestate)
		case CarrierOTBaggage:
			c.otNames = prefixed("ot-baggage-", c.BaggageKeys)
			c.carrierSources = append(c.carrierSources, SourceOTBaggage)
		case CarrierUberctx:
			c.uberNames = prefixed("uberctx-", c.BaggageKeys)
			c.carrierSources = append(c.carrierSources, SourceUberctx)
		}
	}
	c.onlyBaggage = !c.TrustBoundary && c.Header == "" && !c.useTracestate && c.otNames == nil && c.uberNames == nil
	return nil
}

func prefixed(prefix string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.ToLower(prefix + k)
	}
	return out
}

func (c *Config) validationText() string {
	if !c.hasPattern {
		return "a DNS label: 1-63 characters a-z, 0-9 and '-', starting and ending with a letter or digit"
	}
	return "a value matching pattern " + strconv.Quote(c.Pattern) + " made of 1-" + strconv.Itoa(MaxTenantLen) + " characters A-Z a-z 0-9 - . _ ~"
}

// Valid reports whether t is a well-formed tenant (DNS label, or the custom pattern within the safe alphabet).
func (c *Config) Valid(t string) bool {
	if !c.hasPattern {
		return isDNSLabel(t)
	}
	return c.matchesPattern(t)
}

// matchesPattern is Valid with a pattern (kept out of Valid so that Valid inlines).
func (c *Config) matchesPattern(t string) bool {
	if len(t) == 0 || len(t) > MaxTenantLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		if !isSafe(t[i]) {
			return false
		}
	}
	ok, err := path.Match(c.Pattern, t)
	return ok && err == nil
}

// Allowed reports whether t passes the allow list (always true when no allow list is configured).
func (c *Config) Allowed(t string) bool {
	if c.allow == nil {
		return true
	}
	_, ok := c.allow[t]
	return ok
}

// isDNSLabel reports whether s is an RFC 1123 label: 1-63 of [a-z0-9-], alphanumeric at both ends. Every
// request with a tenant pays for it, so it tests 4 or 8 bytes at a time (the byte loop took a few branches
// per byte in the Go compiler's Wasm code), the ends included: a '-' passes only where the mask says, so
// the first and last byte need no test (and jump) of their own.
func isDNSLabel(s string) bool {
	n := len(s)
	switch {
	case n > 63:
		return false
	case n >= 8:
		// The first and last words (which may overlap each other and the ones between).
		ok := dnsLabelBytes(bytewords.Load64(s, 0), hyphenNotFirst) & dnsLabelBytes(bytewords.Load64(s, n-8), hyphenNotLast)
		for i := 8; i < n-8; i += 8 {
			ok &= dnsLabelBytes(bytewords.Load64(s, i), bytewords.Highs)
		}
		return ok == bytewords.Highs
	case n >= 4:
		// The first and last 4 bytes (which may overlap) as one word: s[0] is its first byte, s[n-1] its last.
		return dnsLabelBytes(uint64(bytewords.Load32(s, 0))|uint64(bytewords.Load32(s, n-4))<<32, hyphenNotFirst&hyphenNotLast) == bytewords.Highs
	case n == 0 || s[0] == '-' || s[n-1] == '-':
		return false
	}
	for i := 0; i < n; i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

// Hyphen masks for dnsLabelBytes: a '-' is allowed in every byte but the first, or the last, of the word.
const (
	hyphenNotFirst = bytewords.Highs &^ 0x80
	hyphenNotLast  = bytewords.Highs &^ (0x80 << 56)
)

// dnsLabelBytes has the high bit of each byte of w set if that byte is a-z, 0-9, or a '-' where hyphens has
// the byte's high bit set; every other bit is clear. For a byte y <= 0x7F, y + (0x80-a) has its high bit set
// if and only if y >= a, and no sum carries into the next byte unless some byte of w is 0x80 or more, whose
// own result is clear anyway (as is any result of a word with such a byte when all must be set).
func dnsLabelBytes(w, hyphens uint64) uint64 {
	return ^w & bytewords.Highs & ((w+(0x80-'a')*bytewords.Ones)&^(w+(0x80-'z'-1)*bytewords.Ones) | // a-z
		(w+(0x80-'0')*bytewords.Ones)&^(w+(0x80-'9'-1)*bytewords.Ones) | // 0-9
		^((w^'-'*bytewords.Ones)+0x7f*bytewords.Ones)&hyphens) // '-': y ^ '-' + 0x7F has its high bit clear
}

// isSafe reports whether b is an RFC 3986 unreserved character: safe in a header, a baggage value and a log line.
func isSafe(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~'
}

// UnsafeWarning returns the start-up warning for a configuration that weakens a trust boundary, or "".
func (c Config) UnsafeWarning() string {
	if c.TrustBoundary && !c.StripBaggage {
		return "stripBaggage is false: UNSAFE: this trust boundary forwards tenants it rejected (baggage, tracestate, " +
			"ot-baggage-/uberctx- headers) and later hops route on them; remove \"stripBaggage\": false unless " +
			"another filter strips them"
	}
	return ""
}

// Summary renders the effective configuration on one line for the start-up log.
func (c Config) Summary() string {
	var b strings.Builder
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "[]"
		}
		return "[" + strings.Join(xs, ",") + "]"
	}
	opt := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	b.WriteString("baggageKeys=" + list(c.BaggageKeys) + " carriers=" + list(c.Carriers) + " header=" + opt(c.Header) + " tenantHeader=" + c.TenantHeader)
	if c.Pattern == "" {
		b.WriteString(" validation=dns-label")
	} else {
		b.WriteString(" validation=pattern:" + strconv.Quote(c.Pattern))
	}
	if len(c.Allow) == 0 {
		b.WriteString(" allow=any")
	} else {
		allow := append([]string(nil), c.Allow...)
		sort.Strings(allow)
		if len(allow) > 10 {
			b.WriteString(" allow=" + strconv.Itoa(len(allow)) + " tenants " + list(allow[:10]) + "...")
		} else {
			b.WriteString(" allow=" + list(allow))
		}
	}
	if c.TrustBoundary {
		b.WriteString(" trustBoundary=on stripHeaderPrefix=" + c.StripHeaderPrefix + " stripBaggage=" + strconv.FormatBool(c.StripBaggage))
		if len(c.Allow) == 0 {
			b.WriteString(" (no allow list: every tenant is rejected)")
		}
		if !c.StripBaggage {
			b.WriteString(" (UNSAFE: rejected tenants travel on to later hops)")
		}
	} else {
		b.WriteString(" trustBoundary=off")
	}
	b.WriteString(" workloadTenant=" + opt(c.WorkloadTenant) + " invalidLogLimit=" + strconv.Itoa(c.InvalidLogLimit))
	return b.String()
}
