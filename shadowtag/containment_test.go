package shadowtag

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelbaggage "go.opentelemetry.io/otel/baggage"
)

// The chain the baggage member exists for: the inbound filter marks a mirrored copy, the shadow app
// (OpenTelemetry-instrumented) reads the baggage it received and sends it on with its own write, and the
// outbound filter must recognise that write as shadow and suppress it. OpenTelemetry's parser is the
// differential: it reads members this package drops (trailing NBSP, members beyond 64), so what it reads
// must be the mark, and the baggage it re-serialises must still contain the write.
func TestShadowMarkSurvivesAnOpenTelemetryAppHop(t *testing.T) {
	for _, tc := range []struct{ name, bag string }{
		{"no baggage", ""},
		{"ordinary baggage", "tenant=acme"},
		{"full baggage: 64 members", members(64)},
		{"full baggage: 8190 bytes", "big=" + strings.Repeat("x", 8186)},
		{"full baggage with an old laneway-shadow=0 member", members(63) + ",laneway-shadow=0"},
		{"a hidden member OpenTelemetry reads: trailing NBSP", "laneway-shadow=1,laneway-shadow=0\u00a0"},
		{"a hidden member OpenTelemetry reads: beyond 64 members", members(63) + ",laneway-shadow=1,laneway-shadow=0"},
		{"members spelling the mark 1 and true", "laneway-shadow=1,laneway-shadow=true"},
		{"members that disagree", "laneway-shadow=true,laneway-shadow=0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := mustConfig(t, `{"mode":"inbound"}`)
			out := mustConfig(t, `{"mode":"outbound"}`)
			mirrored := req("POST", "orders-shadow:8080")
			if tc.bag != "" {
				mirrored = append(mirrored, [2]string{"baggage", tc.bag})
			}
			d := in.decideFor(ModeInbound, mirrored)
			require.True(t, d.Shadow)
			var bags []string
			for _, p := range applied(mirrored, d) {
				if p[0] == "baggage" {
					bags = append(bags, p[1])
				}
			}
			require.Len(t, bags, 1, "one baggage header reaches the app")

			app, err := otelbaggage.Parse(bags[0])
			require.NoError(t, err, "the app's parser accepts %q", bags[0])
			assert.Equal(t, "1", app.Member("laneway-shadow").Value(), "what the app reads and forwards")

			for _, forwarded := range []string{bags[0], app.String()} { // as received, and as OpenTelemetry re-writes it
				w := out.decideFor(ModeOutbound, req("POST", "payments:8080", "baggage", forwarded))
				assert.True(t, w.Shadow, "the app's write is recognised as shadow")
				assert.Equal(t, OutcomeSuppressed, w.Outcome, "the app's write does not reach payments")
			}
		})
	}
}
