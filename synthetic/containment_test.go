package synthetic

import (
	"strconv"
	"strings"
	"testing"

	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelbaggage "go.opentelemetry.io/otel/baggage"
)

// appHopCases are trusted synthetic requests whose baggage is full or hides marker members: what the
// inbound filter forwards to an OpenTelemetry-instrumented application must carry exactly the accepted id.
// wasmOnly cases need the host to replace every occurrence of a header, as Envoy (and testenv) do;
// proxytest's emulator replaces only the first.
func appHopCases() []struct {
	name, bag string
	wasmOnly  bool
} {
	var filler []string
	for i := 0; i < 64; i++ {
		filler = append(filler, "k"+strconv.Itoa(i)+"=v")
	}
	return []struct {
		name, bag string
		wasmOnly  bool
	}{
		{"full baggage: 64 members", strings.Join(filler, ","), false},
		{"full baggage: 8190 bytes", "big=" + strings.Repeat("x", 8186), false},
		{"full baggage: 64 members across two headers", strings.Join(filler[:40], ",") + "\x00" + strings.Join(filler[40:], ","), true},
		{"a hidden member OpenTelemetry reads: trailing NBSP", "laneway-synthetic=tx-ok,laneway-synthetic=tx-evil\u00a0", false},
		{"a hidden member OpenTelemetry reads: beyond 64 members", strings.Join(filler[:63], ",") + ",laneway-synthetic=tx-ok,laneway-synthetic=tx-evil", false},
		{"a hidden member in a second baggage header", "laneway-synthetic=tx-ok\x00laneway-synthetic=tx-evil\u00a0", true},
	}
}

// trustedRequest is a synthetic POST from a trusted peer with id tx-ok and bag ('\x00' separates headers).
func trustedRequest(bag string) scenario {
	r := req("POST", "orders", "x-laneway-synthetic", "1;id=tx-ok")
	for _, b := range strings.Split(bag, "\x00") {
		r = append(r, [2]string{"baggage", b})
	}
	return scenario{
		config:  `{"mode":"inbound","trust":{"principals":["` + trustedSA + `"]}}`,
		uriSAN:  trustedSA,
		request: r,
	}
}

// checkAppHop asserts what the application receives, then follows its own write to billing (not
// rollback-capable) through the outbound filter, with the baggage as received and as OpenTelemetry
// re-writes it: the write must be refused.
func checkAppHop(t *testing.T, got outcome) {
	require.Equal(t, uint64(1), got.counters[OutcomeAccepted])
	var bags []string
	for _, h := range got.upstream {
		if h[0] == "baggage" {
			bags = append(bags, h[1])
		}
	}
	require.Len(t, bags, 1, "one baggage header reaches the application")
	assert.NotContains(t, bags[0], "tx-evil", "hidden marker members are removed")
	app, err := otelbaggage.Parse(bags[0])
	require.NoError(t, err, "OpenTelemetry accepts %q", bags[0])
	assert.Equal(t, "tx-ok", app.Member("laneway-synthetic").Value(), "the id the application reads and forwards")

	out := mustConfig(t, `{"mode":"outbound","participants":["orders"]}`)
	for _, forwarded := range []string{bags[0], app.String()} {
		d := decide(out, req("POST", "billing", "baggage", forwarded), noFacts)
		assert.Equal(t, ActionRefuse, d.Action, "the application's synthetic write to billing is refused")
		assert.Equal(t, "tx-ok", d.ID)
	}
}

// TestSyntheticMarkerSurvivesAnOpenTelemetryAppHop runs the app-hop cases in the Go leg and the filter's
// Wasm legs; the wasmOnly cases skip the Go leg (proxytest replaces only the first copy of a header).
func TestSyntheticMarkerSurvivesAnOpenTelemetryAppHop(t *testing.T) {
	legs := append([]scenariotest.Leg{scenariotest.GoLeg("synthetic", NewVMContext, nil)}, scenariotest.WasmLegs(t, "synthetic")...)
	for _, leg := range legs {
		for _, tc := range appHopCases() {
			if tc.wasmOnly && leg.Go {
				continue
			}
			t.Run(leg.Name+"/"+tc.name, func(t *testing.T) {
				sc := trustedRequest(tc.bag)
				checkAppHop(t, scenarioOutcome(t, sc, leg.Run(t, scenarioCase(sc))))
			})
		}
	}
}

// Methods are tokens an application may match case-insensitively: a synthetic write must not escape
// the destination policy by its spelling (fail closed).
func TestMutatingMethodsCompareCaseInsensitively(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound","participants":["orders"]}`)
	for _, tt := range []struct {
		method string
		want   Action
	}{
		{"POST", ActionRefuse},
		{"post", ActionRefuse},
		{"Post", ActionRefuse},
		{"delete", ActionRefuse},
		{"Patch", ActionRefuse},
		{"pUT", ActionRefuse},
		{"GET", ActionForward},
		{"get", ActionForward},
		{"POSTX", ActionForward},
	} {
		t.Run(tt.method, func(t *testing.T) {
			d := decide(c, req(tt.method, "billing", "x-laneway-synthetic", "1;id=tx-1"), noFacts)
			assert.Equal(t, tt.want, d.Action)
		})
	}
}
