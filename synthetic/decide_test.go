package synthetic

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustConfig(t testing.TB, js string) *Config {
	t.Helper()
	c, err := ParseConfig([]byte(js))
	require.NoError(t, err)
	return &c
}

// countingHost counts how often Decide asks the host for the peer identity and the time.
type countingHost struct {
	p           string
	now         time.Time
	calls, nows int
}

func (h *countingHost) Principal() (string, bool) { h.calls++; return h.p, h.p != "" }
func (h *countingHost) Now() time.Time            { h.nows++; return h.now }

func TestDecideAsksTheHostOnlyWhenNeeded(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"],"token":{"secret":"`+testSecret+`"}}}`)
	now := time.Now()
	tok, err := MintToken([]byte(testSecret), "tx", now.Add(time.Minute))
	require.NoError(t, err)
	tests := []struct {
		name        string
		headers     [][2]string
		calls, nows int
	}{
		{"an unmarked request asks nothing", req("GET", "a", "baggage", "k=v"), 0, 0},
		{"an unmarked request with a token asks nothing", req("GET", "a", "x-laneway-synthetic-token", tok), 0, 0},
		{"a marked request with a valid token asks the time but not the identity", req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), 0, 1},
		{"a marked request without token asks the identity once and not the time", req("GET", "a", "x-laneway-synthetic", "1"), 1, 0},
		{"a baggage mention of the key inside another member asks nothing", req("GET", "a", "baggage", "x-laneway-synthetic-ish=1"), 0, 0},
		{"a marker member the parser drops asks nothing", req("GET", "a", "baggage", "laneway-synthetic=a b"), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &countingHost{p: trustedSA, now: now}
			c.Decide(tt.headers, h)
			assert.Equal(t, tt.calls, h.calls, "identity lookups")
			assert.Equal(t, tt.nows, h.nows, "clock reads")
		})
	}
}

func TestParticipantMatching(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound","participants":["orders","pay.shop:8080","*.sbx.svc.cluster.local","[::1]:9000"]}`)
	tests := []struct {
		authority string
		want      bool
	}{
		{"orders", true},
		{"orders:80", true},
		{"ORDERS:80", true},
		{"orders.", true},
		{"orders2", false},
		{"pay.shop:8080", true},
		{"pay.shop", false},
		{"pay.shop:9090", false},
		{"a.sbx.svc.cluster.local", true},
		{"a.b.sbx.svc.cluster.local:443", true},
		{"sbx.svc.cluster.local", false},
		{"evilsbx.svc.cluster.local", false},
		{"[::1]:9000", true},
		{"[::1]:9001", false},
		{"", false},
		{":80", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, c.isParticipant(tt.authority), "authority %q", tt.authority)
	}
}

func TestDecideAtOutbound(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound","participants":["orders"],"mutatingMethods":["POST","PURGE"],"ack":{"required":true}}`)
	tests := []struct {
		name        string
		headers     [][2]string
		action      Action
		awaitAck    bool
		participant bool
	}{
		{"an unmarked write is left alone", req("POST", "billing"), ActionNone, false, false},
		{"a synthetic custom mutating method to a non-participant is refused", req("PURGE", "billing", "x-laneway-synthetic", "1"), ActionRefuse, false, false},
		{"a synthetic PUT is a read when PUT is not listed as mutating", req("PUT", "billing", "x-laneway-synthetic", "1"), ActionForward, false, false},
		{"a synthetic write to a participant awaits its ack", req("POST", "orders", "x-laneway-synthetic", "1"), ActionForward, true, true},
		{"a synthetic read of a participant awaits no ack", req("GET", "orders", "x-laneway-synthetic", "1"), ActionForward, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.Decide(tt.headers, FixedHost{Peer: "", At: time.Now()})
			assert.Equal(t, tt.action, d.Action, "action %s, reason %s", d.Action, d.Reason)
			assert.Equal(t, tt.awaitAck, d.AwaitAck)
			assert.Equal(t, tt.participant, d.Participant)
			assert.Equal(t, tt.action >= ActionForward, d.Synthetic())
			assert.False(t, d.Accepted, "outbound makes no trust decision")
		})
	}
}

func TestDecideExplainsWhyAMarkerWasStripped(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"],"token":{"secret":"`+testSecret+`"}}}`)
	now := time.Now()
	expired, err := MintToken([]byte(testSecret), "tx", now.Add(-time.Hour))
	require.NoError(t, err)
	d := c.Decide(req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", expired), FixedHost{Peer: otherSA, At: now})
	assert.Equal(t, ActionStrip, d.Action)
	assert.Equal(t, "peer identity not trusted", d.Reason)
	assert.Equal(t, "token expired", d.TokenReason)
	assert.True(t, d.StripToken)

	d = c.Decide(req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", "a", "x-laneway-synthetic-token", "b"), FixedHost{Peer: "", At: now})
	assert.Equal(t, "no peer identity", d.Reason)
	assert.Equal(t, "several token headers", d.TokenReason)
}

func TestDecideWithoutAHostTrustsNobody(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"],"token":{"secret":"`+testSecret+`"}}}`)
	tok, err := MintToken([]byte(testSecret), "tx", time.Now().Add(time.Minute))
	require.NoError(t, err)
	d := c.Decide(req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), nil)
	assert.Equal(t, ActionStrip, d.Action)
	assert.Equal(t, "no peer identity", d.Reason)
}

func TestRepeatedMarkerHeadersWithOneIdAgree(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound"}`)
	d := c.Decide(req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic", "1;id=tx-9", "baggage", "laneway-synthetic=tx-9"), nil)
	assert.Equal(t, "tx-9", d.ID)
	d = c.Decide(req("GET", "a", "x-laneway-synthetic", "1;id=tx-8", "x-laneway-synthetic", "1;id=tx-9"), nil)
	assert.Equal(t, "", d.ID, "disagreeing ids leave the id to be generated")
	assert.Equal(t, ActionForward, d.Action)
}

func TestBaggageWithIDLeavesAnAlreadyNormalisedHeaderAlone(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound"}`)
	_, change := c.BaggageWithID(req("GET", "a", "baggage", "k=v,laneway-synthetic=tx"), "tx")
	assert.False(t, change)
	v, change := c.BaggageWithID(req("GET", "a", "baggage", "k=v", "baggage", "laneway-synthetic=tx,laneway-synthetic=tx"), "tx")
	assert.True(t, change)
	assert.Equal(t, "k=v,laneway-synthetic=tx", v)
}

func TestHeaderNormalisedOnlyForOneExactMarkerHeader(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"]}}`)
	host := FixedHost{Peer: trustedSA}
	for _, tt := range []struct {
		name    string
		markers []string
		want    bool
	}{
		{"exactly 1;id=<id>", []string{"1;id=tx-1"}, true},
		{"spaces around the parts", []string{" 1 ; id=tx-1"}, false},
		{"two identical headers", []string{"1;id=tx-1", "1;id=tx-1"}, false},
		{"no id (one is generated)", []string{"1"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs := req("POST", "orders")
			for _, m := range tt.markers {
				hs = append(hs, [2]string{"x-laneway-synthetic", m})
			}
			d := c.Decide(hs, host)
			require.True(t, d.Synthetic(), d.Reason)
			assert.Equal(t, tt.want, d.headerNormalised())
		})
	}
}

func TestBaggageWithIDCarriesExactlyOneMarkerMember(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound"}`)
	for _, tt := range []struct {
		name string
		bags []string
		want string
	}{
		{"no baggage gets the member alone", nil, "laneway-synthetic=tx"},
		{"baggage without the key is forwarded byte for byte", []string{" a=1 ;p , bad"}, " a=1 ;p , bad,laneway-synthetic=tx"},
		{"several headers without the key are combined verbatim", []string{"a=1", " b=2"}, "a=1, b=2,laneway-synthetic=tx"},
		{"another id is replaced", []string{"a=1,laneway-synthetic=old,b=2"}, "a=1,b=2,laneway-synthetic=tx"},
		{"with the key present, members the parser drops go too", []string{"a=1,bad,laneway-synthetic=old"}, "a=1,laneway-synthetic=tx"},
		{"a hidden member next to the right one goes", []string{"a=1,laneway-synthetic=tx,laneway-synthetic=evil\u00a0"}, "a=1,laneway-synthetic=tx"},
		{"a hidden member in another header goes", []string{"laneway-synthetic=tx", "laneway-synthetic=evil\u00a0"}, "laneway-synthetic=tx"},
		{"full baggage drops its last member to make room", []string{strings.Repeat("k=v,", 63) + "last=1"}, strings.Repeat("k=v,", 63) + "laneway-synthetic=tx"},
		{"baggage full in bytes drops the member that fills it", []string{"a=1,big=" + strings.Repeat("x", 8180)}, "a=1,laneway-synthetic=tx"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hs [][2]string
			for _, b := range tt.bags {
				hs = append(hs, [2]string{"baggage", b})
			}
			v, change := c.BaggageWithID(hs, "tx")
			require.True(t, change)
			assert.Equal(t, tt.want, v)
		})
	}
}

func TestDecideStripsMarkerMembersTheParserDropsOnlyWhereMarkersAreChecked(t *testing.T) {
	hidden := req("GET", "a", "baggage", "k=v,laneway-synthetic=a b")
	for _, tt := range []struct {
		config string
		want   Action
	}{
		{`{"mode":"inbound","trust":{"principals":["` + trustedSA + `"]}}`, ActionStrip},
		{`{"mode":"edge","trust":{"token":{"secret":"` + testSecret + `"}}}`, ActionStrip},
		{`{"mode":"outbound"}`, ActionNone},
	} {
		t.Run(tt.config, func(t *testing.T) {
			d := mustConfig(t, tt.config).Decide(hidden, FixedHost{Peer: trustedSA, At: time.Now()})
			assert.Equal(t, tt.want, d.Action)
			assert.Equal(t, tt.want == ActionStrip, d.StripBaggage)
			assert.False(t, d.HasBaggage, "the dropped member is no marker")
		})
	}
}
