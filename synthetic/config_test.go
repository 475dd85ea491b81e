package synthetic

import (
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func TestParseConfigAcceptsValidFields(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, c Config)
	}{
		{
			name: "an inbound config with only a mode gets every default",
			json: `{"mode":"inbound"}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, ModeInbound, c.Mode)
				assert.Equal(t, DefaultHeader, c.Header)
				assert.Equal(t, DefaultBaggageKey, c.BaggageKey)
				assert.False(t, c.HasSecret())
				assert.Empty(t, c.Principals)
			},
		},
		{
			name: "principals ending in a star become prefixes and the others exact identities",
			json: `{"mode":"inbound","trust":{"principals":["spiffe://cluster.local/ns/synthetics/*","spiffe://cluster.local/ns/a/sa/runner"]}}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"spiffe://cluster.local/ns/synthetics/"}, c.Prefixes)
				assert.Equal(t, []string{"spiffe://cluster.local/ns/a/sa/runner"}, c.Principals)
			},
		},
		{
			name: "a token section sets secret, header, skew and lifetime",
			json: `{"mode":"edge","trust":{"token":{"secret":"` + testSecret + `","header":"x-tok","maxSkew":"5s","maxLifetime":"10m"}}}`,
			check: func(t *testing.T, c Config) {
				assert.True(t, c.HasSecret())
				assert.Equal(t, "x-tok", c.TokenHeader)
				assert.Equal(t, 5*time.Second, c.MaxSkew)
				assert.Equal(t, 10*time.Minute, c.MaxLifetime)
			},
		},
		{
			name: "an outbound config defaults to refusing POST, PUT, PATCH and DELETE with 403",
			json: `{"mode":"outbound","participants":["orders","pay.shop.svc.cluster.local:8080","*.sbx.svc.cluster.local"]}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"POST", "PUT", "PATCH", "DELETE"}, c.MutatingMethods)
				assert.Equal(t, uint32(403), c.RefuseStatus)
				assert.Equal(t, DefaultRefuseBody, c.RefuseBody)
				assert.Equal(t, []Destination{
					{Host: "orders"},
					{Host: "pay.shop.svc.cluster.local", Port: "8080"},
					{Host: ".sbx.svc.cluster.local", Suffix: true},
				}, c.Participants)
				assert.False(t, c.AckRequired)
			},
		},
		{
			name: "refuse, methods and ack are read in outbound mode",
			json: `{"mode":"outbound","mutatingMethods":["POST"],"refuse":{"status":409,"body":"no {id}"},"ack":{"header":"x-ack","required":true}}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, []string{"POST"}, c.MutatingMethods)
				assert.Equal(t, uint32(409), c.RefuseStatus)
				assert.Equal(t, "no {id}", c.RefuseBody)
				assert.Equal(t, "x-ack", c.AckHeader)
				assert.True(t, c.AckRequired)
			},
		},
		{
			name: "reroute sets the routing header and value",
			json: `{"mode":"edge","reroute":{"header":"x-laneway-route","value":"synthetic-stub"}}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "x-laneway-route", c.RerouteHeader)
				assert.Equal(t, "synthetic-stub", c.RerouteValue)
			},
		},
		{
			name: "header names are folded to lower case and methods to upper case, as in every laneway filter",
			json: `{"mode":"edge","header":"X-Synth","trust":{"token":{"secret":"` + testSecret + `","header":"X-Tok"}},"mutatingMethods":["post","Purge"],"reroute":{"header":"X-Route","value":"stub v2"},"ack":{"header":"X-Ack"}}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "x-synth", c.Header)
				assert.Equal(t, "x-tok", c.TokenHeader)
				assert.Equal(t, "x-route", c.RerouteHeader)
				assert.Equal(t, "stub v2", c.RerouteValue)
				assert.Equal(t, "x-ack", c.AckHeader)
				assert.Equal(t, []string{"POST", "PURGE"}, c.MutatingMethods)
			},
		},
		{
			name: "custom marker header and baggage key are kept",
			json: `{"mode":"inbound","header":"x-synth","baggageKey":"synth"}`,
			check: func(t *testing.T, c Config) {
				assert.Equal(t, "x-synth", c.Header)
				assert.Equal(t, "synth", c.BaggageKey)
			},
		},
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
		name, json, field, allowed string
	}{
		{"invalid JSON is rejected", `{"mode":`, "", "JSON object"},
		{"a JSON array is not a config", `["inbound"]`, "", "JSON object"},
		{"trust without a mode is rejected", `{"trust":{"principals":["spiffe://a"]}}`, "trust", `a "mode" next to it`},
		{"participants without a mode are rejected", `{"participants":["orders"]}`, "participants", `"outbound" or "edge" for the destination policy`},
		{"mutatingMethods without a mode are rejected", `{"header":"x-s","mutatingMethods":["POST"]}`, "mutatingMethods", `only "header" and "baggageKey" may go without a mode`},
		{"refuse without a mode is rejected", `{"refuse":{"status":409}}`, "refuse", `a "mode" next to it`},
		{"reroute without a mode is rejected", `{"reroute":{"header":"x-r","value":"v"}}`, "reroute", `a "mode" next to it`},
		{"ack without a mode is rejected", `{"ack":{"required":true}}`, "ack", `a "mode" next to it`},
		{"a null mode is rejected, not taken as absent", `{"mode":null}`, "mode", "no mode to take inbound or outbound from the listener direction"},
		{"an unknown mode is named", `{"mode":"sidecar"}`, "mode", `"edge"`},
		{"an unknown top-level field is rejected", `{"mode":"inbound","trusted":[]}`, "trusted", "baggageKey"},
		{"a duplicate field is rejected", `{"mode":"inbound","mode":"edge"}`, "mode", "each field at most once"},
		{"a header name with a space is rejected", `{"mode":"inbound","header":"x synth"}`, "header", "RFC 7230 token"},
		{"a header the proxy owns is rejected", `{"mode":"inbound","header":"Content-Length"}`, "header", "the proxy owns them"},
		{"a pseudo-header is rejected", `{"mode":"inbound","header":":path"}`, "header", "pseudo-header"},
		{"baggage is not a marker header", `{"mode":"inbound","header":"baggage"}`, "header", "and baggage (the filter sets them itself)"},
		{"a baggage key with a space is rejected", `{"mode":"inbound","baggageKey":"a b"}`, "baggageKey", "RFC 7230 token; case-sensitive"},
		{"trust in outbound mode is rejected", `{"mode":"outbound","trust":{}}`, "trust", `mode "inbound" or "edge"`},
		{"participants in inbound mode are rejected", `{"mode":"inbound","participants":["a"]}`, "participants", `mode "outbound" or "edge"`},
		{"ack in inbound mode is rejected", `{"mode":"inbound","ack":{"required":true}}`, "ack", `mode "outbound" or "edge"`},
		{"an unknown trust field is rejected", `{"mode":"inbound","trust":{"principal":"x"}}`, "trust.principal", "principals, token"},
		{"principals must be a list", `{"mode":"inbound","trust":{"principals":"spiffe://a"}}`, "trust.principals", "an array of strings"},
		{"a principal listed twice is rejected", `{"mode":"inbound","trust":{"principals":["spiffe://a","spiffe://a"]}}`, "trust.principals[1]", "each entry at most once"},
		{"a lone star would trust everyone", `{"mode":"inbound","trust":{"principals":["*"]}}`, "trust.principals[0]", `not "*" alone`},
		{"a star inside a principal is rejected", `{"mode":"inbound","trust":{"principals":["spiffe://a/*/b"]}}`, "trust.principals[0]", "last character"},
		{"an empty principal is rejected", `{"mode":"inbound","trust":{"principals":["ok",""]}}`, "trust.principals[1]", "non-empty"},
		{"a token without secret is rejected", `{"mode":"inbound","trust":{"token":{}}}`, "trust.token.secret", "16 bytes"},
		{"a short secret is rejected", `{"mode":"inbound","trust":{"token":{"secret":"short"}}}`, "trust.token.secret", "16 bytes"},
		{"an unparsable skew is rejected", `{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","maxSkew":"soon"}}}`, "trust.token.maxSkew", "duration"},
		{"a skew above five minutes is rejected", `{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","maxSkew":"1h"}}}`, "trust.token.maxSkew", "5m0s"},
		{"a lifetime above a day is rejected", `{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","maxLifetime":"48h"}}}`, "trust.token.maxLifetime", "24h0m0s"},
		{"an unknown token field is rejected", `{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","ttl":"1h"}}}`, "trust.token.ttl", "maxLifetime"},
		{"a token header equal to the marker header is rejected", `{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","header":"x-laneway-synthetic"}}}`, "trust.token.header", "different from header"},
		{"a participant with a path is rejected", `{"mode":"outbound","participants":["orders/api"]}`, "participants[0]", "host:port"},
		{"a participant with port zero is rejected", `{"mode":"outbound","participants":["orders:0"]}`, "participants[0]", "host:port"},
		{"an upper-case participant is rejected", `{"mode":"outbound","participants":["Orders"]}`, "participants[0]", "lowercase"},
		{"a bare wildcard participant is rejected", `{"mode":"outbound","participants":["*."]}`, "participants[0]", "*.suffix"},
		{"an empty method list is rejected", `{"mode":"outbound","mutatingMethods":[]}`, "mutatingMethods", "non-empty"},
		{"a method that is not a token is rejected", `{"mode":"outbound","mutatingMethods":["PO ST"]}`, "mutatingMethods[0]", "RFC 7230 token"},
		{"a method listed twice in any case is rejected", `{"mode":"outbound","mutatingMethods":["POST","post"]}`, "mutatingMethods[1]", "each entry at most once"},
		{"more than 16 methods are rejected", `{"mode":"outbound","mutatingMethods":[` + strings.TrimSuffix(strings.Repeat(`"POST",`, 17), ",") + `]}`, "mutatingMethods", "at most 16 entries"},
		{"more than 256 participants are rejected", `{"mode":"outbound","participants":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 257), ",") + `]}`, "participants", "at most 256 entries"},
		{"more than 256 principals are rejected", `{"mode":"inbound","trust":{"principals":[` + strings.TrimSuffix(strings.Repeat(`"spiffe://a",`, 257), ",") + `]}}`, "trust.principals", "at most 256 entries"},
		{"a 200 refusal is rejected", `{"mode":"outbound","refuse":{"status":200}}`, "refuse.status", "400 to 599"},
		{"a fractional status is rejected", `{"mode":"outbound","refuse":{"status":403.5}}`, "refuse.status", "integer"},
		{"a non-string body is rejected", `{"mode":"outbound","refuse":{"body":1}}`, "refuse.body", "string"},
		{"refuse and reroute together are rejected", `{"mode":"outbound","refuse":{},"reroute":{"header":"x-r","value":"v"}}`, "reroute", "one of them"},
		{"a reroute without header is rejected", `{"mode":"outbound","reroute":{"value":"v"}}`, "reroute.header", "routing header"},
		{"a reroute without value is rejected", `{"mode":"outbound","reroute":{"header":"x-r"}}`, "reroute.value", "(required)"},
		{"an empty reroute value is rejected", `{"mode":"outbound","reroute":{"header":"x-r","value":""}}`, "reroute.value", "1 to 256 visible ASCII"},
		{"a reroute onto the marker header is rejected", `{"mode":"outbound","reroute":{"header":"x-laneway-synthetic","value":"v"}}`, "reroute.header", "different from header"},
		{"a string ack.required is rejected", `{"mode":"outbound","ack":{"required":"yes"}}`, "ack.required", "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json))
			require.Error(t, err)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Contains(t, ce.Allowed, tt.allowed)
			if tt.field != "" {
				assert.Contains(t, err.Error(), `field "`+tt.field+`"`)
			} else {
				assert.Contains(t, err.Error(), `field "(document)"`)
			}
		})
	}
}

func TestConfigWithoutModeTakesItFromTheListenerDirection(t *testing.T) {
	for _, js := range []string{``, "  \n", `{}`, `{"header":"x-synth","baggageKey":"synth"}`} {
		t.Run(js, func(t *testing.T) {
			c, err := ParseConfig([]byte(js))
			require.NoError(t, err)
			assert.Equal(t, ModeUnset, c.Mode)
			assert.Contains(t, c.Summary(), "mode=unset (inbound or outbound from the listener direction, read on the first request)")
			for _, tc := range []struct {
				dir     int64
				want    Mode
				summary string
			}{
				{proxyhost.DirectionInbound, ModeInbound, "mode=inbound (from the listener direction) "},
				{proxyhost.DirectionOutbound, ModeOutbound, "mode=outbound (from the listener direction) "},
			} {
				r, ok := c.WithDirection(tc.dir)
				require.True(t, ok)
				assert.Equal(t, tc.want, r.Mode)
				assert.True(t, strings.HasPrefix(r.Summary(), tc.summary), r.Summary())
				assert.Equal(t, ModeUnset, c.Mode, "c itself is not changed")
			}
			for _, dir := range []int64{0, 3, -1} {
				r, ok := c.WithDirection(dir)
				assert.False(t, ok, "direction %d", dir)
				assert.Equal(t, ModeUnset, r.Mode)
			}
			// Both directions' defaults are in place: no trusted source, no participant, the default methods.
			assert.Empty(t, c.Principals)
			assert.False(t, c.HasSecret())
			assert.Empty(t, c.Participants)
			assert.Equal(t, []string{"POST", "PUT", "PATCH", "DELETE"}, c.MutatingMethods)
		})
	}
	explicit := mustConfig(t, `{"mode":"edge"}`)
	r, ok := explicit.WithDirection(proxyhost.DirectionOutbound)
	require.True(t, ok)
	assert.Equal(t, ModeEdge, r.Mode, "an explicit mode is kept")
	assert.NotContains(t, r.Summary(), "listener direction")
}

func TestParseConfigNeverEchoesTheSecret(t *testing.T) {
	for _, js := range []string{
		`{"mode":"inbound","trust":{"token":"` + testSecret + `"}}`,
		`{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","bogus":1}}}`,
		`{"mode":"inbound","trust":{"token":{"secret":["` + testSecret + `"]}}}`,
	} {
		_, err := ParseConfig([]byte(js))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testSecret)
	}
}

func TestSummaryDescribesTheConfigWithoutTheSecret(t *testing.T) {
	c, err := ParseConfig([]byte(`{"mode":"edge","trust":{"principals":["spiffe://a/*"],"token":{"secret":"` + testSecret + `"}},
		"participants":["orders:8080"],"ack":{"required":true}}`))
	require.NoError(t, err)
	s := c.Summary()
	assert.NotContains(t, s, testSecret)
	for _, want := range []string{"mode=edge", "secret=set", `"spiffe://a/"`, `"orders:8080"`, "refuse(403)", "ack=required(x-laneway-synthetic-ack)"} {
		assert.Contains(t, s, want)
	}

	open, err := ParseConfig([]byte(`{"mode":"inbound"}`))
	require.NoError(t, err)
	assert.Contains(t, open.Summary(), "every marker is stripped")
}

func TestErrorMessagesSayWhatWasReceived(t *testing.T) {
	_, err := ParseConfig([]byte(`{"mode":"sidecar"}`))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), `got string "sidecar"`), err.Error())
}
