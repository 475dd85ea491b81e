package shadowtag

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustConfig(t testing.TB, js string) Config {
	c, err := ParseConfig([]byte(js))
	require.NoError(t, err)
	return c
}

func TestDecideReportsWhichSignalDetectedTheShadow(t *testing.T) {
	markers := `"markerHeaders":[{"name":"x-mirror"},{"name":"x-traffic","value":"shadow"}]`
	for _, tc := range []struct {
		name    string
		config  string
		mode    Mode
		headers [][2]string
		want    Signal
	}{
		{"the current suffix form on inbound", `{"mode":"inbound"}`, ModeInbound, req("GET", "a-shadow:80"), SignalHostSuffix},
		{"the old suffix form on inbound", `{"mode":"inbound"}`, ModeInbound, req("GET", "a:80-shadow"), SignalHostSuffix},
		{"no suffix signal when disabled", `{"mode":"inbound","detect":{"hostSuffix":false}}`, ModeInbound, req("GET", "a-shadow:80"), 0},
		{"no suffix signal on outbound", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a-shadow:80"), 0},
		{"the Host header when :authority is missing", `{"mode":"inbound"}`, ModeInbound, [][2]string{{":method", "GET"}, {"host", "a-shadow"}}, SignalHostSuffix},
		{"shadow-workload mode on inbound", `{"mode":"inbound","detect":{"shadowWorkload":true}}`, ModeInbound, req("GET", "a"), SignalWorkload},
		{"shadow-workload mode on outbound", `{"mode":"outbound","detect":{"shadowWorkload":true}}`, ModeOutbound, req("GET", "a"), SignalWorkload},
		{"a marker header with any value", `{"mode":"inbound","detect":{` + markers + `}}`, ModeInbound, req("GET", "a", "x-mirror", "on"), SignalMarkerHeader},
		{"no marker for an empty marker value", `{"mode":"inbound","detect":{` + markers + `}}`, ModeInbound, req("GET", "a", "x-mirror", " "), 0},
		{"a marker header with its value in another case", `{"mode":"inbound","detect":{` + markers + `}}`, ModeInbound, req("GET", "a", "x-traffic", " SHADOW "), SignalMarkerHeader},
		{"no marker for another value", `{"mode":"inbound","detect":{` + markers + `}}`, ModeInbound, req("GET", "a", "x-traffic", "shadowy"), 0},
		{"laneway's header set to 1", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", MarkerHeader, "1"), SignalLanewayHeader},
		{"laneway's header set to true", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", MarkerHeader, "True"), SignalLanewayHeader},
		{"laneway's header when any repeat says shadow", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", MarkerHeader, "0", MarkerHeader, "1"), SignalLanewayHeader},
		{"no signal for laneway's header set to 0", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", MarkerHeader, "0"), 0},
		{"laneway's baggage member", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "x=1, laneway-shadow=1;p"), SignalLanewayBaggage},
		{"laneway's baggage member in a second baggage header", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "x=1", "baggage", "laneway-shadow=true"), SignalLanewayBaggage},
		// Containment fails closed: conflicting members are not "absent" here (as baggage.Lookup reports them),
		// or a client could unmark a shadow write by adding laneway-shadow=0 (or by spelling 1 as true).
		{"fail closed: conflicting baggage members signal shadow when one says 1", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "laneway-shadow=1,laneway-shadow=0"), SignalLanewayBaggage},
		{"fail closed: baggage members spelling the mark 1 and true signal shadow", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "laneway-shadow=1,laneway-shadow=true"), SignalLanewayBaggage},
		{"fail closed: a percent-encoded 1 among conflicting members signals shadow", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "laneway-shadow=0", "baggage", "laneway-shadow=%31"), SignalLanewayBaggage},
		{"no signal for conflicting baggage members none of which says shadow", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "laneway-shadow=0,laneway-shadow=no"), 0},
		{"no signal for a malformed laneway-shadow member", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "laneway-shadow=0,laneway-shadow=1\u00a0"), 0},
		{"no signal for a longer baggage key", `{"mode":"outbound"}`, ModeOutbound, req("GET", "a", "baggage", "laneway-shadow-x=1"), 0},
		{"several signals at once", `{"mode":"inbound","detect":{"shadowWorkload":true}}`, ModeInbound, req("GET", "a-shadow", MarkerHeader, "1", "baggage", "laneway-shadow=1"),
			SignalHostSuffix | SignalWorkload | SignalLanewayHeader | SignalLanewayBaggage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustConfig(t, tc.config)
			d := c.Decide(tc.mode, tc.headers)
			assert.Equal(t, tc.want, d.Signals, "signals %s", d.Signals)
			assert.Equal(t, tc.want != 0, d.Shadow)
		})
	}
}

func TestDecideContainsOnlyMutatingShadowRequestsToUnlistedDestinations(t *testing.T) {
	suppress := mustConfig(t, `{"mode":"outbound","outbound":{"allow":["audit"]}}`)
	reroute := mustConfig(t, `{"mode":"outbound","outbound":{"allow":["audit"],"action":"reroute"}}`)
	for _, tc := range []struct {
		method, authority string
		shadow            bool
		suppressed        Outcome
		rerouted          Outcome
	}{
		{"POST", "payments", true, OutcomeSuppressed, OutcomeRerouted},
		{"PUT", "payments:80", true, OutcomeSuppressed, OutcomeRerouted},
		{"PATCH", "payments", true, OutcomeSuppressed, OutcomeRerouted},
		{"DELETE", "payments", true, OutcomeSuppressed, OutcomeRerouted},
		{"", "payments", true, OutcomeSuppressed, OutcomeRerouted},
		{"GET", "payments", true, OutcomePassed, OutcomePassed},
		{"HEAD", "payments", true, OutcomePassed, OutcomePassed},
		{"OPTIONS", "payments", true, OutcomePassed, OutcomePassed},
		{"POST", "audit:8080", true, OutcomePassed, OutcomePassed},
		{"POST", "payments", false, OutcomePassed, OutcomePassed},
	} {
		h := [][2]string{{":authority", tc.authority}}
		if tc.method != "" {
			h = append(h, [2]string{":method", tc.method})
		}
		if tc.shadow {
			h = append(h, [2]string{MarkerHeader, "1"})
		}
		ds := suppress.Decide(ModeOutbound, h)
		assert.Equal(t, tc.suppressed, ds.Outcome, "suppress config: %s %s shadow=%t", tc.method, tc.authority, tc.shadow)
		assert.Equal(t, tc.suppressed != OutcomeSuppressed, ds.Continue())
		if ds.Outcome == OutcomeSuppressed {
			assert.Empty(t, ds.Edits(), "a suppressed request needs no header edits")
		}
		dr := reroute.Decide(ModeOutbound, h)
		assert.Equal(t, tc.rerouted, dr.Outcome, "reroute config: %s %s shadow=%t", tc.method, tc.authority, tc.shadow)
		assert.True(t, dr.Continue())
		if dr.Outcome == OutcomeRerouted {
			assert.Contains(t, dr.Edits(), Edit{Name: "x-laneway-shadow-route", Value: "test-double"})
		}
	}
}

func TestDecideWithUnresolvedModeDoesNothing(t *testing.T) {
	c := mustConfig(t, `{"mode":"auto","detect":{"shadowWorkload":true}}`)
	assert.Equal(t, Mode(0), c.Resolve(0))
	assert.Equal(t, Mode(0), c.Resolve(3))
	assert.Equal(t, ModeInbound, c.Resolve(1))
	assert.Equal(t, ModeOutbound, c.Resolve(2))
	d := c.Decide(c.Resolve(0), req("POST", "a"))
	assert.Equal(t, OutcomePassed, d.Outcome)
	assert.False(t, d.Shadow)
	assert.Empty(t, d.Edits())

	fixed := mustConfig(t, `{"mode":"edge"}`)
	assert.Equal(t, ModeEdge, fixed.Resolve(1), "an explicit mode ignores the listener direction")
}

func TestApplyEditsKeepsOrderAndCollapsesRepeats(t *testing.T) {
	in := [][2]string{{":authority", "a-shadow"}, {"x-laneway-shadow", "0"}, {"b", "1"}, {"x-laneway-shadow", "1"}, {"x-mirror", "1"}}
	out := ApplyEdits(in, []Edit{
		{Name: ":authority", Value: "a"},
		{Name: "x-laneway-shadow", Value: "1"},
		{Name: "x-mirror", Remove: true},
		{Name: "baggage", Value: "laneway-shadow=1"},
	})
	assert.Equal(t, [][2]string{{":authority", "a"}, {"x-laneway-shadow", "1"}, {"b", "1"}, {"baggage", "laneway-shadow=1"}}, out)
	assert.Equal(t, "0", in[1][1], "the input is not modified")

	buf := make([][2]string, 0, 16)
	buf = AppendEdited(append(buf, [2]string{"stale", "x"})[:0], in, []Edit{{Name: "b", Remove: true}})
	assert.Equal(t, [][2]string{{":authority", "a-shadow"}, {"x-laneway-shadow", "0"}, {"x-laneway-shadow", "1"}, {"x-mirror", "1"}}, buf,
		"AppendEdited writes from out's length, over what the reused storage held")
	assert.Zero(t, testing.AllocsPerRun(50, func() { buf = AppendEdited(buf[:0], in, []Edit{{Name: "b", Value: "2"}}) }))
}

func TestSignalAndOutcomeNamesAreStable(t *testing.T) {
	assert.Equal(t, "none", Signal(0).String())
	assert.Equal(t, "host-suffix+laneway-baggage", (SignalHostSuffix | SignalLanewayBaggage).String())
	assert.Equal(t, []string{"passed", "marked", "suppressed", "rerouted", "stripped"}, outcomeNames[:])
	assert.Equal(t, "unknown", Outcome(99).String())
	assert.Equal(t, "unset", Mode(0).String())
	assert.Equal(t, "unset", Action(0).String())
	assert.Equal(t, "unknown", Mode(99).String())
}

func TestDecideDoesNotAllocateForOrdinaryRequests(t *testing.T) {
	in := mustConfig(t, `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`)
	out := mustConfig(t, `{"mode":"outbound","outbound":{"allow":["audit","*.stubs"]}}`)
	plain := req("POST", "orders:8080", "baggage", "tenant=acme,k=v", "user-agent", "curl", "x-request-id", "abc")
	shadowWrite := req("POST", "payments:8080", "baggage", "tenant=acme,laneway-shadow=1", "user-agent", "curl")
	for name, f := range map[string]func(){
		"inbound, ordinary request":   func() { _ = in.Decide(ModeInbound, plain) },
		"outbound, ordinary request":  func() { _ = out.Decide(ModeOutbound, plain) },
		"outbound, suppressed write":  func() { _ = out.Decide(ModeOutbound, shadowWrite) },
		"edge, request without marks": func() { _ = in.Decide(ModeEdge, plain) },
	} {
		assert.Zero(t, testing.AllocsPerRun(100, f), name)
	}
}
