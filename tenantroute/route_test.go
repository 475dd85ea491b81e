package tenantroute

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		want    Decision // Edits compared exactly; scratch fields ignored
	}{
		{
			name:    "no tenant means baseline and no edits",
			headers: req(hdr("baggage", "a=1")),
			want:    Decision{Outcome: OutcomeBaseline},
		},
		{
			name:    "a baggage tenant adds the output header with one edit",
			headers: req(hdr("baggage", "sd-routing-key=acme")),
			want: Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceBaggage, Key: "sd-routing-key",
				Edits: []Edit{{Kind: EditAdd, Name: "x-laneway-tenant", Value: "acme"}}},
		},
		{
			name:    "one stale output header is replaced in one edit",
			headers: req(hdr("x-laneway-tenant", "old"), hdr("baggage", "laneway-tenant=acme")),
			want: Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceBaggage, Key: "laneway-tenant",
				Edits: []Edit{{Kind: EditReplace, Name: "x-laneway-tenant", Value: "acme"}}},
		},
		{
			name:    "repeated output headers are removed once per copy, then added",
			headers: req(hdr("x-laneway-tenant", "a"), hdr("x-laneway-tenant", "b"), hdr("baggage", "laneway-tenant=acme")),
			want: Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceBaggage, Key: "laneway-tenant",
				Edits: []Edit{{Kind: EditRemove, Name: "x-laneway-tenant"}, {Kind: EditRemove, Name: "x-laneway-tenant"}, {Kind: EditAdd, Name: "x-laneway-tenant", Value: "acme"}}},
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
			want: Decision{Outcome: OutcomeBaseline, Stripped: 2,
				Edits: []Edit{{Kind: EditRemove, Name: "X-Laneway-Tenant"}, {Kind: EditRemove, Name: "x-laneway-debug"}}},
		},
		{
			name:    "a gateway with a custom prefix strips only that prefix and the output header",
			config:  `{"trustBoundary":true,"stripHeaderPrefix":"x-internal-","allow":["acme"]}`,
			headers: req(hdr("x-internal-user", "root"), hdr("x-laneway-shadow", "1"), hdr("x-laneway-tenant", "victim")),
			want: Decision{Outcome: OutcomeBaseline, Stripped: 2,
				Edits: []Edit{{Kind: EditRemove, Name: "x-internal-user"}, {Kind: EditRemove, Name: "x-laneway-tenant"}}},
		},
		{
			name:    "a carrier tenant is found with its key and carried on in baggage",
			config:  allCarriersConfig,
			headers: req(hdr("ot-baggage-sd-routing-key", "acme")),
			want: Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceOTBaggage, Key: "sd-routing-key",
				Edits: []Edit{{Kind: EditAdd, Name: "x-laneway-tenant", Value: "acme"}, {Kind: EditAdd, Name: "baggage", Value: "laneway-tenant=acme"}}},
		},
		{
			name:    "the first of repeated carrier headers is used",
			config:  allCarriersConfig,
			headers: req(hdr("uberctx-laneway-tenant", "acme"), hdr("uberctx-laneway-tenant", "globex")),
			want: Decision{Outcome: OutcomeRouted, Tenant: "acme", Source: SourceUberctx, Key: "laneway-tenant",
				Edits: []Edit{{Kind: EditAdd, Name: "x-laneway-tenant", Value: "acme"}, {Kind: EditAdd, Name: "baggage", Value: "laneway-tenant=acme"}}},
		},
		{
			name:    "carriers are tried in the configured order",
			config:  `{"carriers":["uberctx","tracestate"]}`,
			headers: req(hdr("tracestate", "laneway-tenant=acme"), hdr("uberctx-sd-routing-key", "globex")),
			want: Decision{Outcome: OutcomeRouted, Tenant: "globex", Source: SourceUberctx, Key: "sd-routing-key",
				Edits: []Edit{{Kind: EditAdd, Name: "x-laneway-tenant", Value: "globex"}, {Kind: EditAdd, Name: "baggage", Value: "laneway-tenant=globex"}}},
		},
		{
			name:    "several baggage headers are merged into one when rewritten",
			config:  `{"workloadTenant":"sbx"}`,
			headers: req(hdr("baggage", "a=1"), hdr("baggage", "b=2")),
			want: Decision{Outcome: OutcomeInjected, Tenant: "sbx", Source: SourceWorkload,
				Edits: []Edit{{Kind: EditAdd, Name: "x-laneway-tenant", Value: "sbx"}, {Kind: EditRemove, Name: "baggage"}, {Kind: EditRemove, Name: "baggage"}, {Kind: EditAdd, Name: "baggage", Value: "a=1,b=2,laneway-tenant=sbx"}}},
		},
		{
			name:    "a full baggage keeps the workload tenant in the header only",
			config:  `{"workloadTenant":"sbx"}`,
			headers: req(hdr("baggage", fullBaggage())),
			want: Decision{Outcome: OutcomeInjected, Tenant: "sbx", Source: SourceWorkload, BaggageFull: true,
				Edits: []Edit{{Kind: EditAdd, Name: "x-laneway-tenant", Value: "sbx"}}},
		},
		{
			name:    "a stripping gateway counts every removed carrier",
			config:  gatewayStripConfig,
			headers: req(hdr("baggage", "laneway-tenant=x"), hdr("tracestate", "laneway-tenant=x"), hdr("ot-baggage-laneway-tenant", "x"), hdr("ot-baggage-laneway-tenant", "y")),
			want: Decision{Outcome: OutcomeBaseline, Key: "laneway-tenant", Rejected: "x", RejectedSource: SourceBaggage, Reason: ReasonNotAllowed, Stripped: 4,
				Edits: []Edit{{Kind: EditRemove, Name: "baggage"}, {Kind: EditRemove, Name: "tracestate"}, {Kind: EditRemove, Name: "ot-baggage-laneway-tenant"}, {Kind: EditRemove, Name: "ot-baggage-laneway-tenant"}}},
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
			c.Route(tt.headers, &d)
			got := d
			got.bag, got.ts, got.tenantCount, got.tenantFirst, got.header, got.headerFound = nil, nil, 0, "", "", false
			got.ot, got.uber, got.otN, got.uberN = [MaxBaggageKeys]string{}, [MaxBaggageKeys]string{}, [MaxBaggageKeys]int{}, [MaxBaggageKeys]int{}
			if len(got.Edits) == 0 {
				got.Edits = nil
			}
			assert.Equal(t, tt.want, got)
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
	c.Route(req(hdr("x-tenant", "acme"), hdr("ot-baggage-laneway-tenant", "BAD")), &d)
	require.Equal(t, "BAD", d.Rejected)
	c.Route(req(), &d)
	assert.Equal(t, OutcomeBaseline, d.Outcome)
	assert.Empty(t, d.Rejected)
	assert.Empty(t, d.Edits)
	assert.Empty(t, d.Tenant)
}

func TestTracestateLookupAndRemove(t *testing.T) {
	v, ok := tracestateLookup([]string{"a=1", " b = 2", "\tsd-routing-key=acme ,c=3"}, "sd-routing-key")
	assert.True(t, ok)
	assert.Equal(t, "acme", v)
	_, ok = tracestateLookup([]string{"xsd-routing-key=acme", "sd-routing-key"}, "sd-routing-key")
	assert.False(t, ok, "neither a longer key nor a member without '=' matches")
	out, removed := tracestateRemove([]byte("x:"), []string{"a=1, k=x", ",,k=y,b=2"}, []string{"k"})
	assert.True(t, removed)
	assert.Equal(t, "x:a=1,b=2", string(out), "appended after what dst holds")
	_, removed = tracestateRemove(nil, []string{"a=1"}, []string{"k"})
	assert.False(t, removed)
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
		c.Route(headers, &d)

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
			if e.Kind != EditRemove && equalFold(e.Name, c.TenantHeader) {
				require.Equal(t, d.Tenant, e.Value)
			}
		}

		after := applyEdits(headers, d.Edits)
		var tenantValues []string
		for _, h := range after {
			if equalFold(h[0], c.TenantHeader) {
				tenantValues = append(tenantValues, h[1])
			} else if c.TrustBoundary {
				require.False(t, hasPrefixFold(h[0], c.StripHeaderPrefix), "client header %q survived the trust boundary", h[0])
			}
		}
		if d.Tenant == "" {
			require.Empty(t, tenantValues)
		} else {
			require.Equal(t, []string{d.Tenant}, tenantValues)
		}

		// The next hop (same config) derives the same tenant, and a sidecar has nothing left to change.
		stripped := c.TrustBoundary && c.StripBaggage && d.Stripped > 0
		c.Route(after, &again)
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
	c.Route(headers, &d)
	require.Equal(b, want, d.Outcome)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Route(headers, &d)
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
			require.NotPanics(t, func() { c.Route(in, &d) })
			if d.Tenant != "" {
				assert.True(t, c.Valid(d.Tenant))
			}
		}
	}
	c := mustConfig(t, gatewayConfig)
	c.Route(many, &d)
	assert.Equal(t, 10000, d.Stripped, "every spoofed copy is removed")
}
