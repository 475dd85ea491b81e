package shadowtag

import (
	"testing"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustConfig(t testing.TB, js string) Config {
	c, err := ParseConfig([]byte(js))
	require.NoError(t, err)
	return c
}

// decideFor is Decide in mode for a request without body, into a Decision of its own.
func (c *Config) decideFor(mode Mode, headers [][2]string) *Decision {
	d := new(Decision)
	c.Decide(headers, Facts{Mode: mode, EndOfStream: true}, d)
	return d
}

// applied returns headers with d's edits applied as Envoy applies them.
func applied(headers [][2]string, d *Decision) [][2]string {
	return proxyhost.AppendEdited(nil, headers, d.Edits)
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
			d := c.decideFor(tc.mode, tc.headers)
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
		ds := suppress.decideFor(ModeOutbound, h)
		assert.Equal(t, tc.suppressed, ds.Outcome, "suppress config: %s %s shadow=%t", tc.method, tc.authority, tc.shadow)
		assert.Equal(t, tc.suppressed != OutcomeSuppressed, ds.Continue())
		if ds.Outcome == OutcomeSuppressed {
			require.NotNil(t, ds.Reply)
			assert.Equal(t, suppress.Response.Status, ds.Reply.Status)
			assert.Equal(t, suppress.Response.Body, ds.Reply.Body)
			assert.False(t, ds.Reroute)
		}
		if ds.Outcome == OutcomeSuppressed {
			assert.Empty(t, ds.Edits, "a suppressed request needs no header edits")
		}
		dr := reroute.decideFor(ModeOutbound, h)
		assert.Equal(t, tc.rerouted, dr.Outcome, "reroute config: %s %s shadow=%t", tc.method, tc.authority, tc.shadow)
		assert.True(t, dr.Continue())
		assert.Nil(t, dr.Reply)
		if dr.Outcome == OutcomeRerouted {
			assert.Contains(t, dr.Edits, proxyhost.Edit{Kind: proxyhost.Replace, Name: "x-laneway-shadow-route", Value: "test-double"})
			assert.True(t, dr.Reroute, "Envoy re-selects the route after the header is set")
		}
	}
}

func TestDecideWithUnresolvedModeDoesNothing(t *testing.T) {
	c := mustConfig(t, `{"mode":"auto","detect":{"shadowWorkload":true}}`)
	assert.Equal(t, Mode(0), c.Resolve(0))
	assert.Equal(t, Mode(0), c.Resolve(3))
	assert.Equal(t, ModeInbound, c.Resolve(1))
	assert.Equal(t, ModeOutbound, c.Resolve(2))
	d := c.decideFor(c.Resolve(0), req("POST", "a"))
	assert.Equal(t, OutcomePassed, d.Outcome)
	assert.False(t, d.Shadow)
	assert.Empty(t, d.Edits)

	fixed := mustConfig(t, `{"mode":"edge"}`)
	assert.Equal(t, ModeEdge, fixed.Resolve(1), "an explicit mode ignores the listener direction")
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
	d := new(Decision) // reused, as the filter reuses its plugin's
	for name, f := range map[string]func(){
		"inbound, ordinary request":   func() { in.Decide(plain, Facts{Mode: ModeInbound}, d) },
		"outbound, ordinary request":  func() { out.Decide(plain, Facts{Mode: ModeOutbound}, d) },
		"outbound, suppressed write":  func() { out.Decide(shadowWrite, Facts{Mode: ModeOutbound}, d) },
		"edge, request without marks": func() { in.Decide(plain, Facts{Mode: ModeEdge}, d) },
	} {
		assert.Zero(t, testing.AllocsPerRun(100, f), name)
	}
}
