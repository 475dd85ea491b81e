package tenantroute

import (
	"slices"
	"strings"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/proxyhost"
)

// Outcome is where a request goes.
type Outcome uint8

// Outcomes of Decide.
const (
	OutcomeBaseline Outcome = iota // no accepted tenant: the baseline service
	OutcomeRouted                  // a tenant carried by the request was accepted
	OutcomeInjected                // the configured workload tenant was added
)

// String returns the outcome's metric label.
func (o Outcome) String() string {
	switch o {
	case OutcomeRouted:
		return "routed"
	case OutcomeInjected:
		return "injected"
	}
	return "baseline"
}

// Source tells where a tenant value came from.
type Source uint8

// Sources of a tenant value.
const (
	SourceNone Source = iota
	SourceBaggage
	SourceTracestate
	SourceOTBaggage
	SourceUberctx
	SourceHeader
	SourceWorkload
)

// String names the source for logs.
func (s Source) String() string {
	switch s {
	case SourceBaggage:
		return "baggage"
	case SourceTracestate:
		return "tracestate"
	case SourceOTBaggage:
		return "ot-baggage"
	case SourceUberctx:
		return "uberctx"
	case SourceHeader:
		return "header"
	case SourceWorkload:
		return "workloadTenant"
	}
	return "none"
}

// Reason tells why a tenant value was rejected.
type Reason uint8

// Reasons for rejecting a tenant value.
const (
	ReasonNone       Reason = iota
	ReasonMalformed         // fails the DNS-label or custom pattern check
	ReasonNotAllowed        // well-formed but absent from the allow list (or no allow list at a trust boundary)
)

// String describes the reason for logs.
func (r Reason) String() string {
	switch r {
	case ReasonMalformed:
		return "malformed"
	case ReasonNotAllowed:
		return "not allowed"
	}
	return "none"
}

// Edit is one request-header mutation (see proxyhost.AppendEdited for what each kind does).
type Edit = proxyhost.Edit

// Decision is the result of Decide; reuse one value across requests to avoid allocating (its scratch memory
// lives here, never on the Config).
type Decision struct {
	// Verdict holds the request-header edits, in order, and Reroute: set whenever there are edits, since
	// the output header or a carrier the routes may match changed.
	proxyhost.Verdict
	// The one-byte fields are next to each other so that reset clears them with one store.
	Outcome Outcome
	// Source is where Tenant came from.
	Source Source
	// RejectedSource and Reason say where Rejected came from and why it was refused.
	RejectedSource Source
	Reason         Reason
	// BaggageFull is set when the tenant could not be appended to baggage without breaking W3C limits.
	BaggageFull bool
	// Tenant is the tenant the request is routed to ("" = baseline).
	Tenant string
	// Key is the baggage key Tenant (or Rejected) was found under, "" for the plain header and workloadTenant.
	Key string
	// Rejected is a tenant value found but refused ("" = none).
	Rejected string
	// Stripped counts client-set headers and tenant members removed at the trust boundary (with a tenant
	// accepted: a baggage value or plain-header copy naming another tenant, and carrier entries).
	Stripped int

	bag, ts     []string
	tenantCount int
	tenantFirst string
	header      string // first copy of the plain header
	headerCount int    // copies of the plain header
	// ot, uber and plain hold the first value of the ot-baggage-<key>, uberctx-<key> and <key> headers per
	// baggage key, otN, uberN and plainN how many copies arrived (plain only at a stripping trust boundary).
	ot, uber, plain    [MaxBaggageKeys]string
	otN, uberN, plainN [MaxBaggageKeys]int
	// carriers: ot, uber or plain (or their counts) hold something; reset clears them only then.
	carriers bool
	// bagBuf and tsBuf hold the rewritten baggage and tracestate headers until the edits are applied (reused in Wasm).
	bagBuf, tsBuf proxyhost.Buf
}

// reset makes d a zero Decision that keeps its buffers. It sets field by field and clears the per-key
// carrier arrays (most of the struct's ~850 bytes) only when a request filled them: every request pays the
// reset, and zeroing the whole struct cost about as much as tenantroute's whole header scan in the Go
// compiler's Wasm code. TestResetLeavesAZeroDecision holds it to a zero Decision.
func (d *Decision) reset() {
	// d.Verdict.Reset(), field by field (TestResetLeavesAZeroDecision names Verdict's fields).
	// The pointer stores first and together: each run of them is one write-barrier test (and jump).
	d.Reply, d.Tenant, d.Key, d.Rejected, d.tenantFirst, d.header = nil, "", "", "", "", ""
	d.Edits, d.Reroute = d.Edits[:0], false
	d.Outcome, d.Source, d.RejectedSource, d.Reason, d.BaggageFull = OutcomeBaseline, SourceNone, SourceNone, ReasonNone, false
	d.Stripped, d.bag, d.ts, d.tenantCount, d.headerCount = 0, d.bag[:0], d.ts[:0], 0, 0
	if d.carriers {
		d.ot, d.uber, d.plain = [MaxBaggageKeys]string{}, [MaxBaggageKeys]string{}, [MaxBaggageKeys]string{}
		d.otN, d.uberN, d.plainN = [MaxBaggageKeys]int{}, [MaxBaggageKeys]int{}, [MaxBaggageKeys]int{}
		d.carriers = false
	}
}

// Decide decides the tenant of a request from its header pairs (names in any case, repeats allowed) and the
// header edits that route it there. It calls no host function and, with d reused, allocates nothing in the
// steady state; the values in d alias headers and d's own buffers until the next Decide.
func (c *Config) Decide(headers [][2]string, d *Decision) { c.DecideOn(headers, nil, nil, d) }

// DecideOn is Decide for a module that has summarised headers in s (headerscan.Scan; bags: the baggage values
// s.Baggage returned), or with s nil. Where the configuration reads only baggage and the tenant header (the
// common sidecar one) and no header name has the tenant header's length, the summary stands for tenantroute's
// own pass over the headers: it found the same baggage headers, in the same order.
//
// Kept out of line: with the build's profile (default.pgo) the compiler inlines hot calls only into functions
// that are still small, so Decide inlined into OnHttpRequestHeaders left its own steps (scan, reset, the
// edits) as calls; out of line they are inlined into it (121 Wasm instructions less per request).
//
//go:noinline
func (c *Config) DecideOn(headers [][2]string, s *headerscan.Summary, bags []string, d *Decision) {
	d.reset()
	if s != nil && c.onlyBaggage && !s.Has(headerscan.LengthBit(len(c.TenantHeader))) {
		if len(bags) == 1 {
			d.bag = append(d.bag, bags[0]) // one string stored, where appending a slice copies with memmove
		} else {
			d.bag = append(d.bag, bags...)
		}
	} else {
		c.scan(headers, d)
	}

	val, src, key := c.find(d)
	if src != SourceNone {
		// c.Valid(val), without its call.
		var valid bool
		if c.hasPattern {
			valid = c.matchesPattern(val)
		} else {
			valid = isDNSLabel(val)
		}
		// Each case stores its two strings together: one write-barrier test.
		switch {
		case !valid:
			d.Rejected, d.Key = val, key
			d.RejectedSource, d.Reason = src, ReasonMalformed
		case !c.Allowed(val) || c.TrustBoundary && c.allow == nil:
			d.Rejected, d.Key = val, key
			d.RejectedSource, d.Reason = src, ReasonNotAllowed
		default:
			d.Tenant, d.Key = val, key
			d.Outcome, d.Source = OutcomeRouted, src
		}
	}
	if d.Tenant == "" && c.WorkloadTenant != "" {
		d.Outcome, d.Tenant, d.Source = OutcomeInjected, c.WorkloadTenant, SourceWorkload
	}

	c.tenantHeaderEdits(d)
	switch {
	case c.TrustBoundary && c.StripBaggage:
		c.onlyAcceptedTenantTravels(d)
	case d.Tenant != "" && d.Source != SourceBaggage && len(c.BaggageKeys) > 0:
		c.carryInBaggage(d)
	}
	d.Reroute = len(d.Edits) > 0
}

// scan walks the headers once, collecting carriers and stripping client-set headers at a trust boundary.
func (c *Config) scan(headers [][2]string, d *Decision) {
	if c.onlyBaggage {
		// What the switch below does when every other case is off, with two comparisons per header
		// instead of nine (each a branch and loads of c's fields in the Go compiler's Wasm code).
		th := c.TenantHeader // loaded once: the appends below could alias c for all the compiler knows
		for i := range headers {
			name := headers[i][0]
			if (len(name)-len("baggage"))*(len(name)-len(th)) != 0 || name[0] == ':' {
				// Neither length: one branch, where the switch below takes a jump per case (names are far
				// shorter than 2^31 bytes, so the product cannot wrap to 0). A pseudo-header (:method and
				// :scheme have baggage's length) is neither name: header names are tokens, without ':'.
				continue
			}
			switch {
			case headerscan.IsBaggage(name):
				d.bag = append(d.bag, headers[i][1])
			case equalFold(name, th):
				d.tenantCount++
				if d.tenantCount == 1 {
					d.tenantFirst = headers[i][1]
				}
			}
		}
		return
	}
	for i := range headers {
		name, val := headers[i][0], headers[i][1]
		if len(name) > 0 && name[0] == ':' {
			// A pseudo-header (:method, :path, ...) is none of the names below: every configured name is an
			// HTTP token, which has no ':'. Four of a typical request's nine headers end here.
			continue
		}
		switch {
		case headerscan.IsBaggage(name):
			d.bag = append(d.bag, val)
		case (c.useTracestate || c.stripAll()) && equalFold(name, "tracestate"):
			d.ts = append(d.ts, val)
		case equalFold(name, c.TenantHeader):
			d.tenantCount++
			if d.tenantCount == 1 {
				d.tenantFirst = val
			}
			if c.TrustBoundary {
				d.strip(name)
			}
		case c.TrustBoundary && proxyhost.HasPrefixFold(name, c.StripHeaderPrefix):
			if !c.keeps(name) {
				d.strip(name)
			}
		case c.Header != "" && equalFold(name, c.Header):
			d.headerCount++
			if d.headerCount == 1 {
				d.header = val
			}
		case (c.otNames != nil || c.stripAll()) && proxyhost.HasPrefixFold(name, "ot-baggage-"):
			c.carrierHeader(d, name, val, len("ot-baggage-"), c.otAll, &d.ot, &d.otN)
		case (c.uberNames != nil || c.stripAll()) && proxyhost.HasPrefixFold(name, "uberctx-"):
			c.carrierHeader(d, name, val, len("uberctx-"), c.uberAll, &d.uber, &d.uberN)
		case c.stripAll():
			// A plain header named after a tenant key (`sd-routing-key: x`) is a carrier too.
			for i, k := range c.BaggageKeys {
				if equalFoldAny(name, k) {
					d.carriers = true
					if d.plainN[i] == 0 {
						d.plain[i] = val
					}
					d.plainN[i]++
					break
				}
			}
		}
	}
}

// stripAll reports whether this is a stripping trust boundary, which removes client copies of tenant keys
// from every carrier laneway knows, configured or not.
func (c *Config) stripAll() bool { return c.TrustBoundary && c.StripBaggage }

// carrierHeader records the first value of a per-key carrier header (ot-baggage-<key>, uberctx-<key>); at a
// stripping trust boundary a header whose key only reads as a tenant key (`uberctx-laneway%2Dtenant`,
// see baggage.KeyReadsAs) is removed.
func (c *Config) carrierHeader(d *Decision, name, val string, prefix int, names []string, vals *[MaxBaggageKeys]string, counts *[MaxBaggageKeys]int) {
	for i, n := range names {
		if equalFold(name, n) {
			d.carriers = true
			if counts[i] == 0 {
				vals[i] = val
			}
			counts[i]++
			return
		}
	}
	if !c.stripAll() {
		return
	}
	for _, k := range c.BaggageKeys {
		if baggage.HeaderKeyReadsAs(name[prefix:], k) {
			d.removeOnce(name)
			return
		}
	}
}

// removeOnce removes every copy of header name, counted as stripped, unless an earlier edit already does.
func (d *Decision) removeOnce(name string) {
	for _, e := range d.Edits {
		if e.Kind == proxyhost.Remove && strings.EqualFold(e.Name, name) {
			return
		}
	}
	d.strip(name)
}

// equalFoldAny compares two header names ASCII case-insensitively.
func equalFoldAny(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (d *Decision) strip(name string) {
	d.edit(proxyhost.Remove, name, "")
	d.Stripped++
}

func (d *Decision) removeN(name string, n int) {
	for ; n > 0; n-- {
		d.edit(proxyhost.Remove, name, "")
	}
}

// edit appends one edit field by field: an Edit literal (40 bytes, too big for the compiler to keep in
// registers) is zeroed on the stack and copied into the slice, which cost about 50 Wasm instructions more.
func (d *Decision) edit(kind proxyhost.Op, name, value string) {
	n := len(d.Edits)
	if n < cap(d.Edits) {
		d.Edits = d.Edits[:n+1]
	} else {
		d.Edits = append(d.Edits, Edit{})
	}
	e := &d.Edits[n]
	e.Kind, e.Name, e.Value = kind, name, value
}

// find returns the highest-priority non-empty tenant value present, or SourceNone.
func (c *Config) find(d *Decision) (val string, src Source, key string) {
	if len(d.bag) > 0 {
		// compile prepared the keys (Config is built with ParseConfig).
		for i := range c.bagKeys {
			k := &c.bagKeys[i]
			if v, ok := baggage.LookupKey(d.bag, k); ok && v != "" {
				return v, SourceBaggage, k.Name()
			}
		}
	}
	for _, s := range c.carrierSources {
		for i, k := range c.BaggageKeys {
			var v string
			switch s {
			case SourceTracestate:
				v, _ = tracestateLookup(d.ts, k)
			case SourceOTBaggage:
				v = d.ot[i]
			case SourceUberctx:
				v = d.uber[i]
			}
			if v != "" {
				return v, s, k
			}
		}
	}
	if d.headerCount > 0 && d.header != "" {
		return d.header, SourceHeader, ""
	}
	return "", SourceNone, ""
}

// tenantHeaderEdits makes the output header hold exactly Tenant, or nothing at baseline.
func (c *Config) tenantHeaderEdits(d *Decision) {
	switch {
	case c.TrustBoundary:
		// Every client-set copy was already stripped by scan.
		if d.Tenant != "" {
			d.edit(proxyhost.Add, c.TenantHeader, d.Tenant)
		}
	case d.Tenant == "":
		d.removeN(c.TenantHeader, d.tenantCount)
	case d.tenantCount == 1 && d.tenantFirst == d.Tenant:
		// Already right: no host call, no route-cache clear.
	case d.tenantCount == 1:
		d.edit(proxyhost.Replace, c.TenantHeader, d.Tenant)
	default:
		d.removeN(c.TenantHeader, d.tenantCount)
		d.edit(proxyhost.Add, c.TenantHeader, d.Tenant)
	}
}

// carryInBaggage writes the tenant as the only tenant member of baggage, so that later hops see it.
func (c *Config) carryInBaggage(d *Decision) {
	next, ok := baggage.AppendSetMember(d.bagBuf.Start(), d.bag, c.BaggageKeys[0], d.Tenant, c.BaggageKeys...)
	if !ok {
		d.BaggageFull = true
	}
	d.setBaggage(d.bagBuf.Finish(next))
}

// onlyAcceptedTenantTravels makes the accepted tenant, if any, the only tenant a stripping trust boundary
// forwards, in every carrier laneway knows whether or not it reads them: baggage, tracestate, the
// ot-baggage-<key> and uberctx-<key> headers, headers named after a key, and the plain header. A member or
// header counts as a tenant copy when any common propagator reads its key as one of baggageKeys
// (baggage.KeyReadsAs). With a tenant accepted, each carrier and key it arrived in (spelled exactly) keeps one
// copy holding the accepted tenant, and baggage always holds it as baggageKeys[0]; every other copy is
// removed. Without one, every copy is removed.
func (c *Config) onlyAcceptedTenantTravels(d *Decision) {
	t := d.Tenant
	switch {
	case len(c.BaggageKeys) == 0:
	case t == "":
		if baggage.MayHoldKeys(d.bag, c.BaggageKeys...) {
			next, removed := baggage.AppendWithoutKeys(d.bagBuf.Start(), d.bag, c.BaggageKeys...)
			v := d.bagBuf.Finish(next)
			if removed {
				d.Stripped++
				d.setBaggage(v)
			}
		}
	default:
		sole, other := tenantMembers(d.bag, c.BaggageKeys, t)
		if other {
			d.Stripped++
		}
		if sole && d.Source == SourceBaggage {
			// Baggage holds exactly `<keys[0]>=<tenant>` and nothing else any propagator reads as a tenant
			// key (tenantMembers compares keys as KeyReadsAs does): forwarded byte for byte, no rebuild.
			break
		}
		next, set := baggage.AppendSetKeys(d.bagBuf.Start(), d.bag, c.BaggageKeys, t)
		if set&1 == 0 {
			// Laneway's own key always travels in baggage; if it cannot (full baggage), the routing header
			// still holds the tenant on this hop.
			if withTenant, ok := baggage.AppendMemberTo(next, c.BaggageKeys[0], t); ok {
				next = withTenant
			} else {
				d.BaggageFull = true
			}
		}
		d.setBaggage(d.bagBuf.Finish(next))
	}
	if d.headerCount > 0 {
		if t != "" && (d.headerCount > 1 || d.header != t) || t == "" {
			d.Stripped++
		}
		d.setHeader(c.Header, t, d.headerCount, d.header)
	}
	if len(d.ts) > 0 && baggage.MayHoldKeys(d.ts, c.BaggageKeys...) {
		next, changed, other := tracestateRewrite(d.tsBuf.Start(), d.ts, c.BaggageKeys, t)
		v := d.tsBuf.Finish(next)
		if changed {
			if other {
				d.Stripped++
			}
			d.setHeader("tracestate", v, len(d.ts), first(d.ts))
		}
	}
	for i := range c.BaggageKeys {
		d.keepOrStrip(c.otAll[i], t, d.otN[i], d.ot[i])
		d.keepOrStrip(c.uberAll[i], t, d.uberN[i], d.uber[i])
		d.keepOrStrip(c.BaggageKeys[i], t, d.plainN[i], d.plain[i])
	}
}

// keepOrStrip makes the n copies of header name (the first is cur) one copy holding tenant, or removes them
// when there is no tenant; a copy that held something else counts as stripped.
func (d *Decision) keepOrStrip(name, tenant string, n int, cur string) {
	if n == 0 {
		return
	}
	if n > 1 || cur != tenant {
		d.Stripped++
	}
	d.setHeader(name, tenant, n, cur)
}

func (d *Decision) setBaggage(next string) { d.setHeader("baggage", next, len(d.bag), first(d.bag)) }

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// setHeader makes header name hold the single value next ("" = remove), given its n current values, the
// first of which is cur.
func (d *Decision) setHeader(name, next string, n int, cur string) {
	switch {
	case next == "":
		d.removeN(name, n)
	case n == 1 && cur == next:
	case n == 1:
		d.edit(proxyhost.Replace, name, next)
	default:
		d.removeN(name, n)
		d.edit(proxyhost.Add, name, next)
	}
}

// tenantMembers looks at the list elements of values whose text before '=' contains one of keys or reads
// as one of them (baggage.KeyReadsAs): tenant members, and malformed elements another parser may read as
// one (OpenTelemetry Go trims Unicode spaces from keys). sole: there is exactly one, `<keys[0]>=<tenant>`.
// other: one of them is not `<key>=<tenant>` for some key of keys.
func tenantMembers(values, keys []string, tenant string) (sole, other bool) {
	if !baggage.MayHoldKeys(values, keys...) {
		return false, false
	}
	n := 0
	for _, v := range values {
		for len(v) > 0 {
			var m string
			m, v = nextListMember(v)
			k, val, _ := strings.Cut(m, "=")
			k, val = baggage.TrimOWS(k), baggage.TrimOWS(val)
			for _, key := range keys {
				if strings.Contains(k, key) || baggage.KeyReadsAs(k, key) {
					if n++; n == 1 {
						sole = k == keys[0] && val == tenant
					}
					other = other || k != key || val != tenant
					break
				}
			}
		}
	}
	return sole && n == 1, other
}

// mentionsAny is a cheap pre-check: does any value contain any key as a substring?
func mentionsAny(values, keys []string) bool {
	for _, k := range keys {
		if baggage.Mentions(values, k) {
			return true
		}
	}
	return false
}

// tracestateLookup returns the value of the first tracestate list member whose key is key.
func tracestateLookup(values []string, key string) (string, bool) {
	for _, v := range values {
		for len(v) > 0 {
			var m string
			m, v = nextListMember(v)
			if len(m) > len(key) && m[len(key)] == '=' && m[:len(key)] == key {
				return m[len(key)+1:], true
			}
		}
	}
	return "", false
}

// tracestateRewrite appends to dst the combined tracestate in which members whose key reads as one of keys
// (baggage.KeyReadsAs) are removed, except, with a tenant, the first member of each key spelled exactly,
// which holds the tenant in its place. changed: the header differs from the members it had; other: a
// removed or rewritten member held something other than tenant.
func tracestateRewrite(dst []byte, values, keys []string, tenant string) (out []byte, changed, other bool) {
	start := len(dst)
	var set uint64
	for _, v := range values {
		for len(v) > 0 {
			var m string
			m, v = nextListMember(v)
			if m == "" {
				changed = true
				continue
			}
			k, val, _ := strings.Cut(m, "=")
			if baggage.ReadsAsAny(baggage.TrimOWS(k), keys) {
				i := slices.Index(keys, k)
				if tenant == "" || i < 0 || i >= 64 || set&(1<<i) != 0 {
					changed, other = true, true
					continue
				}
				set |= 1 << i
				if val != tenant {
					changed, other = true, true
					m = ""
				}
			}
			if len(dst) > start {
				dst = append(dst, ',')
			}
			if m == "" {
				dst = append(append(append(dst, k...), '='), tenant...)
				continue
			}
			dst = append(dst, m...)
		}
	}
	return dst, changed, other
}

// nextListMember splits the first comma-separated member, without optional whitespace, off a list
// header value such as tracestate.
func nextListMember(v string) (member, rest string) {
	member, rest, _ = strings.Cut(v, ",")
	return baggage.TrimOWS(member), rest
}

// equalFold compares an arbitrary header name with a lower-case name, ASCII case-insensitively.
func equalFold(name, lower string) bool {
	return len(name) == len(lower) && proxyhost.HasPrefixFold(name, lower)
}
