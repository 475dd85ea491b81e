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

// String returns the config and wire spelling of r.
func (r Role) String() string {
	switch r {
	case RolePrimary:
		return "primary"
	case RoleSecondary:
		return "secondary"
	case RoleCandidate:
		return "candidate"
	}
	return "unknown"
}

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

// readUint reads a JSON integer in [lo, hi].
func readUint(p string, v gjson.Result, lo, hi uint64, what string) (uint64, error) {
	n, err := strconv.ParseUint(v.Raw, 10, 64)
	if v.Type != gjson.Number || err != nil || n < lo || n > hi {
		return 0, fieldErr(p, v, "an integer "+what+" from "+strconv.FormatUint(lo, 10)+" to "+strconv.FormatUint(hi, 10))
	}
	return n, nil
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

func (c *Config) readCompare(p string, v gjson.Result) error {
	cc := defaultCompare()
	var hasCluster, hasAuthority bool
	err := readObject(p, v, []field{
		{"role", func(p string, v gjson.Result) error {
			const allowed = "primary, secondary, candidate"
			switch {
			case v.Type != gjson.String:
				return fieldErr(p, v, allowed)
			case v.Str == "primary":
				cc.Role = RolePrimary
			case v.Str == "secondary":
				cc.Role = RoleSecondary
			case v.Str == "candidate":
				cc.Role = RoleCandidate
			default:
				return fieldErr(p, v, allowed)
			}
			return nil
		}},
		{"collector", func(p string, v gjson.Result) error {
			return readObject(p, v, []field{
				{"cluster", func(p string, v gjson.Result) (err error) {
					cc.Cluster, err = clusterName(p, v)
					hasCluster = err == nil
					return err
				}},
				{"authority", func(p string, v gjson.Result) (err error) {
					cc.Authority, err = authorityValue(p, v)
					hasAuthority = err == nil
					return err
				}},
				{"path", func(p string, v gjson.Result) error {
					const rule = `an absolute request path starting with "/" (visible ASCII, at most 256 characters)`
					if v.Type != gjson.String || !strings.HasPrefix(v.Str, "/") || len(v.Str) > 256 {
						return fieldErr(p, v, rule)
					}
					for i := 0; i < len(v.Str); i++ {
						if v.Str[i] <= 0x20 || v.Str[i] >= 0x7f {
							return fieldErr(p, v, rule)
						}
					}
					cc.Path = v.Str
					return nil
				}},
				{"timeoutMs", func(p string, v gjson.Result) error {
					n, err := readUint(p, v, 1, MaxTimeoutMs, "of milliseconds")
					cc.TimeoutMs = uint32(n)
					return err
				}},
			})
		}},
		{"sampleRate", func(p string, v gjson.Result) error {
			f, err := strconv.ParseFloat(v.Raw, 64)
			if v.Type != gjson.Number || err != nil || math.IsNaN(f) || f < 0 || f > 1 {
				return fieldErr(p, v, "a number from 0 to 1 (the fraction of request ids captured; 0.01 = 1 in 100)")
			}
			cc.Sample = uint32(math.Round(f * sampleScale))
			return nil
		}},
		{"headers", func(p string, v gjson.Result) error {
			cc.Headers = nil
			return pluginconfig.List("shadowtag", p, v, MaxCompareHeaders, "an array of response header names to record", func(ip string, it gjson.Result) error {
				if it.Type != gjson.String || it.Str == "" || len(it.Str) > 128 || !pluginconfig.IsToken(it.Str) {
					return fieldErr(ip, it, "a response header name (RFC 9110 token, not a pseudo-header, at most 128 characters)")
				}
				name := strings.ToLower(it.Str)
				for _, h := range cc.Headers {
					if h == name {
						return fieldErr(ip, it, "a header not listed before")
					}
				}
				cc.Headers = append(cc.Headers, name)
				return nil
			})
		}},
		{"bodyLimit", func(p string, v gjson.Result) error {
			n, err := readUint(p, v, 0, MaxBodyLimit, "of bytes")
			cc.BodyLimit = int(n)
			return err
		}},
		{"service", func(p string, v gjson.Result) (err error) {
			cc.Service, err = headerValue(p, v, false, 128)
			if err == nil && strings.ContainsAny(cc.Service, `"\`) {
				return fieldErr(p, v, `a service name without '"' or '\'`)
			}
			return err
		}},
		{"batchSize", func(p string, v gjson.Result) error {
			n, err := readUint(p, v, 1, MaxBatchSize, "of captures per request")
			cc.BatchSize = int(n)
			return err
		}},
		{"shards", func(p string, v gjson.Result) error {
			n, err := readUint(p, v, 1, MaxShards, "of capture shards (each one :authority the collector's consistent hash maps to one replica)")
			cc.Shards = int(n)
			return err
		}},
		{"flushMs", func(p string, v gjson.Result) error {
			n, err := readUint(p, v, MinFlushMs, MaxFlushMs, "of milliseconds")
			cc.FlushMs = uint32(n)
			return err
		}},
	})
	if err != nil {
		return err
	}
	if cc.Role == 0 {
		return fieldErr(p+".role", gjson.Result{}, "primary, secondary, candidate (required)")
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

func compareSummary(b *strings.Builder, cc *CompareConfig) {
	b.WriteString(" compare{role=" + cc.Role.String() + " collector=" + cc.Cluster + " (" + cc.Authority + cc.Path + ")" +
		" sample=" + strconv.FormatFloat(cc.SampleRate(), 'g', -1, 64) + " headers=[" + strings.Join(cc.Headers, ",") + "]" +
		" bodyLimit=" + strconv.Itoa(cc.BodyLimit) + " batch=" + strconv.Itoa(cc.BatchSize) +
		" flush=" + strconv.FormatUint(uint64(cc.FlushMs), 10) + "ms queue<=" + strconv.Itoa(cc.QueueLimit()) + " shards=" + strconv.Itoa(cc.Shards) + "}")
}
