package tenantroute

import (
	"fmt"
	"strconv"
	"strings"
)

// scenario is one request through a freshly configured plugin. The table is host-neutral so that the
// Go leg (proxytest) and the Wasm legs (testenv) replay the same cases through TestScenarios (wasm_test.go).
type scenario struct {
	name    string
	config  string      // plugin configuration JSON
	request [][2]string // request headers, lower-case names, in wire order
	want    [][2]string // request headers after the filter, in any order
	counts  counts      // counter values after the request; absent outcomes must be 0
	warn    string      // a substring expected in the warn logs ("" = no warn log at all)
	// waypoint runs the request with a waypoint's host attributes (see waypoint_test.go).
	waypoint bool
}

// counts maps an outcome label (routed, baseline, injected, invalid, stripped) to its counter value.
type counts map[string]uint64

// scenarioHost is the original request shared by many scenarios.
var scenarioHost = [][2]string{{":authority", "svc-b.ns.svc.cluster.local"}, {":method", "GET"}, {":path", "/"}}

func req(extra ...[2]string) [][2]string {
	return append(append([][2]string(nil), scenarioHost...), extra...)
}

func hdr(name, value string) [2]string { return [2]string{name, value} }

const (
	gatewayConfig      = `{"trustBoundary":true,"allow":["acme","globex"]}`
	gatewayStripConfig = `{"trustBoundary":true,"stripBaggage":true,"allow":["acme"],"carriers":["tracestate","ot-baggage","uberctx"]}`
	allCarriersConfig  = `{"carriers":["tracestate","ot-baggage","uberctx"],"header":"x-tenant"}`
	// gatewayStripHeaderConfig is a stripping gateway that also reads the plain header x-tenant.
	gatewayStripHeaderConfig = `{"trustBoundary":true,"stripBaggage":true,"allow":["acme"],"header":"x-tenant"}`
)

// issue17Config is the gateway of issue 17: a stripping trust boundary that reads no carrier but baggage.
const issue17Config = `{"trustBoundary":true,"allow":["acme"],"stripBaggage":true}`

// encodedKeyScenario is a client sending `<key>=evil` where key is a tenant key only after some
// propagator's decoding: the gateway must not forward it.
func encodedKeyScenario(key string) scenario {
	return scenario{
		name:    fmt.Sprintf("a stripping gateway drops %s=evil, which an OpenTelemetry app reads as a tenant key (issue 17, item 1)", key),
		config:  issue17Config,
		request: req(hdr("baggage", "userid=42,"+key+"=evil")),
		want:    req(hdr("baggage", "userid=42")),
		counts:  counts{"baseline": 1, "stripped": 1},
	}
}

// fillerMembers returns n distinct baggage members (no tenant key) joined with commas.
func fillerMembers(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "f%d=1", i)
	}
	return b.String()
}

var scenarios = []scenario{
	// Sidecar (outbound) routing from baggage.
	{
		name:    "a request without any tenant goes to baseline untouched",
		request: req(hdr("baggage", "userid=42")),
		want:    req(hdr("baggage", "userid=42")),
		counts:  counts{"baseline": 1},
	},
	{
		name:    "a laneway-tenant baggage member routes to that tenant",
		request: req(hdr("baggage", "userid=42,laneway-tenant=acme")),
		want:    req(hdr("baggage", "userid=42,laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a Signadot sd-routing-key baggage member routes too",
		request: req(hdr("baggage", "sd-routing-key=feature-x")),
		want:    req(hdr("baggage", "sd-routing-key=feature-x"), hdr("x-laneway-tenant", "feature-x")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "laneway-tenant wins over sd-routing-key",
		request: req(hdr("baggage", "sd-routing-key=signadot,laneway-tenant=acme")),
		want:    req(hdr("baggage", "sd-routing-key=signadot,laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "every baggage header value is read, not just the first",
		request: req(hdr("baggage", "userid=42"), hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("baggage", "userid=42"), hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "blanks and properties around the member are tolerated",
		request: req(hdr("baggage", "a=1 ,\t laneway-tenant = acme ;ttl=30")),
		want:    req(hdr("baggage", "a=1 ,\t laneway-tenant = acme ;ttl=30"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "percent-encoded tenants are decoded before validation",
		request: req(hdr("baggage", "laneway-tenant=%61cme")),
		want:    req(hdr("baggage", "laneway-tenant=%61cme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "an empty tenant member counts as no tenant",
		request: req(hdr("baggage", "laneway-tenant=")),
		want:    req(hdr("baggage", "laneway-tenant=")),
		counts:  counts{"baseline": 1},
	},
	{
		name:    "a malformed tenant goes to baseline and is counted and logged",
		request: req(hdr("baggage", "laneway-tenant=Acme_Corp")),
		want:    req(hdr("baggage", "laneway-tenant=Acme_Corp")),
		counts:  counts{"baseline": 1, "invalid": 1},
		warn:    `"Acme_Corp" from baggage key laneway-tenant (malformed)`,
	},
	{
		name:    "a malformed higher-priority tenant is not replaced by a lower-priority one",
		request: req(hdr("baggage", "laneway-tenant=BAD,sd-routing-key=acme")),
		want:    req(hdr("baggage", "laneway-tenant=BAD,sd-routing-key=acme")),
		counts:  counts{"baseline": 1, "invalid": 1},
		warn:    `"BAD"`,
	},
	{
		name:    "a tenant longer than a DNS label is malformed",
		request: req(hdr("baggage", "laneway-tenant=a123456789012345678901234567890123456789012345678901234567890123")),
		want:    req(hdr("baggage", "laneway-tenant=a123456789012345678901234567890123456789012345678901234567890123")),
		counts:  counts{"baseline": 1, "invalid": 1},
		warn:    "malformed",
	},
	{
		name:    "conflicting copies of the tenant member count as no tenant",
		request: req(hdr("baggage", "laneway-tenant=acme,laneway-tenant=evil")),
		want:    req(hdr("baggage", "laneway-tenant=acme,laneway-tenant=evil")),
		counts:  counts{"baseline": 1},
	},
	{
		name:    "a tenant outside the allow list goes to baseline",
		config:  `{"allow":["acme"]}`,
		request: req(hdr("baggage", "laneway-tenant=globex")),
		want:    req(hdr("baggage", "laneway-tenant=globex")),
		counts:  counts{"baseline": 1, "invalid": 1},
		warn:    `"globex" from baggage key laneway-tenant (not allowed)`,
	},
	{
		name:    "a tenant inside the allow list is routed",
		config:  `{"allow":["acme"]}`,
		request: req(hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a custom pattern replaces the DNS-label check",
		config:  `{"pattern":"[A-Z]*-[0-9]*"}`,
		request: req(hdr("baggage", "laneway-tenant=JIRA-123")),
		want:    req(hdr("baggage", "laneway-tenant=JIRA-123"), hdr("x-laneway-tenant", "JIRA-123")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a custom output header name is honoured",
		config:  `{"tenantHeader":"x-sandbox"}`,
		request: req(hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-sandbox", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "custom baggage keys replace the defaults",
		config:  `{"baggageKeys":["tenant"]}`,
		request: req(hdr("baggage", "laneway-tenant=acme,tenant=globex")),
		want:    req(hdr("baggage", "laneway-tenant=acme,tenant=globex"), hdr("x-laneway-tenant", "globex")),
		counts:  counts{"routed": 1},
	},
	// The output header is always the filter's own.
	{
		name:    "a stale output header forwarded by the app is replaced",
		request: req(hdr("x-laneway-tenant", "old"), hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("x-laneway-tenant", "acme"), hdr("baggage", "laneway-tenant=acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "an output header already right is left alone",
		request: req(hdr("x-laneway-tenant", "acme"), hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("x-laneway-tenant", "acme"), hdr("baggage", "laneway-tenant=acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "an output header without a tenant is removed",
		request: req(hdr("x-laneway-tenant", "acme")),
		want:    req(),
		counts:  counts{"baseline": 1},
	},
	{
		name:    "repeated output headers collapse to the one tenant",
		request: req(hdr("x-laneway-tenant", "a"), hdr("x-laneway-tenant", "b"), hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	// Extra carriers.
	{
		name:    "carriers are ignored unless configured",
		request: req(hdr("tracestate", "sd-routing-key=acme"), hdr("ot-baggage-laneway-tenant", "acme"), hdr("uberctx-laneway-tenant", "acme")),
		want:    req(hdr("tracestate", "sd-routing-key=acme"), hdr("ot-baggage-laneway-tenant", "acme"), hdr("uberctx-laneway-tenant", "acme")),
		counts:  counts{"baseline": 1},
	},
	{
		name:    "a tracestate tenant is routed and carried on in baggage",
		config:  allCarriersConfig,
		request: req(hdr("tracestate", "dd=s:1, sd-routing-key=acme")),
		want:    req(hdr("tracestate", "dd=s:1, sd-routing-key=acme"), hdr("x-laneway-tenant", "acme"), hdr("baggage", "laneway-tenant=acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "an ot-baggage tenant is routed and appended to existing baggage",
		config:  allCarriersConfig,
		request: req(hdr("baggage", "userid=42"), hdr("ot-baggage-laneway-tenant", "acme")),
		want:    req(hdr("baggage", "userid=42,laneway-tenant=acme"), hdr("ot-baggage-laneway-tenant", "acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "an uberctx tenant is routed",
		config:  allCarriersConfig,
		request: req(hdr("uberctx-sd-routing-key", "acme")),
		want:    req(hdr("uberctx-sd-routing-key", "acme"), hdr("x-laneway-tenant", "acme"), hdr("baggage", "laneway-tenant=acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "baggage wins over the other carriers",
		config:  allCarriersConfig,
		request: req(hdr("baggage", "sd-routing-key=acme"), hdr("tracestate", "laneway-tenant=globex"), hdr("x-tenant", "initech")),
		want:    req(hdr("baggage", "sd-routing-key=acme"), hdr("tracestate", "laneway-tenant=globex"), hdr("x-tenant", "initech"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "the plain header is the last resort",
		config:  allCarriersConfig,
		request: req(hdr("x-tenant", "initech")),
		want:    req(hdr("x-tenant", "initech"), hdr("x-laneway-tenant", "initech"), hdr("baggage", "laneway-tenant=initech")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a malformed plain header is counted and logged",
		config:  `{"header":"x-tenant"}`,
		request: req(hdr("x-tenant", "a b")),
		want:    req(hdr("x-tenant", "a b")),
		counts:  counts{"baseline": 1, "invalid": 1},
		warn:    `"a b" from header (malformed)`,
	},
	// Trust boundary (ingress gateway).
	{
		name:    "a gateway strips a client-set output header",
		config:  gatewayConfig,
		request: req(hdr("x-laneway-tenant", "acme")),
		want:    req(),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
	{
		name:    "a gateway strips every client-set x-laneway header",
		config:  gatewayConfig,
		request: req(hdr("x-laneway-shadow", "1"), hdr("x-laneway-synthetic", "1"), hdr("x-other", "kept")),
		want:    req(hdr("x-other", "kept")),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
	{
		name:   "a gateway strips a flood of spoofed headers",
		config: gatewayConfig,
		request: req(hdr("x-laneway-tenant", "a"), hdr("x-laneway-tenant", "b"), hdr("x-laneway-tenant", "c"), hdr("x-laneway-x", "1"),
			hdr("x-laneway-tenant", "d"), hdr("x-laneway-tenant", "e"), hdr("x-laneway-x", "2"), hdr("x-laneway-tenant", "f"),
			hdr("x-laneway-tenant", "g"), hdr("x-laneway-tenant", "h"), hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "i")),
		want:   req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts: counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a gateway routes an allowed baggage tenant and drops the client's header",
		config:  gatewayConfig,
		request: req(hdr("x-laneway-tenant", "globex"), hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a gateway strips a rejected tenant from baggage by default (issue 17, item 3)",
		config:  gatewayConfig,
		request: req(hdr("baggage", "laneway-tenant=initech,userid=42")),
		want:    req(hdr("baggage", "userid=42")),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    `"initech"`,
	},
	{
		name:    "a gateway keeps rejected tenants only when stripBaggage is explicitly false, and warns at start-up",
		config:  `{"trustBoundary":true,"allow":["acme"],"stripBaggage":false,"invalidLogLimit":0}`,
		request: req(hdr("baggage", "laneway-tenant=initech")),
		want:    req(hdr("baggage", "laneway-tenant=initech")),
		counts:  counts{"baseline": 1, "invalid": 1},
		warn:    `stripBaggage is false: UNSAFE`,
	},
	{
		name:    "a gateway without an allow list accepts no tenant and strips it",
		config:  `{"trustBoundary":true}`,
		request: req(hdr("baggage", "laneway-tenant=acme")),
		want:    req(),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    "not allowed",
	},
	{
		name:    "a stripping gateway removes a rejected tenant from baggage and keeps the rest verbatim",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "userid=42, laneway-tenant=initech;p=1,sd-routing-key=x ,session=abc")),
		want:    req(hdr("baggage", "userid=42,session=abc")),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    `"initech"`,
	},
	{
		name:    "a stripping gateway deletes baggage holding only a rejected tenant",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "laneway-tenant=initech")),
		want:    req(),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    `"initech"`,
	},
	{
		name:    "a stripping gateway removes rejected tenants from every carrier",
		config:  gatewayStripConfig,
		request: req(hdr("tracestate", "dd=s:1,laneway-tenant=initech"), hdr("ot-baggage-laneway-tenant", "initech"), hdr("uberctx-sd-routing-key", "x")),
		want:    req(hdr("tracestate", "dd=s:1")),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    `"initech" from tracestate key laneway-tenant`,
	},
	{
		name:    "a stripping gateway keeps an allowed baggage tenant",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "laneway-tenant=acme,userid=42")),
		want:    req(hdr("baggage", "laneway-tenant=acme,userid=42"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a stripping gateway forwards a tenant accepted from another carrier in baggage and in that carrier",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "laneway-tenant=a,laneway-tenant=b,userid=42"), hdr("uberctx-laneway-tenant", "acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme,userid=42"), hdr("uberctx-laneway-tenant", "acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	// A stripping gateway forwards only the tenant it accepted: a later hop (or an OpenTelemetry app)
	// reading any carrier must find that tenant or none.
	{
		name:    "a stripping gateway drops conflicting tenant copies hiding behind an accepted sd-routing-key",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "laneway-tenant=evil0,sd-routing-key=acme"), hdr("baggage", "laneway-tenant=evil")),
		want:    req(hdr("baggage", "laneway-tenant=acme,sd-routing-key=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway drops a tenant member malformed to it but read by OpenTelemetry (trailing U+00A0)",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "userid=42,laneway-tenant=evil\u00a0,sd-routing-key=acme")),
		want:    req(hdr("baggage", "userid=42,sd-routing-key=acme,laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway drops a tenant member beyond the 64-member limit",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "laneway-tenant=acme,laneway-tenant=acme,"+fillerMembers(62)+",laneway-tenant=evil")),
		want:    req(hdr("baggage", "laneway-tenant=acme,"+fillerMembers(62)), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway forwards an accepted sd-routing-key as it came and as laneway-tenant",
		config:  gatewayStripConfig,
		request: req(hdr("baggage", "sd-routing-key=acme,userid=42")),
		want:    req(hdr("baggage", "sd-routing-key=acme,userid=42,laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:   "a stripping gateway makes the tenant entries of the other carriers hold the tenant it accepted from baggage",
		config: gatewayStripConfig,
		request: req(hdr("baggage", "laneway-tenant=acme"), hdr("tracestate", "dd=s:1,sd-routing-key=evil"),
			hdr("ot-baggage-laneway-tenant", "evil"), hdr("uberctx-sd-routing-key", "acme")),
		want: req(hdr("baggage", "laneway-tenant=acme"), hdr("tracestate", "dd=s:1,sd-routing-key=acme"),
			hdr("ot-baggage-laneway-tenant", "acme"), hdr("uberctx-sd-routing-key", "acme"), hdr("x-laneway-tenant", "acme")),
		counts: counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway removes a rejected plain header",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("x-tenant", "evil")),
		want:    req(),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    `"evil" from header (not allowed)`,
	},
	{
		name:    "a stripping gateway removes every copy of the plain header next to a rejected baggage tenant",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("baggage", "laneway-tenant=evil"), hdr("x-tenant", "evil"), hdr("x-tenant", "acme")),
		want:    req(),
		counts:  counts{"baseline": 1, "invalid": 1, "stripped": 1},
		warn:    `"evil" from baggage key laneway-tenant (not allowed)`,
	},
	{
		name:    "a stripping gateway makes the plain header hold the tenant it accepted from baggage",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("baggage", "laneway-tenant=acme"), hdr("x-tenant", "evil")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-tenant", "acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway collapses repeated plain headers to the tenant it accepted from the first",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("x-tenant", "acme"), hdr("x-tenant", "evil")),
		want:    req(hdr("x-tenant", "acme"), hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway accepting the plain header drops the same tenant beyond the baggage limit (baggage full)",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("x-tenant", "acme"), hdr("baggage", fillerMembers(64)+",laneway-tenant=acme")),
		want:    req(hdr("x-tenant", "acme"), hdr("baggage", fillerMembers(64)), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a stripping gateway keeps a plain header tenant it accepted and carries it in baggage",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("x-tenant", "acme"), hdr("baggage", "userid=42")),
		want:    req(hdr("x-tenant", "acme"), hdr("baggage", "userid=42,laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	// Issue 17: what other propagators read. A member is a tenant member if any common propagator
	// (OpenTelemetry JS, Python, Java, Go) reads its key as a tenant key; see filters/baggage/doc.go.
	encodedKeyScenario("laneway%2Dtenant"),
	encodedKeyScenario("laneway%2dtenant"),
	encodedKeyScenario("%6Caneway-tenant"),
	encodedKeyScenario("sd-routing%2Dkey"),
	encodedKeyScenario("laneway-tenant+"),
	encodedKeyScenario("laneway-tenant%20"),
	encodedKeyScenario("%09laneway-tenant%C2%A0"),
	{
		name:    "a stripping gateway drops an encoded evil copy next to the allowed tenant (issue 17, item 1)",
		config:  issue17Config,
		request: req(hdr("baggage", "laneway-tenant=acme,laneway%2Dtenant=evil,userid=42")),
		want:    req(hdr("baggage", "laneway-tenant=acme,userid=42"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a stripping gateway drops an encoded key even when its value is the allowed tenant",
		config:  issue17Config,
		request: req(hdr("baggage", "laneway%2Dtenant=acme,laneway-tenant=acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1, "stripped": 1},
	},
	{
		name:    "a gateway reading no other carrier still strips tenants from tracestate (issue 17, item 2)",
		config:  issue17Config,
		request: req(hdr("tracestate", "dd=s:1,laneway-tenant=evil"), hdr("baggage", "userid=42")),
		want:    req(hdr("tracestate", "dd=s:1"), hdr("baggage", "userid=42")),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
	{
		name:    "a gateway reading no other carrier still strips an sd-routing-key tracestate member",
		config:  issue17Config,
		request: req(hdr("tracestate", "sd-routing-key=evil")),
		want:    req(),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
	{
		name:   "a gateway reading no other carrier still strips ot-baggage- and uberctx- tenant headers",
		config: issue17Config,
		request: req(hdr("ot-baggage-laneway-tenant", "evil"), hdr("uberctx-laneway-tenant", "evil"), hdr("uberctx-sd-routing-key", "evil"),
			hdr("OT-Baggage-SD-Routing-Key", "evil"), hdr("uberctx-laneway%2Dtenant", "evil"), hdr("uberctx-other", "kept")),
		want:   req(hdr("uberctx-other", "kept")),
		counts: counts{"baseline": 1, "stripped": 1},
	},
	{
		name:    "a gateway strips plain headers named after a tenant key",
		config:  issue17Config,
		request: req(hdr("laneway-tenant", "evil"), hdr("sd-routing-key", "evil")),
		want:    req(),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
	{
		name:   "an accepted tenant travels on in every carrier it arrived in, as Signadot's extension sends it (issue 17, item 4)",
		config: issue17Config,
		request: req(hdr("baggage", "sd-routing-key=acme"), hdr("tracestate", "sd-routing-key=acme"),
			hdr("ot-baggage-sd-routing-key", "acme"), hdr("uberctx-sd-routing-key", "acme")),
		want: req(hdr("baggage", "sd-routing-key=acme,laneway-tenant=acme"), hdr("tracestate", "sd-routing-key=acme"),
			hdr("ot-baggage-sd-routing-key", "acme"), hdr("uberctx-sd-routing-key", "acme"), hdr("x-laneway-tenant", "acme")),
		counts: counts{"routed": 1},
	},
	{
		name:   "an accepted tenant replaces other values in the carriers it arrived in, and encoded copies go",
		config: issue17Config,
		request: req(hdr("baggage", "laneway-tenant=acme"), hdr("tracestate", "sd-routing-key=evil,sd-routing%2Dkey=evil"),
			hdr("uberctx-sd-routing-key", "evil"), hdr("uberctx-sd-routing-key", "acme")),
		want: req(hdr("baggage", "laneway-tenant=acme"), hdr("tracestate", "sd-routing-key=acme"),
			hdr("uberctx-sd-routing-key", "acme"), hdr("x-laneway-tenant", "acme")),
		counts: counts{"routed": 1, "stripped": 1},
	},
	// Issue 17, item 5: adding a member never leaves an empty list member.
	{
		name:    "the workload tenant is appended to baggage ending in a comma without an empty member",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(hdr("baggage", "a=1,")),
		want:    req(hdr("baggage", "a=1,laneway-tenant=sbx-1"), hdr("x-laneway-tenant", "sbx-1")),
		counts:  counts{"injected": 1},
	},
	{
		name:    "the workload tenant is added to an empty baggage header and another one without an empty member",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(hdr("baggage", ""), hdr("baggage", "a=1")),
		want:    req(hdr("baggage", "a=1,laneway-tenant=sbx-1"), hdr("x-laneway-tenant", "sbx-1")),
		counts:  counts{"injected": 1},
	},
	{
		name:    "the workload tenant cleans empty members inside baggage instead of forwarding them",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(hdr("baggage", " ,a=1,, b=2 ,")),
		want:    req(hdr("baggage", "a=1,b=2,laneway-tenant=sbx-1"), hdr("x-laneway-tenant", "sbx-1")),
		counts:  counts{"injected": 1},
	},
	{
		name:    "a tenant from another carrier is appended to baggage ending in a comma without an empty member",
		config:  allCarriersConfig,
		request: req(hdr("baggage", "a=1, "), hdr("uberctx-laneway-tenant", "acme")),
		want:    req(hdr("baggage", "a=1,laneway-tenant=acme"), hdr("uberctx-laneway-tenant", "acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a stripping gateway adds the accepted tenant to baggage ending in a comma without an empty member",
		config:  gatewayStripHeaderConfig,
		request: req(hdr("x-tenant", "acme"), hdr("baggage", "a=1,")),
		want:    req(hdr("x-tenant", "acme"), hdr("baggage", "a=1,laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	// Workload tenancy.
	{
		name:    "a sandboxed workload's own call gets its tenant in header and baggage",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(),
		want:    req(hdr("x-laneway-tenant", "sbx-1"), hdr("baggage", "laneway-tenant=sbx-1")),
		counts:  counts{"injected": 1},
	},
	{
		name:    "the workload tenant is appended to existing baggage",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(hdr("baggage", "userid=42")),
		want:    req(hdr("baggage", "userid=42,laneway-tenant=sbx-1"), hdr("x-laneway-tenant", "sbx-1")),
		counts:  counts{"injected": 1},
	},
	{
		name:    "a tenant carried by the request wins over the workload tenant",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(hdr("baggage", "laneway-tenant=acme")),
		want:    req(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")),
		counts:  counts{"routed": 1},
	},
	{
		name:    "a malformed carried tenant is replaced by the workload tenant",
		config:  `{"workloadTenant":"sbx-1"}`,
		request: req(hdr("baggage", "laneway-tenant=BAD,userid=42")),
		want:    req(hdr("baggage", "userid=42,laneway-tenant=sbx-1"), hdr("x-laneway-tenant", "sbx-1")),
		counts:  counts{"injected": 1, "invalid": 1},
		warn:    `"BAD" from baggage key laneway-tenant (malformed); request goes to workload tenant sbx-1`,
	},
	// Header maps Envoy would read back as empty if written whole (more than 1024 pairs or 1 MiB).
	{
		name:    "a gateway strips 9 spoofed names from a request of 1,100 headers and keeps every other header",
		config:  gatewayConfig,
		request: append(req(filler(1100)...), spoofedNames(9)...),
		want:    req(filler(1100)...),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
	{
		name:    "a gateway strips 9 spoofed names next to a 1 MiB header and keeps every other header",
		config:  gatewayConfig,
		request: append(req(hdr("x-big", mib)), spoofedNames(9)...),
		want:    req(hdr("x-big", mib)),
		counts:  counts{"baseline": 1, "stripped": 1},
	},
}

// mib is a 1 MiB header value: with it, the request's header map no longer fits one set_header_map_pairs call.
var mib = strings.Repeat("m", 1<<20)

// filler returns n unrelated headers x-h-0 … x-h-<n-1>.
func filler(n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = hdr("x-h-"+strconv.Itoa(i), "v")
	}
	return out
}

// spoofedNames returns n distinct client-set x-laneway-* headers, each one edit at the trust boundary.
func spoofedNames(n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = hdr("x-laneway-spoof-"+strconv.Itoa(i), "1")
	}
	return out
}
