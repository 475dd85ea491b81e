package tenantroute

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfigAcceptsValidFields(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, c Config)
	}{
		{"empty input gives the defaults", "", func(t *testing.T, c Config) {
			assert.Equal(t, []string{"laneway-tenant", "sd-routing-key"}, c.BaggageKeys)
			assert.Empty(t, c.Carriers)
			assert.Equal(t, "", c.Header)
			assert.Equal(t, "x-laneway-tenant", c.TenantHeader)
			assert.Equal(t, "", c.Pattern)
			assert.Empty(t, c.Allow)
			assert.False(t, c.TrustBoundary)
			assert.Equal(t, "x-laneway-", c.StripHeaderPrefix)
			assert.False(t, c.StripBaggage)
			assert.Equal(t, "", c.WorkloadTenant)
			assert.Equal(t, 128, c.InvalidLogLimit)
		}},
		{"whitespace-only input gives the defaults", " \n\t", func(t *testing.T, c Config) {
			assert.Equal(t, DefaultTenantHeader, c.TenantHeader)
		}},
		{"an empty object gives the defaults", "{}", func(t *testing.T, c Config) {
			assert.Equal(t, DefaultBaggageKeys, c.BaggageKeys)
		}},
		{"baggageKeys replaces the default keys in order", `{"baggageKeys":["Tenant","sd-routing-key"]}`, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"Tenant", "sd-routing-key"}, c.BaggageKeys)
		}},
		{"baggageKeys may be empty", `{"baggageKeys":[]}`, func(t *testing.T, c Config) {
			assert.Empty(t, c.BaggageKeys)
		}},
		{"carriers accepts all three carriers", `{"carriers":["uberctx","tracestate","ot-baggage"]}`, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"uberctx", "tracestate", "ot-baggage"}, c.Carriers)
			assert.Equal(t, []Source{SourceUberctx, SourceTracestate, SourceOTBaggage}, c.carrierSources)
			assert.Equal(t, []string{"ot-baggage-laneway-tenant", "ot-baggage-sd-routing-key"}, c.otNames)
			assert.Equal(t, []string{"uberctx-laneway-tenant", "uberctx-sd-routing-key"}, c.uberNames)
			assert.True(t, c.useTracestate)
		}},
		{"header sets the plain tenant header", `{"header":"x-tenant"}`, func(t *testing.T, c Config) {
			assert.Equal(t, "x-tenant", c.Header)
		}},
		{"header names are folded to lower case (the one header-name rule)", `{"header":"X-Tenant","tenantHeader":"X-Sandbox","trustBoundary":true,"stripHeaderPrefix":"X-Edge-","allow":["acme"]}`, func(t *testing.T, c Config) {
			assert.Equal(t, "x-tenant", c.Header)
			assert.Equal(t, "x-sandbox", c.TenantHeader)
			assert.Equal(t, "x-edge-", c.StripHeaderPrefix)
		}},
		{"header may be empty for none", `{"header":""}`, func(t *testing.T, c Config) {
			assert.Equal(t, "", c.Header)
		}},
		{"baggage keys keep their case (baggage keys are case-sensitive)", `{"baggageKeys":["Tenant-Key"]}`, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"Tenant-Key"}, c.BaggageKeys)
		}},
		{"tenantHeader renames the output header", `{"tenantHeader":"x-sandbox"}`, func(t *testing.T, c Config) {
			assert.Equal(t, "x-sandbox", c.TenantHeader)
		}},
		{"pattern sets a whole-value glob check", `{"pattern":"[A-Z][A-Z][A-Z][0-9]*"}`, func(t *testing.T, c Config) {
			require.True(t, c.hasPattern)
			assert.True(t, c.Valid("ABC12"))
			assert.False(t, c.Valid("xABC12"), "the pattern is anchored")
		}},
		{"allow holds the allowed tenants", `{"allow":["acme","globex"]}`, func(t *testing.T, c Config) {
			assert.Equal(t, []string{"acme", "globex"}, c.Allow)
			assert.True(t, c.Allowed("acme"))
			assert.False(t, c.Allowed("initech"))
		}},
		{"allow is checked against a pattern given after it", `{"allow":["ABC1"],"pattern":"[A-Z]*[0-9]"}`, func(t *testing.T, c Config) {
			assert.True(t, c.Allowed("ABC1"))
		}},
		{"trustBoundary with its options", `{"trustBoundary":true,"stripHeaderPrefix":"x-tenancy-","stripBaggage":true,"allow":["acme"]}`, func(t *testing.T, c Config) {
			assert.True(t, c.TrustBoundary)
			assert.True(t, c.StripBaggage)
			assert.Equal(t, "x-tenancy-", c.StripHeaderPrefix)
		}},
		{"trustBoundary false is accepted", `{"trustBoundary":false,"stripBaggage":false}`, func(t *testing.T, c Config) {
			assert.False(t, c.TrustBoundary)
		}},
		{"workloadTenant is kept", `{"workloadTenant":"sbx-1"}`, func(t *testing.T, c Config) {
			assert.Equal(t, "sbx-1", c.WorkloadTenant)
		}},
		{"workloadTenant may be empty", `{"workloadTenant":""}`, func(t *testing.T, c Config) {
			assert.Equal(t, "", c.WorkloadTenant)
		}},
		{"invalidLogLimit accepts zero", `{"invalidLogLimit":0}`, func(t *testing.T, c Config) {
			assert.Equal(t, 0, c.InvalidLogLimit)
		}},
		{"invalidLogLimit accepts its maximum", `{"invalidLogLimit":4096}`, func(t *testing.T, c Config) {
			assert.Equal(t, 4096, c.InvalidLogLimit)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.json))
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestParseConfigRejectsBadFieldsNamingThem(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		field    string
		contains []string // substrings of the message (received and allowed values)
	}{
		{"not JSON", `{"allow":`, "", []string{"not valid JSON", "JSON object"}},
		{"a JSON array", `["acme"]`, "", []string{"array", "JSON object"}},
		{"JSON null", `null`, "", []string{"null", "JSON object"}},
		{"a bare string", `"acme"`, "", []string{"string", "JSON object"}},
		{"an unknown field", `{"tenant":"acme"}`, "tenant", []string{"unknown field", "baggageKeys"}},
		{"a misspelled field", `{"baggagekeys":[]}`, "baggagekeys", []string{"unknown field", "baggageKeys"}},
		{"a field given twice", `{"allow":["a"],"allow":["b"]}`, "allow", []string{"a second time", "at most once"}},
		{"baggageKeys not an array", `{"baggageKeys":"laneway-tenant"}`, "baggageKeys", []string{`string "laneway-tenant"`, "array"}},
		{"baggageKeys with a number", `{"baggageKeys":["a",1]}`, "baggageKeys[1]", []string{"number 1", "baggage key"}},
		{"baggageKeys with a space", `{"baggageKeys":["a b"]}`, "baggageKeys[0]", []string{`"a b"`, "token"}},
		{"baggageKeys with an empty key", `{"baggageKeys":[""]}`, "baggageKeys[0]", []string{`""`, "baggage key"}},
		{"baggageKeys repeated", `{"baggageKeys":["a","a"]}`, "baggageKeys[1]", []string{"the same as an earlier entry", "at most once"}},
		{"baggageKeys too many", `{"baggageKeys":["a","b","c","d","e","f","g","h","i"]}`, "baggageKeys", []string{"9 entries", "at most 8"}},
		{"carriers unknown", `{"carriers":["b3"]}`, "carriers[0]", []string{`"b3"`, `"tracestate"`, `"ot-baggage"`, `"uberctx"`}},
		{"carriers not an array", `{"carriers":true}`, "carriers", []string{"boolean true", "array"}},
		{"carriers repeated", `{"carriers":["uberctx","uberctx"]}`, "carriers[1]", []string{"the same as an earlier entry"}},
		{"carriers without baggage keys", `{"baggageKeys":[],"carriers":["uberctx"]}`, "carriers", []string{"baggageKeys"}},
		{"header a header the proxy owns", `{"header":"host"}`, "header", []string{`"host"`, "the proxy owns them"}},
		{"header too long", `{"header":"` + strings.Repeat("x", 129) + `"}`, "header", []string{"1 to 128"}},
		{"tenantHeader a header the proxy owns", `{"tenantHeader":"Content-Length"}`, "tenantHeader", []string{`"Content-Length"`, "the proxy owns them"}},
		{"tenantHeader tracestate in upper case", `{"tenantHeader":"TraceState"}`, "tenantHeader", []string{"carrier"}},
		{"stripHeaderPrefix with a space", `{"trustBoundary":true,"stripHeaderPrefix":"x laneway"}`, "stripHeaderPrefix", []string{"token"}},
		{"pattern too long", `{"pattern":"` + strings.Repeat("a", 1025) + `"}`, "pattern", []string{"at most 1024 bytes"}},
		{"a baggage key too long", `{"baggageKeys":["` + strings.Repeat("k", 129) + `"]}`, "baggageKeys[0]", []string{"1-128"}},
		{"header a pseudo-header", `{"header":":authority"}`, "header", []string{`":authority"`, "token"}},
		{"header not a string", `{"header":1}`, "header", []string{"number 1"}},
		{"header equal to tenantHeader", `{"header":"x-laneway-tenant"}`, "header", []string{"tenantHeader"}},
		{"header baggage", `{"header":"baggage"}`, "header", []string{"baggageKeys"}},
		{"header an uberctx carrier", `{"trustBoundary":true,"stripBaggage":true,"allow":["acme"],"carriers":["uberctx"],"header":"uberctx-laneway-tenant"}`, "header", []string{`"uberctx-laneway-tenant"`, "plain header", "carriers"}},
		{"header an ot-baggage carrier", `{"trustBoundary":true,"stripBaggage":true,"allow":["acme"],"carriers":["ot-baggage"],"header":"ot-baggage-sd-routing-key"}`, "header", []string{`"ot-baggage-sd-routing-key"`, "plain header", "carriers"}},
		{"header a carrier header even with carriers off", `{"header":"uberctx-anything"}`, "header", []string{`"uberctx-anything"`, "carriers"}},
		{"header an ot-baggage header of another key", `{"carriers":["tracestate"],"header":"ot-baggage-x"}`, "header", []string{`"ot-baggage-x"`, "carriers"}},
		{"header stripped at the trust boundary", `{"trustBoundary":true,"header":"x-laneway-client"}`, "header", []string{"stripHeaderPrefix"}},
		{"tenantHeader empty", `{"tenantHeader":""}`, "tenantHeader", []string{`""`, "token"}},
		{"tenantHeader baggage", `{"tenantHeader":"baggage"}`, "tenantHeader", []string{"carrier"}},
		{"tenantHeader with a newline", `{"tenantHeader":"x-a\nb"}`, "tenantHeader", []string{"token"}},
		{"pattern not a glob", `{"pattern":"a[b"}`, "pattern", []string{`"a[b"`, "glob"}},
		{"pattern with a trailing escape", `{"pattern":"a\\"}`, "pattern", []string{"glob"}},
		{"pattern not a string", `{"pattern":[]}`, "pattern", []string{"array"}},
		{"allow not an array", `{"allow":"acme"}`, "allow", []string{`string "acme"`, "array"}},
		{"allow with a bad DNS label", `{"allow":["acme","Acme"]}`, "allow[1]", []string{`"Acme"`, "DNS label"}},
		{"allow with a value failing the pattern", `{"pattern":"[a-z][a-z]","allow":["a1"]}`, "allow[0]", []string{`"a1"`, "pattern"}},
		{"allow with an unsafe value matching the pattern", `{"pattern":"*","allow":["a,b"]}`, "allow[0]", []string{`"a,b"`, "A-Z a-z 0-9"}},
		{"allow repeated", `{"allow":["a","a"]}`, "allow[1]", []string{"the same as an earlier entry"}},
		{"allow with null", `{"allow":[null]}`, "allow[0]", []string{"null"}},
		{"trustBoundary not a boolean", `{"trustBoundary":"yes"}`, "trustBoundary", []string{`string "yes"`, "true or false"}},
		{"stripBaggage without trustBoundary", `{"stripBaggage":true}`, "stripBaggage", []string{"trustBoundary"}},
		{"stripBaggage not a boolean", `{"trustBoundary":true,"stripBaggage":1}`, "stripBaggage", []string{"number 1", "true or false"}},
		{"stripHeaderPrefix without trustBoundary", `{"stripHeaderPrefix":"x-laneway-"}`, "stripHeaderPrefix", []string{"trustBoundary"}},
		{"stripHeaderPrefix empty", `{"trustBoundary":true,"stripHeaderPrefix":""}`, "stripHeaderPrefix", []string{"token"}},
		{"workloadTenant invalid", `{"workloadTenant":"Sandbox_1"}`, "workloadTenant", []string{`"Sandbox_1"`, "DNS label"}},
		{"workloadTenant not allowed", `{"allow":["acme"],"workloadTenant":"globex"}`, "workloadTenant", []string{"allow list"}},
		{"workloadTenant at a trust boundary", `{"trustBoundary":true,"workloadTenant":"acme"}`, "workloadTenant", []string{"trustBoundary"}},
		{"workloadTenant without baggage keys", `{"baggageKeys":[],"workloadTenant":"acme"}`, "workloadTenant", []string{"baggageKeys"}},
		{"workloadTenant not a string", `{"workloadTenant":{}}`, "workloadTenant", []string{"object"}},
		{"invalidLogLimit negative", `{"invalidLogLimit":-1}`, "invalidLogLimit", []string{"number -1", "0 to 4096"}},
		{"invalidLogLimit fractional", `{"invalidLogLimit":1.5}`, "invalidLogLimit", []string{"number 1.5"}},
		{"invalidLogLimit too large", `{"invalidLogLimit":100000}`, "invalidLogLimit", []string{"0 to 4096"}},
		{"invalidLogLimit a string", `{"invalidLogLimit":"10"}`, "invalidLogLimit", []string{`string "10"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			require.Error(t, err)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "error %v is a *ConfigError", err)
			assert.Equal(t, tt.field, ce.Field)
			for _, s := range tt.contains {
				assert.Contains(t, err.Error(), s)
			}
			if tt.field != "" {
				assert.Contains(t, err.Error(), `"`+tt.field+`"`, "the message names the field")
			} else {
				assert.Contains(t, err.Error(), `field "(document)"`, "the message says the whole document is wrong")
			}
		})
	}
}

func TestValidAcceptsExactlyDNSLabelsByDefault(t *testing.T) {
	c, err := ParseConfig(nil)
	require.NoError(t, err)
	for _, ok := range []string{"a", "acme", "sbx-1", "0", strings.Repeat("a", 63), "a-b-c9"} {
		assert.True(t, c.Valid(ok), ok)
	}
	for _, bad := range []string{"", "-a", "a-", "Acme", "a.b", "a_b", "a b", strings.Repeat("a", 64), "é", "a\x00", "a,b"} {
		assert.False(t, c.Valid(bad), bad)
	}
}

func TestValidWithPatternNeverWidensTheSafeAlphabet(t *testing.T) {
	c, err := ParseConfig([]byte(`{"pattern":"*"}`))
	require.NoError(t, err)
	assert.True(t, c.Valid("Feature_Branch.1~x"))
	for _, bad := range []string{"", "a b", "a,b", "a;b", "a%20", "a\r\nx-evil: 1", strings.Repeat("a", MaxTenantLen+1)} {
		assert.False(t, c.Valid(bad), "%q", bad)
	}
}

func TestSummaryDescribesTheEffectiveConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`{"trustBoundary":true,"allow":["globex","acme"],"carriers":["tracestate"],"header":"x-tenant"}`))
	require.NoError(t, err)
	s := c.Summary()
	for _, want := range []string{"baggageKeys=[laneway-tenant,sd-routing-key]", "carriers=[tracestate]", "header=x-tenant",
		"tenantHeader=x-laneway-tenant", "validation=dns-label", "allow=[acme,globex]", "trustBoundary=on",
		"stripHeaderPrefix=x-laneway-", "stripBaggage=true", "workloadTenant=-", "invalidLogLimit=128"} {
		assert.Contains(t, s, want)
	}
	assert.Empty(t, c.UnsafeWarning(), "a trust boundary strips by default")
	unsafe, err := ParseConfig([]byte(`{"trustBoundary":true,"allow":["acme"],"stripBaggage":false}`))
	require.NoError(t, err)
	assert.Contains(t, unsafe.Summary(), "stripBaggage=false (UNSAFE: rejected tenants travel on to later hops)")
	assert.Contains(t, unsafe.UnsafeWarning(), "stripBaggage is false: UNSAFE")
	d, err := ParseConfig(nil)
	require.NoError(t, err)
	assert.Contains(t, d.Summary(), "trustBoundary=off")
	assert.Contains(t, d.Summary(), "allow=any")
}

func FuzzConfig(f *testing.F) {
	for _, seed := range []string{"", "{}", `{"allow":["a"]}`, `{"pattern":"[ab]*"}`, `{"trustBoundary":true,"stripBaggage":true}`,
		`{"carriers":["tracestate","ot-baggage","uberctx"],"header":"x-t","workloadTenant":"w"}`, `{"invalidLogLimit":1e3}`, "[", `{"a":}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			require.True(t, errors.As(err, &ce))
			return
		}
		_ = c.Summary()
		if c.WorkloadTenant != "" {
			require.True(t, c.Valid(c.WorkloadTenant) && c.Allowed(c.WorkloadTenant))
		}
		for _, a := range c.Allow {
			require.True(t, c.Valid(a))
		}
	})
}
