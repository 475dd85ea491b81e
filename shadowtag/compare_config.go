package shadowtag

import (
	"math"
	"strconv"
	"strings"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/tidwall/gjson"
)

// Role is which side of a comparison a workload's captures stand for.
type Role uint8

// Roles (see the collector: primary and secondary are live, candidate is the version under test).
const (
	RolePrimary   Role = 1
	RoleSecondary Role = 2
	RoleCandidate Role = 3
)

// roleNames spells the roles in the configuration and on the wire, in the order of their values.
var roleNames = pluginconfig.Enum{"primary", "secondary", "candidate"}

// String returns the config and wire spelling of r ("unset" for 0).
func (r Role) String() string { return roleNames.Name(int(r)) }

// Compare limits and defaults: they bound the memory one plugin holds for captures.
const (
	DefaultCollectorPath = "/v1/captures"
	DefaultTimeoutMs     = 1000
	MaxTimeoutMs         = 60000
	DefaultBodyLimit     = 4096
	MaxBodyLimit         = 64 << 10
	MaxCompareHeaders    = 16
	DefaultBatchSize     = 32
	MaxBatchSize         = 256
	DefaultFlushMs       = 1000
	MinFlushMs           = 10
	MaxFlushMs           = 60000
	// DefaultShards is one batch stream to the collector: every capture reaches the one replica the
	// authority hashes to. MaxShards bounds the per-shard queues and the :authority values.
	DefaultShards = 1
	MaxShards     = 64
	// MaxQueuedBatches is how many full batches may wait while a send is in flight; captures beyond
	// MaxQueuedBatches*BatchSize are dropped (counted), so a slow or down collector costs bounded memory.
	MaxQueuedBatches = 4
	// MaxInFlight is how many batch sends may be outstanding at once.
	MaxInFlight = 2
	// sampleScale is the resolution of sampleRate: the rate is kept in millionths.
	sampleScale = 1_000_000
)

// CompareConfig is the validated compare section: which captures this workload reports and where.
type CompareConfig struct {
	Role      Role
	Cluster   string   // Envoy cluster of the collector (dispatch_http_call)
	Authority string   // :authority of the capture POST
	Path      string   // :path of the capture POST
	TimeoutMs uint32   // dispatch timeout
	Sample    uint32   // sample rate in millionths (0 … 1,000,000)
	Headers   []string // response headers recorded, lower case
	BodyLimit int      // response body bytes recorded
	Service   string   // service name in captures ("" = the plugin root id)
	BatchSize int      // captures per POST
	FlushMs   uint32   // a non-empty batch is sent at least this often
	Shards    int      // batches are grouped by shard (ShardOf); each shard's :authority is ShardAuthority
}

// SampleRate returns the configured rate as a fraction.
func (c *CompareConfig) SampleRate() float64 { return float64(c.Sample) / sampleScale }

// QueueLimit is the most captures the plugin holds queued before it drops new ones: MaxQueuedBatches full
// batches, plus one more batch for every shard beyond the first (captures of different shards never share a
// batch, so each shard must be able to fill one; MaxQueueBytes bounds the memory whatever the count).
func (c *CompareConfig) QueueLimit() int {
	return (MaxQueuedBatches + max(c.Shards, 1) - 1) * c.BatchSize
}

func defaultCompare() *CompareConfig {
	return &CompareConfig{
		Path: DefaultCollectorPath, TimeoutMs: DefaultTimeoutMs, Sample: sampleScale,
		BodyLimit: DefaultBodyLimit, BatchSize: DefaultBatchSize, FlushMs: DefaultFlushMs, Shards: DefaultShards,
	}
}

// clusterName accepts what Envoy and Istio use as cluster names: visible ASCII without blanks or '"'.
func clusterName(p string, v gjson.Result) (string, error) {
	const rule = `an Envoy cluster name (1 to 256 visible ASCII characters, no blanks), e.g. "outbound|8080||collector.laneway.svc.cluster.local"`
	if v.Type != gjson.String || v.Str == "" || len(v.Str) > 256 {
		return "", fieldErr(p, v, rule)
	}
	for i := 0; i < len(v.Str); i++ {
		if c := v.Str[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return "", fieldErr(p, v, rule)
		}
	}
	return v.Str, nil
}

// isPath reports whether s is an absolute request path of visible ASCII.
func isPath(s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// authorityValue accepts host[:port] as a DNS name, IPv4 or bracketed IPv6 literal.
func authorityValue(p string, v gjson.Result) (string, error) {
	const rule = `a host with optional port, e.g. "collector.laneway.svc.cluster.local:8080"`
	if v.Type != gjson.String || v.Str == "" || len(v.Str) > 259 {
		return "", fieldErr(p, v, rule)
	}
	host, port := splitHostPort(v.Str)
	if !validAllowHost(host) || strings.HasPrefix(host, "*.") || port == "" && strings.HasSuffix(v.Str, ":") {
		return "", fieldErr(p, v, rule)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fieldErr(p, v, rule+" (port 1 to 65535)")
		}
	}
	return v.Str, nil
}

// The compare section's fields.
var (
	compareFields   = []string{"role", "collector", "sampleRate", "headers", "bodyLimit", "service", "batchSize", "shards", "flushMs"}
	collectorFields = []string{"cluster", "authority", "path", "timeoutMs"}
)

func (c *Config) readCompare(p string, v gjson.Result) error {
	cc := defaultCompare()
	var hasCluster, hasAuthority bool
	err := pluginconfig.Object(filter, p, v, compareFields, func(p, name string, v gjson.Result) (err error) {
		var n uint64
		switch name {
		case "role":
			var r int
			r, err = roleNames.Read(filter, p, v)
			cc.Role = Role(r)
		case "collector":
			err = pluginconfig.Object(filter, p, v, collectorFields, func(p, name string, v gjson.Result) (err error) {
				switch name {
				case "cluster":
					cc.Cluster, err = clusterName(p, v)
					hasCluster = err == nil
				case "authority":
					cc.Authority, err = authorityValue(p, v)
					hasAuthority = err == nil
				case "path":
					cc.Path, err = pluginconfig.String(filter, p, v, 256, `an absolute request path starting with "/" (visible ASCII, at most 256 characters)`, isPath)
				default:
					n, err = pluginconfig.Uint(filter, p, v, 1, MaxTimeoutMs)
					cc.TimeoutMs = uint32(n)
				}
				return err
			})
		case "sampleRate":
			f, perr := strconv.ParseFloat(v.Raw, 64)
			if v.Type != gjson.Number || perr != nil || math.IsNaN(f) || f < 0 || f > 1 {
				return fieldErr(p, v, "a number from 0 to 1 (the fraction of request ids captured; 0.01 = 1 in 100)")
			}
			cc.Sample = uint32(math.Round(f * sampleScale))
		case "headers":
			cc.Headers, err = pluginconfig.StringList(filter, p, v, MaxCompareHeaders, "a response header name to record",
				func(ip string, it gjson.Result) (string, error) { return pluginconfig.HeaderName(filter, ip, it) })
		case "bodyLimit":
			n, err = pluginconfig.Uint(filter, p, v, 0, MaxBodyLimit)
			cc.BodyLimit = int(n)
		case "service":
			cc.Service, err = pluginconfig.HeaderValue(filter, p, v, 1, 128)
			if err == nil && strings.ContainsAny(cc.Service, `"\`) {
				return fieldErr(p, v, `a service name without '"' or '\'`)
			}
		case "batchSize":
			n, err = pluginconfig.Uint(filter, p, v, 1, MaxBatchSize)
			cc.BatchSize = int(n)
		case "shards":
			n, err = pluginconfig.Uint(filter, p, v, 1, MaxShards)
			cc.Shards = int(n)
		default:
			n, err = pluginconfig.Uint(filter, p, v, MinFlushMs, MaxFlushMs)
			cc.FlushMs = uint32(n)
		}
		return err
	})
	if err != nil {
		return err
	}
	if cc.Role == 0 {
		return pluginconfig.Missing(filter, p+".role", roleNames.Allowed())
	}
	if !hasCluster {
		return fieldErr(p+".collector.cluster", gjson.Result{}, "the collector's Envoy cluster name (required), e.g. \"outbound|8080||collector.laneway.svc.cluster.local\"")
	}
	if !hasAuthority {
		return fieldErr(p+".collector.authority", gjson.Result{}, "the collector's host[:port] (required)")
	}
	if host, _ := splitHostPort(cc.Authority); cc.Shards > 1 && (strings.HasPrefix(host, "[") || isIPv4(host)) {
		return fieldErr(p+".collector.authority", gjson.Parse(strconv.Quote(cc.Authority)),
			"a DNS name when shards > 1 (each shard's batches go out with :authority \"<shard>.<authority>\", which an IP literal cannot take), e.g. the collector Service's name")
	}
	c.Compare = cc
	return nil
}

// isIPv4 reports whether h is a dotted-quad IPv4 literal.
func isIPv4(h string) bool {
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 255 {
			return false
		}
	}
	return true
}

// checkInboundOnly refuses compare and redact where they never run (outbound, edge).
func (c *Config) checkInboundOnly(doc gjson.Result) error {
	if c.Mode != ModeOutbound && c.Mode != ModeEdge {
		return nil
	}
	if c.Compare != nil {
		return fieldErr("compare", doc.Get("compare"), "no compare section in mode "+c.Mode.String()+": captures are taken on the inbound listener (mode inbound or auto)")
	}
	if c.Redact.active() {
		return fieldErr("inbound.redact", doc.Get("inbound.redact"), "no redact section in mode "+c.Mode.String()+": redaction applies to shadow copies on the inbound listener (mode inbound or auto)")
	}
	return nil
}

func compareSummary(l *line, cc *CompareConfig) {
	l.add(" compare{role=", cc.Role.String(), " collector=", cc.Cluster, " (", cc.Authority, cc.Path, ")",
		" sample=", strconv.FormatFloat(cc.SampleRate(), 'g', -1, 64), " headers=[")
	l.list(cc.Headers)
	l.add("] bodyLimit=", strconv.Itoa(cc.BodyLimit), " batch=", strconv.Itoa(cc.BatchSize),
		" flush=", strconv.FormatUint(uint64(cc.FlushMs), 10), "ms queue<=", strconv.Itoa(cc.QueueLimit()), " shards=", strconv.Itoa(cc.Shards), "}")
}
