package synthetic

import (
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustConfig(t testing.TB, js string) *Config {
	t.Helper()
	c, err := ParseConfig([]byte(js))
	require.NoError(t, err)
	return &c
}

// known returns Facts holding both facts: Decide never stops for them.
func known(peer string, now time.Time) *Facts {
	return &Facts{Have: NeedPrincipal | NeedNow, Principal: peer, Now: now}
}

// noFacts are facts of a request without a peer identity, at a time (year 1) no token satisfies.
var noFacts = known("", time.Time{})

// decide returns the decision on headers with the facts f.
func decide(c *Config, headers [][2]string, f *Facts) *Decision {
	var d Decision
	c.Decide(headers, f, &d)
	return &d
}

func TestDecideAsksForFactsOnlyWhenNeeded(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"],"token":{"secret":"`+testSecret+`"}}}`)
	now := time.Now()
	tok, err := MintToken([]byte(testSecret), "tx", now.Add(time.Minute))
	require.NoError(t, err)
	tests := []struct {
		name   string
		peer   string
		header [][2]string
		asks   []Need
		action Action
	}{
		{"an unmarked request asks nothing", trustedSA, req("GET", "a", "baggage", "k=v"), nil, ActionNone},
		{"an unmarked request with a token asks nothing", trustedSA, req("GET", "a", "x-laneway-synthetic-token", tok), nil, ActionNone},
		{"a marked request with a valid token asks the time but not the identity", otherSA, req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), []Need{NeedNow}, ActionForward},
		{"a marked request with a bad token asks the time, then the identity", trustedSA, req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", "v2.1.x.y"), []Need{NeedNow, NeedPrincipal}, ActionForward},
		{"a marked request without token asks the identity once and not the time", trustedSA, req("GET", "a", "x-laneway-synthetic", "1"), []Need{NeedPrincipal}, ActionForward},
		{"a baggage mention of the key inside another member asks nothing", trustedSA, req("GET", "a", "baggage", "x-laneway-synthetic-ish=1"), nil, ActionNone},
		{"a marker member the parser drops asks nothing", trustedSA, req("GET", "a", "baggage", "laneway-synthetic=a b"), nil, ActionStrip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Facts
			var d Decision
			var asks []Need
			c.Decide(tt.header, &f, &d)
			for d.Need != 0 && len(asks) < 4 {
				asks = append(asks, d.Need)
				f.Have |= d.Need
				f.Principal, f.Now = tt.peer, now
				c.Continue(tt.header, &f, &d)
			}
			assert.Equal(t, tt.asks, asks, "the facts asked for, in order")
			assert.Equal(t, tt.action, d.Action, d.Reason)
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
			d := decide(c, tt.headers, known("", time.Now()))
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
	d := decide(c, req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", expired), known(otherSA, now))
	assert.Equal(t, ActionStrip, d.Action)
	assert.Equal(t, "peer identity not trusted", d.Reason)
	assert.Equal(t, "token expired", d.TokenReason)
	assert.Equal(t, []proxyhost.Edit{{Kind: proxyhost.Remove, Name: "x-laneway-synthetic-token"}, {Kind: proxyhost.Remove, Name: "x-laneway-synthetic"}}, d.Edits)

	d = decide(c, req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", "a", "x-laneway-synthetic-token", "b"), known("", now))
	assert.Equal(t, "no peer identity", d.Reason)
	assert.Equal(t, "several token headers", d.TokenReason)
}

func TestDecideWithoutFactsTrustsNobody(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"],"token":{"secret":"`+testSecret+`"}}}`)
	tok, err := MintToken([]byte(testSecret), "tx", time.Now().Add(time.Minute))
	require.NoError(t, err)
	d := decide(c, req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok), noFacts)
	assert.Equal(t, ActionStrip, d.Action)
	assert.Equal(t, "no peer identity", d.Reason)
}

func TestRepeatedMarkerHeadersWithOneIdAgree(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound"}`)
	d := decide(c, req("GET", "a", "x-laneway-synthetic", "1", "x-laneway-synthetic", "1;id=tx-9", "baggage", "laneway-synthetic=tx-9"), noFacts)
	assert.Equal(t, "tx-9", d.ID)
	assert.False(t, d.IDGenerated)
	d = decide(c, req("GET", "a", "x-laneway-synthetic", "1;id=tx-8", "x-laneway-synthetic", "1;id=tx-9"), noFacts)
	assert.True(t, d.IDGenerated, "disagreeing ids get a generated one")
	assert.Regexp(t, "^[0-9a-f]{32}$", d.ID)
	assert.Equal(t, ActionForward, d.Action)
}

func TestBaggageWithIDLeavesAnAlreadyNormalisedHeaderAlone(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound"}`)
	var buf proxyhost.Buf
	_, change := c.baggageWithID(req("GET", "a", "baggage", "k=v,laneway-synthetic=tx"), "tx", &buf)
	assert.False(t, change)
	v, change := c.baggageWithID(req("GET", "a", "baggage", "k=v", "baggage", "laneway-synthetic=tx,laneway-synthetic=tx"), "tx", &buf)
	assert.True(t, change)
	assert.Equal(t, "k=v,laneway-synthetic=tx", v)
}

func TestHeaderNormalisedOnlyForOneExactMarkerHeader(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`"]}}`)
	host := known(trustedSA, time.Now())
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
			d := decide(c, hs, host)
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
			var buf proxyhost.Buf
			v, change := c.baggageWithID(hs, "tx", &buf)
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
			d := decide(mustConfig(t, tt.config), hidden, known(trustedSA, time.Now()))
			assert.Equal(t, tt.want, d.Action)
			var want []proxyhost.Edit
			if tt.want == ActionStrip {
				want = []proxyhost.Edit{{Kind: proxyhost.Replace, Name: "baggage", Value: "k=v"}}
			}
			assert.Equal(t, want, d.Edits)
			assert.False(t, d.HasBaggage, "the dropped member is no marker")
		})
	}
}

// The verdict is the whole effect on the request: a refusal is a local reply with no edits written, a reroute
// edits and asks Envoy to select the route again, and nothing else asks for it.
func TestDecideVerdicts(t *testing.T) {
	for _, tt := range []struct {
		name, config string
		headers      [][2]string
		edits        []proxyhost.Edit
		reroute      bool
		reply        *proxyhost.Reply
	}{
		{
			name: "a refusal is a local reply with the marker, the expanded body and a debug line", config: `{"mode":"outbound","refuse":{"status":409,"body":"{id} {method} {host}"}}`,
			headers: req("DELETE", "billing", "x-laneway-synthetic", "1;id=tx-1"),
			edits:   []proxyhost.Edit{},
			reply: &proxyhost.Reply{Status: 409, Headers: [][2]string{{"content-type", "text/plain; charset=utf-8"}, {"x-laneway-synthetic", "1;id=tx-1"}},
				Body: []byte("tx-1 DELETE billing"), Detail: "synthetic: tx tx-1: refused DELETE to billing (mutating call to a destination that is not rollback-capable: refused)"},
		},
		{
			name: "a reroute normalises the marker, sets the routing header and asks for the route again", config: `{"mode":"outbound","reroute":{"header":"x-route","value":"stub"}}`,
			headers: req("POST", "billing", "x-laneway-synthetic", "1 ; id=tx-2"),
			edits: []proxyhost.Edit{{Kind: proxyhost.Replace, Name: "x-laneway-synthetic", Value: "1;id=tx-2"},
				{Kind: proxyhost.Replace, Name: "baggage", Value: "laneway-synthetic=tx-2"}, {Kind: proxyhost.Replace, Name: "x-route", Value: "stub"}},
			reroute: true,
		},
		{
			name: "a normalised synthetic read is left as it is", config: `{"mode":"outbound"}`,
			headers: req("GET", "billing", "x-laneway-synthetic", "1;id=tx-3", "baggage", "laneway-synthetic=tx-3"),
			edits:   []proxyhost.Edit{},
		},
		{
			name: "an inbound strip removes the token, the carriers, the marker header and the marker member", config: `{"mode":"inbound"}`,
			headers: req("GET", "orders", "x-laneway-synthetic-token", "t", "uberctx-laneway-synthetic", "x", "x-laneway-synthetic", "1", "baggage", "a=1,laneway-synthetic=1"),
			edits: []proxyhost.Edit{{Kind: proxyhost.Remove, Name: "x-laneway-synthetic-token"}, {Kind: proxyhost.Remove, Name: "uberctx-laneway-synthetic"},
				{Kind: proxyhost.Remove, Name: "x-laneway-synthetic"}, {Kind: proxyhost.Replace, Name: "baggage", Value: "a=1"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(mustConfig(t, tt.config), tt.headers, noFacts)
			assert.Equal(t, tt.edits, append([]proxyhost.Edit{}, d.Edits...))
			assert.Equal(t, tt.reroute, d.Reroute)
			if d.Reply != nil {
				// The debug line is built only when the filter explains the decision (debug logs on).
				assert.Empty(t, d.Reply.Detail, "Decide builds no debug line")
				d.Explain()
			}
			assert.Equal(t, tt.reply, d.Reply)
		})
	}
}

// One Decision serves request after request: nothing of one verdict survives into the next.
func TestDecisionIsResetForEachRequest(t *testing.T) {
	c := mustConfig(t, `{"mode":"outbound","reroute":{"header":"x-route","value":"stub"},"ack":{"required":true}}`)
	var d Decision
	c.Decide(req("POST", "billing", "x-laneway-synthetic", "1;id=tx-1"), noFacts, &d)
	require.True(t, d.Reroute)
	require.NotEmpty(t, d.Edits)
	c.Decide(req("GET", "billing"), noFacts, &d)
	assert.Equal(t, ActionNone, d.Action)
	assert.False(t, d.Reroute)
	assert.Empty(t, d.Edits)
	assert.Nil(t, d.Reply)
	assert.Empty(t, d.ID)
	assert.False(t, d.AwaitAck)
	out := mustConfig(t, `{"mode":"outbound"}`)
	out.Decide(req("POST", "billing", "x-laneway-synthetic", "1;id=tx-2"), noFacts, &d)
	require.NotNil(t, d.Reply)
	out.Decide(req("GET", "billing", "x-laneway-synthetic", "1;id=tx-2"), noFacts, &d)
	assert.Nil(t, d.Reply)
	assert.Equal(t, ActionForward, d.Action)
}

// carrierHeaderReference is CarrierHeader as first written (strings.EqualFold on each prefix), which the
// cheaper first-byte check must agree with.
func carrierHeaderReference(c *Config, name string) bool {
	for _, p := range [...]string{"ot-baggage-", "uberctx-"} {
		if len(name) > len(p) && strings.EqualFold(name[:len(p)], p) {
			return baggage.HeaderKeyReadsAs(name[len(p):], c.BaggageKey)
		}
	}
	return false
}

func TestCarrierHeader(t *testing.T) {
	c := mustConfig(t, `{"mode":"inbound"}`)
	cases := []struct {
		name string
		want bool
	}{
		{"ot-baggage-laneway-synthetic", true},
		{"OT-Baggage-Laneway-Synthetic", true},
		{"uberctx-laneway-synthetic", true},
		{"UBERCTX-laneway-synthetic", true},
		{"uberctx-laneway%2Dsynthetic", true}, // Jaeger clients decode the key
		{"ot-baggage-laneway-tenant", false},
		{"ot-baggage-", false},
		{"uberctx-", false},
		{"user-agent", false},
		{"other", false},
		{"baggage", false},
		{"x-laneway-synthetic", false},
		{"", false},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			assert.Equal(t, k.want, c.CarrierHeader(k.name))
			assert.Equal(t, carrierHeaderReference(c, k.name), c.CarrierHeader(k.name))
		})
	}
}

// FuzzCarrierHeader holds CarrierHeader to its first definition on any header name.
func FuzzCarrierHeader(f *testing.F) {
	c := mustConfig(f, `{"mode":"inbound"}`)
	for _, s := range []string{"ot-baggage-laneway-synthetic", "Uberctx-laneway%2dsynthetic", "user-agent", "o", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := c.CarrierHeader(name), carrierHeaderReference(c, name); got != want {
			t.Fatalf("CarrierHeader(%q) = %v, want %v", name, got, want)
		}
	})
}
