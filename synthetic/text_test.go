package synthetic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// The start-up summary, configuration errors and log lines are built without fmt (it would link fmt's printing
// code, reflect and internal/fmtsort into the module, about 0.3 MB): these are the exact texts fmt produced.
func TestSummaryConfigErrorAndLogTextsAreExact(t *testing.T) {
	summaries := []struct{ name, config, want string }{
		{"inbound with a token", `{"mode":"inbound","trust":{"principals":["spiffe://a/ns/x/sa/y","spiffe://b/*","spiffe://\"q\"/*"],"token":{"secret":"` + testSecret + `","maxSkew":"1m30s","maxLifetime":"90m"}}}`,
			`mode=inbound header=x-laneway-synthetic baggageKey=laneway-synthetic trustedPrincipals=1 trustedPrefixes=["spiffe://b/" "spiffe://\"q\"/"] ` +
				"token=on(header=x-laneway-synthetic-token maxSkew=1m30s maxLifetime=1h30m0s secret=set)"},
		{"edge rerouting with ack", `{"mode":"edge","participants":["orders:8080","billing"],"mutatingMethods":["POST","DELETE"],"reroute":{"header":"x-r","value":"sandbox"},"ack":{"required":true,"header":"x-ack"}}`,
			"mode=edge header=x-laneway-synthetic baggageKey=laneway-synthetic trustedPrincipals=0 trustedPrefixes=[] token=off (no trusted source: every marker is stripped) " +
				`participants=["orders:8080" "billing"] mutatingMethods=["POST" "DELETE"] nonParticipantWrites=reroute(x-r: sandbox) ack=required(x-ack)`},
		{"outbound refusing", `{"mode":"outbound","refuse":{"status":409}}`,
			`mode=outbound header=x-laneway-synthetic baggageKey=laneway-synthetic participants=[] mutatingMethods=["POST" "PUT" "PATCH" "DELETE"] nonParticipantWrites=refuse(409) ack=off`},
	}
	for _, tc := range summaries {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.config))
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Summary())
		})
	}

	t.Run("duration error", func(t *testing.T) {
		_, err := ParseConfig([]byte(`{"mode":"inbound","trust":{"token":{"secret":"` + testSecret + `","maxLifetime":"1ms"}}}`))
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, `a duration from 1s to 24h0m0s such as "30s", "250ms" or "1h"`, ce.Allowed)
	})

	t.Run("log lines", func(t *testing.T) {
		opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).
			WithPluginConfiguration([]byte(`{"mode":"outbound","participants":["orders"],"ack":{"required":true}}`))
		host, reset := proxytest.NewHostEmulator(opt)
		defer reset()
		require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
		for _, ack := range []string{"wrong \"id\"\n", ""} {
			id := host.InitializeHttpContext()
			host.CallOnRequestHeaders(id, req("POST", "orders", "x-laneway-synthetic", "1;id=tx-q"), false)
			host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}, {"x-laneway-synthetic-ack", ack}}, false)
			host.CompleteHttpContext(id)
		}
		assert.Equal(t, []string{`synthetic: started: mode=outbound header=x-laneway-synthetic baggageKey=laneway-synthetic participants=["orders"] ` +
			`mutatingMethods=["POST" "PUT" "PATCH" "DELETE"] nonParticipantWrites=refuse(403) ack=required(x-laneway-synthetic-ack)`}, host.GetInfoLogs())
		assert.Equal(t, []string{`synthetic: tx tx-q: orders did not acknowledge with x-laneway-synthetic-ack: "wrong \"id\"" (further misses are logged at debug)`}, host.GetWarnLogs())
		assert.Equal(t, []string{"synthetic: tx tx-q: forward POST to orders (marker from the local workload)", "synthetic: tx tx-q: forward POST to orders (marker from the local workload)",
			`synthetic: tx tx-q: orders did not acknowledge with x-laneway-synthetic-ack: ""`}, host.GetDebugLogs())
	})
}
