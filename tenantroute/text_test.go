package tenantroute

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// The start-up summary, configuration errors and log lines are built without fmt (it would link fmt's printing
// code, reflect and internal/fmtsort into the module, about 0.3 MB): these are the exact texts fmt produced.
func TestSummaryConfigErrorAndLogTextsAreExact(t *testing.T) {
	summaries := []struct{ name, config, want string }{
		{"defaults", ``, "baggageKeys=[laneway-tenant,sd-routing-key] carriers=[] header=- tenantHeader=x-laneway-tenant validation=dns-label allow=any trustBoundary=off workloadTenant=- invalidLogLimit=128"},
		{"trust boundary, pattern, long allow list", `{"trustBoundary":true,"stripBaggage":false,"pattern":"t-*","carriers":["tracestate","ot-baggage"],"header":"x-tenant","invalidLogLimit":7,` +
			`"allow":["t-k","t-j","t-i","t-h","t-g","t-f","t-e","t-d","t-c","t-b","t-a"]}`,
			`baggageKeys=[laneway-tenant,sd-routing-key] carriers=[tracestate,ot-baggage] header=x-tenant tenantHeader=x-laneway-tenant validation=pattern:"t-*" allow=11 tenants [t-a,t-b,t-c,t-d,t-e,t-f,t-g,t-h,t-i,t-j]... ` +
				"trustBoundary=on stripHeaderPrefix=x-laneway- stripBaggage=false (UNSAFE: rejected tenants travel on to later hops) workloadTenant=- invalidLogLimit=7"},
		{"workload tenant", `{"workloadTenant":"acme","allow":["acme","globex"]}`,
			"baggageKeys=[laneway-tenant,sd-routing-key] carriers=[] header=- tenantHeader=x-laneway-tenant validation=dns-label allow=[acme,globex] trustBoundary=off workloadTenant=acme invalidLogLimit=128"},
	}
	for _, tc := range summaries {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.config))
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Summary())
		})
	}

	errs := []struct{ name, config, field, got, allowed string }{
		{"invalidLogLimit not a number", `{"invalidLogLimit":"1"}`, "invalidLogLimit", `string "1"`, "an integer from 0 to 4096"},
		{"invalidLogLimit too large", `{"invalidLogLimit":1000000}`, "invalidLogLimit", "number 1000000", "an integer from 0 to 4096"},
		{"carriers without baggage keys", `{"baggageKeys":[],"carriers":["tracestate","uberctx"]}`, "carriers", `["tracestate" "uberctx"] with no baggageKeys`,
			"at least one baggageKeys entry (carriers are looked up by baggage key)"},
		{"allow entry failing the pattern", `{"pattern":"a?","allow":["ab","abc"]}`, "allow[1]", `"abc"`, `a value matching pattern "a?" made of 1-253 characters A-Z a-z 0-9 - . _ ~`},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, []string{tc.field, tc.got, tc.allowed}, []string{ce.Field, ce.Got, ce.Allowed})
		})
	}

	t.Run("log lines", func(t *testing.T) {
		host, _ := emulator(t, NewVMContext(), `{"invalidLogLimit":2,"header":"x-tenant"}`)
		require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
		sendRequest(host, req(hdr("x-tenant", "B\"AD")))
		sendRequest(host, req(hdr("x-tenant", "x"+strings.Repeat("é", 40)))) // cut at 64 bytes, inside a rune
		sendRequest(host, req(hdr("x-tenant", "THIRD")))
		assert.Equal(t, []string{
			`tenantroute: ignoring tenant "B\"AD" from header (malformed); request goes to baseline (each value is logged once)`,
			`tenantroute: ignoring tenant "x` + strings.Repeat("é", 31) + `\xc3"... (81 bytes) from header (malformed); request goes to baseline (each value is logged once)`,
			"tenantroute: 2 distinct rejected tenants logged; further ones are only counted in laneway_tenantroute_invalid_total",
		}, host.GetWarnLogs())
		assert.Equal(t, []string{"tenantroute: started with baggageKeys=[laneway-tenant,sd-routing-key] carriers=[] header=x-tenant tenantHeader=x-laneway-tenant " +
			"validation=dns-label allow=any trustBoundary=off workloadTenant=- invalidLogLimit=2"}, host.GetInfoLogs())
	})
}
