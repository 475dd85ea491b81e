package synthetic

import (
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func FuzzConfig(f *testing.F) {
	f.Add([]byte(`{"mode":"edge","trust":{"principals":["spiffe://a/*"],"token":{"secret":"` + testSecret + `","maxSkew":"1s"}},"participants":["a:1","*.b"],"reroute":{"header":"x-r","value":"v"},"ack":{"required":true}}`))
	f.Add([]byte(`{"mode":"outbound","refuse":{"status":499,"body":"{id}"},"mutatingMethods":["POST"]}`))
	f.Add([]byte(`{"mode":"inbound","header":"x","baggageKey":"k"}`))
	f.Add([]byte(`{"mode":"inbound","trust":{"token":"` + testSecret + `"}}`))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.NotEmpty(t, ce.Got)
			require.NotEmpty(t, ce.Allowed)
			require.Contains(t, err.Error(), "synthetic config: field ")
			return
		}
		if c.Mode == ModeUnset {
			// Only the fields that apply in both directions: the mode comes from the listener direction.
			require.Empty(t, c.Principals, "trust without a mode")
			require.False(t, c.HasSecret(), "trust without a mode")
			require.Empty(t, c.Participants, "a destination policy without a mode")
			in, ok := c.WithDirection(1)
			require.True(t, ok)
			require.Equal(t, ModeInbound, in.Mode)
		}
		if c.HasSecret() {
			assert.NotContains(t, c.Summary(), string(c.secret))
		}
	})
}

func FuzzToken(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	good, _ := MintToken([]byte(testSecret), "tx-1", now.Add(time.Minute))
	f.Add(good, "tx-1", int64(60))
	f.Add("v2.1.a."+strings.Repeat("f", 64), "a", int64(-10))
	f.Add("v2..", "", int64(0))
	f.Fuzz(func(t *testing.T, token, txid string, offset int64) {
		id, err := VerifyToken([]byte(testSecret), token, now, 30*time.Second, time.Hour)
		if err == nil {
			require.True(t, ValidTxID(id))
		}
		// Round trip: whatever we mint for a valid id within the lifetime verifies.
		offset %= 3600
		tok, err := MintToken([]byte(testSecret), txid, now.Add(time.Duration(offset)*time.Second))
		if !ValidTxID(txid) {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		id, err = VerifyToken([]byte(testSecret), tok, now, 30*time.Second, time.Hour)
		if offset >= -30 {
			require.NoError(t, err)
			require.Equal(t, txid, id)
		} else {
			require.ErrorIs(t, err, ErrTokenExpired)
		}
		_, err = VerifyToken([]byte("another secret of enough length"), tok, now, 30*time.Second, time.Hour)
		require.ErrorIs(t, err, ErrTokenForged)
	})
}

// fuzzHeaders turns fuzz input into header pairs: lines of "name: value", names from a small set so markers occur often.
func fuzzHeaders(names []string, raw string) [][2]string {
	var hs [][2]string
	for i, line := range strings.Split(raw, "\n") {
		if i >= 64 {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			name, value = names[i%len(names)], line
		} else if len(name) == 1 {
			name = names[int(name[0])%len(names)]
		}
		hs = append(hs, [2]string{name, value})
	}
	return hs
}

var fuzzNames = []string{":method", ":authority", DefaultHeader, "baggage", DefaultTokenHeader, "x-other"}

func FuzzDecide(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	tok, _ := MintToken([]byte(testSecret), "tx", now.Add(time.Minute))
	f.Add("0:POST\n1:orders\n2:1;id=tx\n3:laneway-synthetic=tx,k=v\n4:"+tok, trustedSA)
	f.Add("3:laneway-synthetic=a,laneway-synthetic=b\n2:1;id=\n0:DELETE\n1:[::1", "")
	f.Add("2:\x00\xff\n3:laneway-synthetic=%zz", otherSA)
	configs := []*Config{
		mustConfig(f, `{"mode":"inbound","trust":{"principals":["`+trustedSA+`","spiffe://x/*"],"token":{"secret":"`+testSecret+`"}}}`),
		mustConfig(f, `{"mode":"outbound","participants":["orders","*.sbx"],"ack":{"required":true}}`),
		mustConfig(f, `{"mode":"edge","trust":{"token":{"secret":"`+testSecret+`"}},"reroute":{"header":"x-r","value":"v"}}`),
	}
	f.Fuzz(func(t *testing.T, raw, principal string) {
		hs := fuzzHeaders(fuzzNames, raw)
		for i := range hs {
			hs[i][0] = strings.ToLower(hs[i][0]) // as Envoy hands them to a filter
		}
		for _, c := range configs {
			d := decide(c, hs, known(principal, now))
			checkDecision(t, c, hs, d)
			// Deciding in steps, as the filter does, reaches the same decision.
			var f Facts
			var stepped Decision
			c.Decide(hs, &f, &stepped)
			for stepped.Need != 0 {
				require.Zero(t, stepped.Need&f.Have, "asked again for a fact it has")
				f.Have |= stepped.Need
				f.Principal, f.Now = principal, now
				c.Continue(hs, &f, &stepped)
			}
			require.Equal(t, d.Action, stepped.Action)
			require.Equal(t, d.Accepted, stepped.Accepted)
			require.Equal(t, len(d.Edits), len(stepped.Edits))
		}
	})
}

// checkDecision asserts what holds for every final decision: a valid id on synthetic requests, no refusal
// inbound, a normalised marker in header and baggage where a synthetic request goes on, and no marker left
// where one was stripped.
func checkDecision(t *testing.T, c *Config, hs [][2]string, d *Decision) {
	t.Helper()
	require.Zero(t, d.Need)
	if d.Synthetic() {
		require.True(t, ValidTxID(d.ID), "id %q", d.ID)
	}
	if c.Mode == ModeInbound {
		require.NotEqual(t, ActionRefuse, d.Action)
	}
	require.Equal(t, d.Action == ActionRefuse, d.Reply != nil, "a reply exactly when refused")
	edited := proxyhost.AppendEdited(nil, hs, d.Edits)
	switch d.Action {
	case ActionForward, ActionReroute:
		require.Equal(t, []string{NormalisedValue(d.ID)}, values(edited, c.Header))
		bags := values(edited, "baggage")
		got, ok := baggage.Lookup(bags, c.BaggageKey)
		require.True(t, ok, "the baggage %q carries the marker member", bags)
		require.Equal(t, d.ID, got, "the baggage %q carries the id", bags)
	case ActionStrip:
		require.Empty(t, values(edited, c.Header))
		require.False(t, baggage.Has(values(edited, "baggage"), c.BaggageKey), "no marker member left")
	}
}

// values returns the values of header name in hs.
func values(hs [][2]string, name string) []string {
	var out []string
	for _, h := range hs {
		if h[0] == name {
			out = append(out, h[1])
		}
	}
	return out
}

// FuzzFilter drives the whole filter under proxytest with random request and response headers.
func FuzzFilter(f *testing.F) {
	f.Add("0:POST\n1:billing\n2:1", "ack:x", trustedSA, uint8(0))
	f.Add("0:GET\n3:laneway-synthetic=1,a=b", "", "", uint8(1))
	f.Add("2:1\n4:v2.1.a.b", "", otherSA, uint8(2))
	configs := []string{
		`{"mode":"inbound","trust":{"principals":["` + trustedSA + `"],"token":{"secret":"` + testSecret + `"}}}`,
		`{"mode":"outbound","participants":["orders"],"ack":{"required":true}}`,
		`{"mode":"edge","trust":{"principals":["spiffe://x/*"]},"reroute":{"header":"x-r","value":"v"}}`,
	}
	f.Fuzz(func(t *testing.T, reqRaw, respRaw, principal string, which uint8) {
		opt := proxytest.NewEmulatorOption().WithVMContext(NewVMContext()).
			WithPluginConfiguration([]byte(configs[int(which)%len(configs)]))
		if principal != "" {
			opt = opt.WithProperty([]string{"connection", "uri_san_peer_certificate"}, []byte(principal))
		}
		host, reset := proxytest.NewHostEmulator(opt)
		defer reset()
		host.RegisterForeignFunction("clear_route_cache", func([]byte) []byte { return []byte{0} })
		require.Equal(t, types.OnPluginStartStatusOK, host.StartPlugin())
		id := host.InitializeHttpContext()
		action := host.CallOnRequestHeaders(id, fuzzHeaders(fuzzNames, reqRaw), false)
		if host.GetSentLocalResponse(id) == nil {
			require.Equal(t, types.ActionContinue, action)
			host.CallOnResponseHeaders(id, fuzzHeaders([]string{":status", DefaultAckHeader, "x-other"}, respRaw), false)
		}
		host.CompleteHttpContext(id)
	})
}
