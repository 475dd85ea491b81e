package tenantroute

import (
	"github.com/laneway/laneway/filters/proxyhost"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/baggage/appread"
)

// What an application behind a stripping gateway reads (issue 17): whichever SDK it uses, the only tenant
// key it finds in the forwarded baggage holds the tenant the gateway accepted, and with none accepted it
// finds no tenant key at all.

// appTenantReadings returns, per SDK model, the values it reads under a default tenant key in the forwarded
// baggage headers (Python reads only the first header, as OpenTelemetry Python does).
func appTenantReadings(forwarded [][2]string) map[string][]string {
	var bags []string
	for _, p := range forwarded {
		if equalFold(p[0], "baggage") {
			bags = append(bags, p[1])
		}
	}
	out := map[string][]string{}
	add := func(who string, ms []appread.Member) {
		for _, m := range ms {
			for _, k := range DefaultBaggageKeys {
				if m.Key == k {
					out[who] = append(out[who], m.Value)
				}
			}
		}
	}
	if len(bags) > 0 {
		add("python", appread.Python(bags[0]))
	}
	add("js", appread.JS(strings.Join(bags, ",")))
	add("java", appread.Java(strings.Join(bags, ",")))
	for k, v := range otelTenantMembers(forwarded) {
		_ = k
		out["go"] = append(out["go"], v)
	}
	return out
}

// assertAppsReadOnly checks that every SDK reads only tenant ("" = nothing) under the tenant keys.
func assertAppsReadOnly(t *testing.T, forwarded [][2]string, tenant string) {
	t.Helper()
	for who, vals := range appTenantReadings(forwarded) {
		for _, v := range vals {
			assert.Equal(t, tenant, v, "%s reads a tenant key holding %q; forwarded baggage %q", who, v, headerValuesOf(forwarded, "baggage"))
		}
	}
}

// pythonAttacks are keys and values OpenTelemetry Python's unquote_plus(...).strip() turns into a tenant
// member, sent to the gateway of issue 17 (allow [acme], reads baggage only).
var pythonAttacks = []struct {
	name    string
	baggage string
	tenant  string // what the gateway accepts
}{
	{"a key with an escaped dash", "laneway%2Dtenant=evil", ""},
	{"a key with a lower-case escape", "laneway%2dtenant=evil", ""},
	{"an escaped first letter", "%6Caneway-tenant=evil", ""},
	{"an escaped Signadot key", "sd-routing%2Dkey=evil", ""},
	{"a trailing plus (a space to Python)", "laneway-tenant+=evil", ""},
	{"a leading plus", "+sd-routing-key=evil", ""},
	{"an escaped trailing space", "laneway-tenant%20=evil", ""},
	{"escaped tab and no-break space around the key", "%09laneway-tenant%C2%A0=evil", ""},
	{"an escaped unit separator (str.isspace)", "laneway-tenant%1F=evil", ""},
	{"an allowed tenant next to an encoded evil copy", "laneway-tenant=acme,laneway%2Dtenant=evil", "acme"},
	{"an encoded evil copy before the allowed tenant", "laneway-tenant+=evil,laneway-tenant=acme", "acme"},
	{"an allowed tenant with properties (Python reads them into the value)", "laneway-tenant=acme;ttl=1", "acme"},
	{"an allowed tenant with a value Python strips", "laneway-tenant=acme,sd-routing-key=%20acme", "acme"},
	{"an allowed Signadot key next to an encoded laneway key", "sd-routing-key=acme,%6Caneway-tenant=evil", "acme"},
	{"a plus in the value (a space to Python)", "laneway-tenant=ac+me", ""},
}

func TestWhatPythonReadsBehindTheGatewayIsOnlyTheAcceptedTenant(t *testing.T) {
	c := mustConfig(t, issue17Config)
	for _, tt := range pythonAttacks {
		t.Run(tt.name, func(t *testing.T) {
			var d Decision
			in := req(hdr("baggage", "userid=42,"+tt.baggage))
			c.Decide(in, &d)
			require.Equal(t, tt.tenant, d.Tenant)
			forwarded := proxyhost.AppendEdited(nil, in, d.Edits)
			var py []appread.Member
			if bags := headerValuesOf(forwarded, "baggage"); len(bags) > 0 {
				py = appread.Python(bags[0])
			}
			sawLaneway := false
			for _, m := range py {
				if m.Key == "laneway-tenant" || m.Key == "sd-routing-key" {
					assert.Equal(t, tt.tenant, m.Value, "Python reads %s=%q in %q", m.Key, m.Value, headerValuesOf(forwarded, "baggage"))
					sawLaneway = sawLaneway || m.Key == "laneway-tenant"
				}
			}
			assert.Equal(t, tt.tenant != "", sawLaneway, "Python reads laneway-tenant exactly when a tenant was accepted")
			assertAppsReadOnly(t, forwarded, tt.tenant)
		})
	}
}

// FuzzGatewayForwardsNoOtherTenantKey: for any request, nothing a stripping gateway forwards in baggage
// reads, under the documented key rules (baggage.KeyReadsAs) or any SDK model, as a tenant key other than
// the accepted member; with no tenant accepted, nothing does.
func FuzzGatewayForwardsNoOtherTenantKey(f *testing.F) {
	for _, tt := range pythonAttacks {
		f.Add(tt.baggage, "", "", "")
	}
	f.Add("laneway-tenant=acme", "a=1,", "sd-routing-key=acme", "acme")
	f.Add(" , laneway%2Dtenant=x", "sd-routing-key=acme;p", "laneway-tenant=evil", "evil")
	configs := []*Config{mustConfig(f, issue17Config), mustConfig(f, stripGatewayConfig)}
	keys := DefaultBaggageKeys
	f.Fuzz(func(t *testing.T, b1, b2, ts, plain string) {
		in := req(hdr("baggage", b1), hdr("baggage", b2), hdr("tracestate", ts), hdr("x-tenant", plain), hdr("uberctx-sd-routing-key", plain))
		for _, c := range configs {
			var d Decision
			c.Decide(in, &d)
			forwarded := proxyhost.AppendEdited(nil, in, d.Edits)
			for _, v := range headerValuesOf(forwarded, "baggage") {
				for _, e := range strings.Split(v, ",") {
					kv, _, _ := strings.Cut(e, ";")
					k, val, ok := strings.Cut(kv, "=")
					if !ok {
						continue
					}
					k = strings.TrimSpace(k)
					for _, key := range keys {
						if !baggage.KeyReadsAs(k, key) && appread.PythonText(k) != key {
							continue
						}
						require.NotEmpty(t, d.Tenant, "no tenant accepted, yet %q reads as %s in %q", k, key, v)
						require.Contains(t, keys, k, "only exact tenant keys travel: %q in %q", k, v)
						require.Equal(t, d.Tenant, strings.TrimSpace(val), "%s holds only the accepted tenant in %q", k, v)
					}
				}
			}
			assertAppsReadOnly(t, forwarded, d.Tenant)
		}
	})
}
