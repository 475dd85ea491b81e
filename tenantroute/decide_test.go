package tenantroute

import (
	"context"
	"github.com/laneway/laneway/filters/proxyhost"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelbaggage "go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
)

func mustConfig(tb testing.TB, json string) *Config {
	tb.Helper()
	c, err := ParseConfig([]byte(json))
	require.NoError(tb, err)
	return &c
}

func TestRouteDecisions(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		headers [][2]string
		want    Decision // scratch fields ignored
		edits   []Edit   // compared exactly; Reroute is expected exactly when there are edits
	}{
		{
			name:    "no tenant means baseline and no edits",
			headers: req(hdr("baggage", "a=1")),
			want:    Decision{Outcome: OutcomeBaseline},
		},
		{
			name:    "a baggage tenant adds the output header with one edit",
			headers: req(hdr("baggage", "sd-routing-key=acme")),
			want:    Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceBaggage, Key: "sd-routing-key"},
			edits:   []Edit{{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "acme"}},
		},
		{
			name:    "one stale output header is replaced in one edit",
			headers: req(hdr("x-laneway-tenant", "old"), hdr("baggage", "laneway-tenant=acme")),
			want:    Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceBaggage, Key: "laneway-tenant"},
			edits:   []Edit{{Kind: proxyhost.Replace, Name: "x-laneway-tenant", Value: "acme"}},
		},
		{
			name:    "repeated output headers are removed once per copy, then added",
			headers: req(hdr("x-laneway-tenant", "a"), hdr("x-laneway-tenant", "b"), hdr("baggage", "laneway-tenant=acme")),
			want:    Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceBaggage, Key: "laneway-tenant"},
			edits:   []Edit{{Kind: proxyhost.Remove, Name: "x-laneway-tenant"}, {Kind: proxyhost.Remove, Name: "x-laneway-tenant"}, {Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "acme"}},
		},
		{
			name:    "a malformed tenant is reported with its source and reason",
			headers: req(hdr("baggage", "laneway-tenant=a_b")),
			want:    Decision{Outcome: OutcomeBaseline, Key: "laneway-tenant", Rejected: "a_b", RejectedSource: SourceBaggage, Reason: ReasonMalformed},
		},
		{
			name:    "an unknown tenant is reported as not allowed",
			config:  `{"allow":["acme"]}`,
			headers: req(hdr("baggage", "laneway-tenant=globex")),
			want:    Decision{Outcome: OutcomeBaseline, Key: "laneway-tenant", Rejected: "globex", RejectedSource: SourceBaggage, Reason: ReasonNotAllowed},
		},
		{
			name:    "an upper-case spoofed header is stripped at the trust boundary",
			config:  gatewayConfig,
			headers: req(hdr("X-Laneway-Tenant", "victim"), hdr("x-laneway-debug", "1")),
			want:    Decision{Outcome: OutcomeBaseline, Stripped: 2},
			edits:   []Edit{{Kind: proxyhost.Remove, Name: "X-Laneway-Tenant"}, {Kind: proxyhost.Remove, Name: "x-laneway-debug"}},
		},
		{
			name:    "a gateway with a custom prefix strips only that prefix and the output header",
			config:  `{"trustBoundary":true,"stripHeaderPrefix":"x-internal-","allow":["acme"]}`,
			headers: req(hdr("x-internal-user", "root"), hdr("x-laneway-shadow", "1"), hdr("x-laneway-tenant", "victim")),
			want:    Decision{Outcome: OutcomeBaseline, Stripped: 2},
			edits:   []Edit{{Kind: proxyhost.Remove, Name: "x-internal-user"}, {Kind: proxyhost.Remove, Name: "x-laneway-tenant"}},
		},
		{
			name:    "a carrier tenant is found with its key and carried on in baggage",
			config:  allCarriersConfig,
			headers: req(hdr("ot-baggage-sd-routing-key", "acme")),
			want:    Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceOTBaggage, Key: "sd-routing-key"},
			edits:   []Edit{{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "acme"}, {Kind: proxyhost.Add, Name: "baggage", Value: "laneway-tenant=acme"}},
		},
		{
			name:    "the first of repeated carrier headers is used",
			config:  allCarriersConfig,
			headers: req(hdr("uberctx-laneway-tenant", "acme"), hdr("uberctx-laneway-tenant", "globex")),
			want:    Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceUberctx, Key: "laneway-tenant"},
			edits:   []Edit{{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "acme"}, {Kind: proxyhost.Add, Name: "baggage", Value: "laneway-tenant=acme"}},
		},
		{
			name:    "carriers are tried in the configured order",
			config:  `{"carriers":["uberctx","tracestate"]}`,
			headers: req(hdr("tracestate", "laneway-tenant=acme"), hdr("uberctx-sd-routing-key", "globex")),
			want:    Decision{Outcome: OutcomeRouted, Tenant: "globex", Source: SourceUberctx, Key: "sd-routing-key"},
			edits:   []Edit{{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "globex"}, {Kind: proxyhost.Add, Name: "baggage", Value: "laneway-tenant=globex"}},
		},
		{
			name:    "several baggage headers are merged into one when rewritten",
			config:  `{"workloadTenant":"sbx"}`,
			headers: req(hdr("baggage", "a=1"), hdr("baggage", "b=2")),
			want:    Decision{Outcome: OutcomeInjected, Tenant: "sbx", Source: SourceWorkload},
			edits:   []Edit{{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "sbx"}, {Kind: proxyhost.Remove, Name: "baggage"}, {Kind: proxyhost.Remove, Name: "baggage"}, {Kind: proxyhost.Add, Name: "baggage", Value: "a=1,b=2,laneway-tenant=sbx"}},
		},
		{
			name:    "a full baggage keeps the workload tenant in the header only",
			config:  `{"workloadTenant":"sbx"}`,
			headers: req(hdr("baggage", fullBaggage())),
			want:    Decision{Outcome: OutcomeInjected, Tenant: "sbx", Source: SourceWorkload, BaggageFull: true},
			edits:   []Edit{{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "sbx"}},
		},
		{
			name:    "a stripping gateway counts every removed carrier",
			config:  gatewayStripConfig,
			headers: req(hdr("baggage", "laneway-tenant=x"), hdr("tracestate", "laneway-tenant=x"), hdr("ot-baggage-laneway-tenant", "x"), hdr("ot-baggage-laneway-tenant", "y")),
			want:    Decision{Outcome: OutcomeBaseline, Key: "laneway-tenant", Rejected: "x", RejectedSource: SourceBaggage, Reason: ReasonNotAllowed, Stripped: 3},
			edits:   []Edit{{Kind: proxyhost.Remove, Name: "baggage"}, {Kind: proxyhost.Remove, Name: "tracestate"}, {Kind: proxyhost.Remove, Name: "ot-baggage-laneway-tenant"}, {Kind: proxyhost.Remove, Name: "ot-baggage-laneway-tenant"}},
		},
		{
			name:    "a stripping gateway leaves baggage without tenant keys alone",
			config:  gatewayStripConfig,
			headers: req(hdr("baggage", "userid=42,bad member")),
			want:    Decision{Outcome: OutcomeBaseline},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustConfig(t, tt.config)
			var d Decision
			c.Decide(tt.headers, &d)
			got := d
			got.bag, got.ts, got.tenantCount, got.tenantFirst, got.header, got.headerCount = nil, nil, 0, "", "", 0
			got.ot, got.uber, got.otN, got.uberN = [MaxBaggageKeys]string{}, [MaxBaggageKeys]string{}, [MaxBaggageKeys]int{}, [MaxBaggageKeys]int{}
			got.plain, got.plainN, got.carriers = [MaxBaggageKeys]string{}, [MaxBaggageKeys]int{}, false
			if len(got.Edits) == 0 {
				got.Edits = nil
			}
			want := tt.want
			want.Edits, want.Reroute = tt.edits, len(tt.edits) > 0
			assert.Equal(t, want, got)
		})
	}
}

func fullBaggage() string {
	var b strings.Builder
	for i := 0; i < 64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("k" + strconv.Itoa(i) + "=v")
	}
	return b.String()
}

func TestRouteReusesTheDecisionWithoutLeakingState(t *testing.T) {
	c := mustConfig(t, allCarriersConfig)
	var d Decision
	c.Decide(req(hdr("x-tenant", "acme"), hdr("ot-baggage-laneway-tenant", "BAD")), &d)
	require.Equal(t, "BAD", d.Rejected)
	c.Decide(req(), &d)
	assert.Equal(t, OutcomeBaseline, d.Outcome)
	assert.Empty(t, d.Rejected)
	assert.Empty(t, d.Edits)
	assert.Empty(t, d.Tenant)
}

func TestTracestateLookupAndRewrite(t *testing.T) {
	v, ok := tracestateLookup([]string{"a=1", " b = 2", "\tsd-routing-key=acme ,c=3"}, "sd-routing-key")
	assert.True(t, ok)
	assert.Equal(t, "acme", v)
	_, ok = tracestateLookup([]string{"xsd-routing-key=acme", "sd-routing-key"}, "sd-routing-key")
	assert.False(t, ok, "neither a longer key nor a member without '=' matches")
	out, changed, other := tracestateRewrite([]byte("x:"), []string{"a=1, k=x", ",,k=y,b=2"}, []string{"k"}, "")
	assert.True(t, changed)
	assert.True(t, other)
	assert.Equal(t, "x:a=1,b=2", string(out), "appended after what dst holds")
	_, changed, _ = tracestateRewrite(nil, []string{"a=1"}, []string{"k"}, "")
	assert.False(t, changed)
	out, changed, other = tracestateRewrite(nil, []string{"a=1,k=x,%6B=y,k=z", "j=t"}, []string{"k", "j"}, "t")
	assert.Equal(t, "a=1,k=t,j=t", string(out), "the first exact copy of each key holds the tenant, encoded copies go")
	assert.True(t, changed)
	assert.True(t, other)
	out, changed, other = tracestateRewrite(nil, []string{"a=1,k=t"}, []string{"k"}, "t")
	assert.Equal(t, "a=1,k=t", string(out))
	assert.False(t, changed)
	assert.False(t, other)
}

func TestStringsOfEnumsNameThem(t *testing.T) {
	assert.Equal(t, []string{"baseline", "routed", "injected"}, []string{OutcomeBaseline.String(), OutcomeRouted.String(), OutcomeInjected.String()})
	assert.Equal(t, []string{"none", "baggage", "tracestate", "ot-baggage", "uberctx", "header", "workloadTenant"},
		[]string{SourceNone.String(), SourceBaggage.String(), SourceTracestate.String(), SourceOTBaggage.String(), SourceUberctx.String(), SourceHeader.String(), SourceWorkload.String()})
	assert.Equal(t, []string{"none", "malformed", "not allowed"}, []string{ReasonNone.String(), ReasonMalformed.String(), ReasonNotAllowed.String()})
}

var fuzzConfigs = []string{
	"",
	`{"allow":["acme","globex"]}`,
	allCarriersConfig,
	gatewayConfig,
	gatewayStripConfig,
	`{"trustBoundary":true}`,
	`{"workloadTenant":"sbx-1","carriers":["tracestate"]}`,
	`{"pattern":"*","header":"x-tenant","tenantHeader":"x-sandbox"}`,
}

// fuzzHeaders turns arbitrary bytes into header pairs: one pair per line, name and value split at the first ':'.
func fuzzHeaders(data string) [][2]string {
	var hs [][2]string
	for _, line := range strings.Split(data, "\n") {
		name, value, _ := strings.Cut(line, ":")
		hs = append(hs, [2]string{name, value})
	}
	return hs
}

func FuzzRoute(f *testing.F) {
	seeds := []string{
		"baggage:laneway-tenant=acme",
		"baggage:laneway-tenant=acme,laneway-tenant=evil\nx-laneway-tenant:victim",
		"X-Laneway-Tenant:a\nx-laneway-tenant:b\nbaggage:sd-routing-key=%61cme",
		"tracestate:laneway-tenant=globex\not-baggage-laneway-tenant:acme\nuberctx-sd-routing-key:x\nx-tenant:initech",
		"baggage:" + fullBaggage() + "\nx-tenant:acme",
		"baggage:laneway-tenant=BAD;p=1, userid=%zz\nbaggage:,,",
		"x-sandbox:acme\nx-tenant:A.b~c",
		"\n\n:::\x00\xff",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	// Regression: a flood of mixed-case spoofed names at the gateway (whole-map rewrite path).
	f.Add(uint8(3), strings.Repeat("X-lAnewAY-:v\n", 10))
	configs := make([]*Config, len(fuzzConfigs))
	for i, js := range fuzzConfigs {
		configs[i] = mustConfig(f, js)
	}
	var d, again Decision
	f.Fuzz(func(t *testing.T, which uint8, data string) {
		c := configs[int(which)%len(configs)]
		headers := fuzzHeaders(data)
		c.Decide(headers, &d)

		if d.Tenant != "" {
			require.True(t, c.Valid(d.Tenant) && c.Allowed(d.Tenant), "output tenant %q failed validation", d.Tenant)
			require.False(t, c.TrustBoundary && c.allow == nil, "a gateway without allow list accepted %q", d.Tenant)
		}
		if d.Rejected != "" {
			require.NotEqual(t, d.Rejected, d.Tenant, "a rejected value became the tenant")
		}
		switch d.Outcome {
		case OutcomeBaseline:
			require.Empty(t, d.Tenant)
		case OutcomeInjected:
			require.Equal(t, c.WorkloadTenant, d.Tenant)
		case OutcomeRouted:
			require.NotEqual(t, SourceNone, d.Source)
		}
		for _, e := range d.Edits {
			require.NotEmpty(t, e.Name)
			if e.Kind != proxyhost.Remove && equalFold(e.Name, c.TenantHeader) {
				require.Equal(t, d.Tenant, e.Value)
			}
		}

		after := proxyhost.AppendEdited(nil, headers, d.Edits)
		var tenantValues []string
		for _, h := range after {
			if equalFold(h[0], c.TenantHeader) {
				tenantValues = append(tenantValues, h[1])
			} else if c.TrustBoundary {
				require.False(t, proxyhost.HasPrefixFold(h[0], c.StripHeaderPrefix), "client header %q survived the trust boundary", h[0])
			}
		}
		if d.Tenant == "" {
			require.Empty(t, tenantValues)
		} else {
			require.Equal(t, []string{d.Tenant}, tenantValues)
		}

		// The next hop (same config) derives the same tenant, and a sidecar has nothing left to change.
		stripped := c.TrustBoundary && c.StripBaggage && d.Stripped > 0
		c.Decide(after, &again)
		if !stripped && !d.BaggageFull {
			require.Equal(t, d.Tenant, again.Tenant, "tenant not stable across hops for %q", after)
			if !c.TrustBoundary {
				require.Empty(t, again.Edits, "a second pass changed %q", after)
			}
		}
	})
}

func benchRoute(b *testing.B, config string, headers [][2]string, want Outcome) {
	c := mustConfig(b, config)
	var d Decision
	c.Decide(headers, &d)
	require.Equal(b, want, d.Outcome)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Decide(headers, &d)
	}
}

// typical is a realistic outbound request from an OpenTelemetry-instrumented app.
func typical(extra ...[2]string) [][2]string {
	hs := [][2]string{
		{":authority", "svc-b.ns.svc.cluster.local:8080"}, {":method", "POST"}, {":path", "/api/v1/orders?id=42"}, {":scheme", "http"},
		{"user-agent", "Go-http-client/1.1"}, {"accept", "application/json"}, {"content-type", "application/json"}, {"content-length", "128"},
		{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"tracestate", "dd=s:1;o:rum"},
		{"x-request-id", "b7ad6b71-6b2c-4a3c-9a1b-5e4e0f1e2d3c"}, {"x-forwarded-proto", "http"}, {"x-envoy-attempt-count", "1"},
	}
	return append(hs, extra...)
}

func BenchmarkRouteNoTenant(b *testing.B) {
	benchRoute(b, "", typical(hdr("baggage", "userid=42,session=abc")), OutcomeBaseline)
}

func BenchmarkRouteBaggageTenant(b *testing.B) {
	benchRoute(b, "", typical(hdr("baggage", "userid=42,session=abc,laneway-tenant=acme")), OutcomeRouted)
}

func BenchmarkRouteBaggageTenantAllowList(b *testing.B) {
	benchRoute(b, `{"allow":["acme","globex","initech"]}`, typical(hdr("baggage", "userid=42,laneway-tenant=acme")), OutcomeRouted)
}

func BenchmarkRouteHeaderAlreadyRight(b *testing.B) {
	benchRoute(b, "", typical(hdr("baggage", "laneway-tenant=acme"), hdr("x-laneway-tenant", "acme")), OutcomeRouted)
}

func BenchmarkRouteCustomPattern(b *testing.B) {
	benchRoute(b, `{"pattern":"[a-z]*-[0-9]*"}`, typical(hdr("baggage", "laneway-tenant=feat-123")), OutcomeRouted)
}

func BenchmarkRouteInvalidTenant(b *testing.B) {
	benchRoute(b, "", typical(hdr("baggage", "laneway-tenant=Not_Valid")), OutcomeBaseline)
}

func BenchmarkRouteGatewaySpoofStripped(b *testing.B) {
	benchRoute(b, gatewayConfig, typical(hdr("x-laneway-tenant", "victim"), hdr("baggage", "laneway-tenant=acme")), OutcomeRouted)
}

func BenchmarkRouteGatewayStripBaggage(b *testing.B) {
	benchRoute(b, gatewayStripConfig, typical(hdr("baggage", "userid=42,laneway-tenant=evil")), OutcomeBaseline)
}

func BenchmarkRouteCarrierTracestate(b *testing.B) {
	benchRoute(b, allCarriersConfig, typical(hdr("tracestate", "sd-routing-key=acme")), OutcomeRouted)
}

func BenchmarkRouteWorkloadInject(b *testing.B) {
	benchRoute(b, `{"workloadTenant":"sbx-1"}`, typical(hdr("baggage", "userid=42")), OutcomeInjected)
}

func TestRouteSurvivesHugeAndBinaryInputs(t *testing.T) {
	big := strings.Repeat("laneway-tenant=acme,", 50000)
	many := make([][2]string, 0, 20000)
	for i := 0; i < 10000; i++ {
		many = append(many, hdr("x-laneway-tenant", "v"), hdr("uberctx-laneway-tenant", "\x00\xff"))
	}
	inputs := [][][2]string{
		{hdr("baggage", big), hdr("tracestate", big), hdr("x-tenant", big)},
		many,
		{hdr("baggage", "\x00\xff,=;%"), hdr("", ""), hdr("\xff", "\xff")},
	}
	var d Decision
	for _, js := range fuzzConfigs {
		c := mustConfig(t, js)
		for _, in := range inputs {
			require.NotPanics(t, func() { c.Decide(in, &d) })
			if d.Tenant != "" {
				assert.True(t, c.Valid(d.Tenant))
			}
		}
	}
	c := mustConfig(t, gatewayConfig)
	c.Decide(many, &d)
	assert.Equal(t, 10001, d.Stripped, "every spoofed x-laneway-tenant copy is removed, and the uberctx- copies")
}

// otelHop is an OpenTelemetry-instrumented app between two hops: it extracts baggage from its inbound
// request and injects it into its outbound request, as otelhttp does. Only baggage crosses it.
func otelHop(in [][2]string) [][2]string {
	h := http.Header{}
	for _, p := range in {
		if equalFold(p[0], "baggage") {
			h.Add("baggage", p[1])
		}
	}
	ctx := propagation.Baggage{}.Extract(context.Background(), propagation.HeaderCarrier(h))
	out := http.Header{}
	propagation.Baggage{}.Inject(ctx, propagation.HeaderCarrier(out))
	res := req()
	for _, v := range out.Values("baggage") {
		res = append(res, hdr("baggage", v))
	}
	return res
}

// otelTenantMembers returns the members of the default tenant keys that OpenTelemetry reads in headers.
func otelTenantMembers(headers [][2]string) map[string]string {
	h := http.Header{}
	for _, p := range headers {
		if equalFold(p[0], "baggage") {
			h.Add("baggage", p[1])
		}
	}
	bag := otelbaggage.FromContext(propagation.Baggage{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
	out := map[string]string{}
	for _, k := range DefaultBaggageKeys {
		if m := bag.Member(k); m.Key() != "" {
			out[k] = m.Value()
		}
	}
	return out
}

// onlyAcceptedCases are requests a client sends through a stripping gateway (stripGatewayConfig) that
// reads every carrier and the plain header x-tenant; tenant is what the gateway and every later hop route to.
var onlyAcceptedCases = []struct {
	name    string
	headers [][2]string
	tenant  string
}{
	{"conflicting laneway-tenant copies hide evil while sd-routing-key=acme is accepted",
		req(hdr("baggage", "laneway-tenant=evil0,sd-routing-key=acme"), hdr("baggage", "laneway-tenant=evil")), "acme"},
	{"a laneway-tenant member with a trailing U+00A0 (malformed to us, trimmed by OpenTelemetry)",
		req(hdr("baggage", "laneway-tenant=evil\u00a0,sd-routing-key=acme")), "acme"},
	{"a third laneway-tenant beyond the 64-member limit (OpenTelemetry counts distinct keys)",
		req(hdr("baggage", "laneway-tenant=acme,laneway-tenant=acme,"+fillerMembers(62)+",laneway-tenant=evil")), "acme"},
	{"an accepted baggage tenant next to other carriers and a plain header naming evil",
		req(hdr("baggage", "sd-routing-key=acme"), hdr("tracestate", "laneway-tenant=evil"), hdr("ot-baggage-laneway-tenant", "evil"),
			hdr("uberctx-sd-routing-key", "evil"), hdr("x-tenant", "evil"), hdr("x-tenant", "acme")), "acme"},
	{"an accepted carrier tenant next to a conflicting baggage",
		req(hdr("baggage", "laneway-tenant=a,laneway-tenant=b"), hdr("uberctx-laneway-tenant", "acme"), hdr("x-tenant", "evil")), "acme"},
	{"an accepted plain header tenant", req(hdr("x-tenant", "acme"), hdr("x-tenant", "evil")), "acme"},
	{"a rejected plain header only", req(hdr("x-tenant", "evil")), ""},
	{"a rejected plain header next to a stripped baggage member", req(hdr("baggage", "laneway-tenant=evil"), hdr("x-tenant", "evil")), ""},
	{"a rejected baggage tenant next to an allowed plain header", req(hdr("baggage", "laneway-tenant=evil"), hdr("x-tenant", "acme")), ""},
}

const (
	stripGatewayConfig = `{"trustBoundary":true,"stripBaggage":true,"allow":["acme"],"carriers":["tracestate","ot-baggage","uberctx"],"header":"x-tenant"}`
	nextHopConfig      = `{"carriers":["tracestate","ot-baggage","uberctx"],"header":"x-tenant"}`
)

// assertOnlyTenantForwarded checks the headers a stripping gateway forwarded: OpenTelemetry reads exactly
// tenant in baggage, as laneway-tenant and under any other tenant key it arrived with (nothing when tenant
// is ""); the output, plain and carrier headers hold only tenant, and carriers only exist with a tenant;
// tracestate's tenant members hold only tenant.
func assertOnlyTenantForwarded(t *testing.T, forwarded [][2]string, tenant string) {
	t.Helper()
	got := otelTenantMembers(forwarded)
	if tenant != "" {
		assert.Equal(t, tenant, got["laneway-tenant"], "OpenTelemetry reads the accepted tenant as laneway-tenant; forwarded baggage %q", headerValuesOf(forwarded, "baggage"))
	}
	for k, v := range got {
		assert.Equal(t, tenant, v, "OpenTelemetry reads only the accepted tenant, under %s; forwarded baggage %q", k, headerValuesOf(forwarded, "baggage"))
	}
	for _, p := range forwarded {
		switch {
		case equalFold(p[0], "x-tenant"), equalFold(p[0], "x-laneway-tenant"):
			assert.Equal(t, tenant, p[1], "%s holds only the accepted tenant", p[0])
		case proxyhost.HasPrefixFold(p[0], "ot-baggage-"), proxyhost.HasPrefixFold(p[0], "uberctx-"):
			assert.NotEmpty(t, tenant, "carrier header %s: %s survived a gateway that accepted no tenant", p[0], p[1])
			assert.Equal(t, tenant, p[1], "carrier header %s holds only the accepted tenant", p[0])
		case equalFold(p[0], "tracestate"):
			for _, m := range strings.Split(p[1], ",") {
				k, v, _ := strings.Cut(strings.TrimSpace(m), "=")
				if k == "laneway-tenant" || k == "sd-routing-key" {
					assert.Equal(t, tenant, v, "tracestate member %s holds only the accepted tenant", k)
				}
			}
		}
	}
}

// A stripping gateway forwards only the tenant it accepted (or none): whatever tenant members, carriers
// and plain-header copies a client sends, the next hop (a sidecar reading the same carriers, or one behind
// an OpenTelemetry app that re-encodes baggage) routes to the gateway's tenant, and OpenTelemetry reads
// exactly that tenant, as laneway-tenant, in the forwarded baggage.
func TestStrippingGatewayForwardsOnlyTheAcceptedTenant(t *testing.T) {
	for _, tt := range onlyAcceptedCases {
		t.Run(tt.name, func(t *testing.T) {
			var gw, next, afterOTel Decision
			mustConfig(t, stripGatewayConfig).Decide(tt.headers, &gw)
			require.Equal(t, tt.tenant, gw.Tenant, "the gateway's tenant")
			forwarded := proxyhost.AppendEdited(nil, tt.headers, gw.Edits)
			assertOnlyTenantForwarded(t, forwarded, tt.tenant)

			mustConfig(t, nextHopConfig).Decide(forwarded, &next)
			assert.Equal(t, tt.tenant, next.Tenant, "the next hop routes the gateway's tenant; forwarded %q", forwarded)
			assert.Empty(t, next.Rejected, "the next hop finds no other tenant; forwarded %q", forwarded)
			mustConfig(t, `{}`).Decide(otelHop(forwarded), &afterOTel)
			assert.Equal(t, tt.tenant, afterOTel.Tenant, "a hop behind an OpenTelemetry app routes the gateway's tenant; forwarded %q", forwarded)
		})
	}
}

func TestTenantMembersFindsEveryElementNamingATenantKey(t *testing.T) {
	keys := []string{"laneway-tenant", "sd-routing-key"}
	for _, tt := range []struct {
		name        string
		values      []string
		sole, other bool
	}{
		{"no baggage", nil, false, false},
		{"no tenant member", []string{"userid=42,bad member"}, false, false},
		{"exactly the accepted member", []string{"userid=42, laneway-tenant = acme "}, true, false},
		{"the accepted tenant under another key", []string{"sd-routing-key=acme"}, false, false},
		{"agreeing copies", []string{"laneway-tenant=acme", "sd-routing-key=acme"}, false, false},
		{"a conflicting copy", []string{"laneway-tenant=acme", "laneway-tenant=evil"}, false, true},
		{"a member malformed to this parser", []string{"laneway-tenant=evil\u00a0,laneway-tenant=acme"}, false, true},
		{"a key padded with U+00A0", []string{"\u00a0laneway-tenant=acme"}, false, true},
		{"a member with properties", []string{"laneway-tenant=acme;p=1"}, false, true},
		{"a member beyond the 64-member limit", []string{"laneway-tenant=acme," + fillerMembers(63) + ",laneway-tenant=evil"}, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sole, other := tenantMembers(tt.values, keys, "acme")
			assert.Equal(t, tt.sole, sole, "sole")
			assert.Equal(t, tt.other, other, "other")
		})
	}
}

func TestKeepingLeavesNamedHeadersAtTheTrustBoundary(t *testing.T) {
	base := mustConfig(t, `{"trustBoundary":true,"allow":["acme"]}`)
	kept := base.Keeping("x-laneway-synthetic", "X-Laneway-Route", "x-laneway-tenant")
	headers := req(hdr("x-laneway-synthetic", "tx-1"), hdr("X-Laneway-Route", "double"), hdr("x-laneway-debug", "1"),
		hdr("x-laneway-tenant", "victim"), hdr("baggage", "laneway-tenant=acme"))

	var d Decision
	kept.Decide(headers, &d)
	assert.Equal(t, []Edit{{Kind: proxyhost.Remove, Name: "x-laneway-debug"}, {Kind: proxyhost.Remove, Name: "x-laneway-tenant"},
		{Kind: proxyhost.Add, Name: "x-laneway-tenant", Value: "acme"}}, d.Edits,
		"kept headers stay; the tenant header is stripped even when listed")
	assert.Equal(t, 2, d.Stripped, "kept headers are not counted as stripped")

	base.Decide(headers, &d)
	assert.Equal(t, 4, d.Stripped, "Keeping changed a copy, not the Config it was called on")
	assert.Contains(t, d.Edits, Edit{Kind: proxyhost.Remove, Name: "x-laneway-synthetic"})
}

// TestResetLeavesAZeroDecision holds reset, which clears field by field, to what a fresh Decision is: after a
// request that fills every field (a rejected tenant, every carrier, the plain header, edits, rewritten baggage
// and tracestate) a reset Decision equals the zero one apart from the buffers it keeps.
// reset empties the Verdict field by field: these must be all of its fields.
func TestResetKnowsEveryVerdictField(t *testing.T) {
	var names []string
	vt := reflect.TypeFor[proxyhost.Verdict]()
	for i := range vt.NumField() {
		names = append(names, vt.Field(i).Name)
	}
	require.Equal(t, []string{"Edits", "Reroute", "Reply"}, names, "reset sets these; update it with Verdict")
}

func TestResetLeavesAZeroDecision(t *testing.T) {
	for _, cfg := range []string{allCarriersConfig, stripGatewayConfig, nextHopConfig} {
		c := mustConfig(t, cfg)
		var d Decision
		c.Decide(req(hdr("baggage", "laneway-tenant=acme,x=1"), hdr("tracestate", "laneway-tenant=acme"),
			hdr("ot-baggage-laneway-tenant", "acme"), hdr("uberctx-laneway-tenant", "other"), hdr("laneway-tenant", "x"),
			hdr("x-tenant", "acme"), hdr("x-laneway-tenant", "evil"), hdr("x-tenant", "two")), &d)
		require.NotEmpty(t, d.Edits, cfg)
		c.Decide(req(hdr("ot-baggage-laneway-tenant", "BAD!"), hdr("uberctx-laneway-tenant", "BAD!")), &d)
		require.True(t, d.carriers, "%s: the request filled the carrier arrays", cfg)
		d.Reply = &proxyhost.Reply{Status: 403} // never set by Decide, but reset empties the whole Verdict
		d.reset()
		want := Decision{bag: d.bag[:0], ts: d.ts[:0], bagBuf: d.bagBuf, tsBuf: d.tsBuf}
		want.Edits = d.Edits[:0]
		assert.Equal(t, want, d, cfg)
	}
}

func TestStripsForPrefixIsWhatKeepingCanLeave(t *testing.T) {
	c := mustConfig(t, `{"trustBoundary":true,"allow":["acme"]}`)
	for name, want := range map[string]bool{
		"x-laneway-synthetic": true, "X-Laneway-Route": true, "x-laneway-": true,
		"x-laneway-tenant": false, "baggage": false, "tracestate": false, "x-other": false,
	} {
		assert.Equal(t, want, c.StripsForPrefix(name), name)
	}
	sidecar := mustConfig(t, `{}`)
	assert.False(t, sidecar.StripsForPrefix("x-laneway-synthetic"), "only a trust boundary strips")
}
