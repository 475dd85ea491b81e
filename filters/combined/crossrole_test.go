package combined_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/laneway/laneway/testenv/testenvtest"
)

const secret = "0123456789abcdef0123456789abcdef"

// metrics are every counter of the three roles, under the separate filters' names.
var metrics = func() []string {
	var out []string
	for _, o := range []string{"routed", "baseline", "injected", "invalid", "stripped"} {
		out = append(out, "laneway_tenantroute_"+o+"_total")
	}
	for _, o := range []string{"detected", "passed", "marked", "suppressed", "rerouted", "stripped"} {
		out = append(out, "laneway_shadowtag_"+o+"_total")
	}
	for _, o := range []string{"accepted", "stripped", "passed", "refused", "rerouted", "acked", "ack_missing"} {
		out = append(out, synthetic.MetricName(o))
	}
	return out
}()

// crossCase is one request through the combined module with several roles configured.
type crossCase struct {
	name    string
	config  string
	request [][2]string
	// want: each named request header occurs once with that value ("re:" a regular expression), or not at
	// all for "". Unused when the request is answered locally.
	want map[string]string
	// local is the status of the local reply (0: the request goes on); by the role named in it.
	local int
	by    string
	// counts are the counter changes by full metric name; unlisted counters must not change.
	counts map[string]int64
	// clears is the number of clear_route_cache calls (never more than one).
	clears int
}

func request(method, authority string, kv ...string) [][2]string {
	h := [][2]string{{":method", method}, {":authority", authority}, {":path", "/orders"}, {":scheme", "http"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, [2]string{kv[i], kv[i+1]})
	}
	return h
}

func crossCases(t *testing.T) []crossCase {
	tok, err := synthetic.MintToken([]byte(secret), "tx-7", time.Now().Add(10*time.Minute))
	require.NoError(t, err)
	gateway := `{"synthetic":{"mode":"edge","trust":{"token":{"secret":"` + secret + `"}},"participants":["orders"]},` +
		`"shadowtag":{"mode":"edge"},"tenantroute":{"trustBoundary":true,"allow":["acme"]}}`
	return []crossCase{
		{
			name:   "a synthetic request at the gateway with a tenant: the checked marker survives the trust boundary's x-laneway-* strip, the token and a spoofed header do not",
			config: gateway,
			request: request("GET", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok,
				"x-laneway-debug", "spoofed", "baggage", "laneway-tenant=acme"),
			want: map[string]string{
				"x-laneway-synthetic": "1;id=tx-7", "x-laneway-synthetic-token": "", "x-laneway-debug": "",
				"x-laneway-tenant": "acme", "baggage": "re:^laneway-tenant=acme,laneway-synthetic=tx-7$",
			},
			counts: map[string]int64{
				synthetic.MetricName("accepted"): 1, synthetic.MetricName("passed"): 1,
				"laneway_shadowtag_passed_total": 1, "laneway_tenantroute_routed_total": 1, "laneway_tenantroute_stripped_total": 1,
			},
			clears: 1,
		},
		{
			name:   "an already normalised synthetic marker at the gateway, vouched for by its token: kept through the trust boundary although no role rewrote it",
			config: gateway,
			request: request("GET", "orders", "x-laneway-synthetic", "1;id=tx-7", "x-laneway-synthetic-token", tok,
				"baggage", "laneway-tenant=acme,laneway-synthetic=tx-7"),
			want: map[string]string{
				"x-laneway-synthetic": "1;id=tx-7", "x-laneway-synthetic-token": "", "x-laneway-tenant": "acme",
				"baggage": "laneway-tenant=acme,laneway-synthetic=tx-7",
			},
			counts: map[string]int64{
				synthetic.MetricName("accepted"): 1, synthetic.MetricName("passed"): 1,
				"laneway_shadowtag_passed_total": 1, "laneway_tenantroute_routed_total": 1,
			},
			clears: 1,
		},
		{
			name:    "an untrusted synthetic marker at the gateway is stripped by synthetic; the tenant is still routed",
			config:  gateway,
			request: request("GET", "orders", "x-laneway-synthetic", "1;id=forged", "baggage", "laneway-tenant=acme,laneway-synthetic=forged"),
			want: map[string]string{
				"x-laneway-synthetic": "", "x-laneway-tenant": "acme", "baggage": "laneway-tenant=acme",
			},
			counts: map[string]int64{
				synthetic.MetricName("stripped"): 1, "laneway_shadowtag_passed_total": 1, "laneway_tenantroute_routed_total": 1,
			},
			clears: 1,
		},
		{
			name:    "a mirrored request with a tenant at the inbound sidecar is marked shadow and routed to the tenant",
			config:  `{"shadowtag":{"mode":"inbound"},"tenantroute":{}}`,
			request: request("POST", "orders-shadow:8080", "baggage", "laneway-tenant=acme"),
			want: map[string]string{
				"x-laneway-shadow": "1", "x-laneway-tenant": "acme", ":authority": "orders-shadow:8080",
				"baggage": "re:^laneway-tenant=acme,laneway-shadow=1$",
			},
			counts: map[string]int64{
				"laneway_shadowtag_detected_total": 1, "laneway_shadowtag_marked_total": 1, "laneway_tenantroute_routed_total": 1,
			},
			clears: 1,
		},
		{
			name:    "a mirrored request with a tenant and its host restored: marked, routed, one route-cache clear",
			config:  `{"shadowtag":{"mode":"inbound","inbound":{"restoreHost":true}},"tenantroute":{}}`,
			request: request("GET", "orders-shadow:8080", "baggage", "laneway-tenant=acme"),
			want:    map[string]string{"x-laneway-shadow": "1", "x-laneway-tenant": "acme", ":authority": "orders:8080"},
			counts: map[string]int64{
				"laneway_shadowtag_detected_total": 1, "laneway_shadowtag_marked_total": 1, "laneway_tenantroute_routed_total": 1,
			},
			clears: 1,
		},
		{
			name: "a shadow write from a synthetic request to a participant: synthetic lets it go on, shadowtag suppresses it; nothing is written and tenantroute does not run",
			config: `{"synthetic":{"mode":"outbound","participants":["orders"]},"shadowtag":{"mode":"outbound"},` +
				`"tenantroute":{}}`,
			request: request("POST", "orders", "x-laneway-synthetic", "1;id=tx-9", "x-laneway-shadow", "1", "baggage", "laneway-tenant=acme"),
			local:   202, by: "shadowtag",
			counts: map[string]int64{
				synthetic.MetricName("passed"): 1, "laneway_shadowtag_detected_total": 1, "laneway_shadowtag_suppressed_total": 1,
			},
		},
		{
			name: "a shadow write from a synthetic request to a non-participant: synthetic refuses first, and only synthetic counts",
			config: `{"synthetic":{"mode":"outbound","participants":["orders"]},"shadowtag":{"mode":"outbound"},` +
				`"tenantroute":{}}`,
			request: request("POST", "payments", "x-laneway-synthetic", "1;id=tx-9", "x-laneway-shadow", "1"),
			local:   403, by: "synthetic",
			counts: map[string]int64{synthetic.MetricName("refused"): 1},
		},
		{
			name: "a shadow write from a synthetic request rerouted by both roles and routed by tenant: every edit, one route-cache clear",
			config: `{"synthetic":{"mode":"outbound","participants":["orders"],"reroute":{"header":"x-synthetic-stub","value":"stub"}},` +
				`"shadowtag":{"mode":"outbound","outbound":{"action":"reroute"}},"tenantroute":{}}`,
			request: request("PUT", "payments", "x-laneway-synthetic", "1;id=tx-9", "x-laneway-shadow", "1", "baggage", "laneway-tenant=acme"),
			want: map[string]string{
				"x-synthetic-stub": "stub", "x-laneway-shadow-route": "test-double", "x-laneway-tenant": "acme",
				"x-laneway-synthetic": "1;id=tx-9", "baggage": "re:^laneway-tenant=acme,laneway-synthetic=tx-9$",
			},
			counts: map[string]int64{
				synthetic.MetricName("rerouted"): 1, "laneway_shadowtag_detected_total": 1, "laneway_shadowtag_rerouted_total": 1,
				"laneway_tenantroute_routed_total": 1,
			},
			clears: 1,
		},
	}
}

// TestCrossRoleScenarios runs requests that engage several roles through dist/laneway.wasm under both
// Envoy generations: each role sees the edits of the roles before it, the edits are written once, at most
// one route-cache clear and one local reply, named by the role that answered.
func TestCrossRoleScenarios(t *testing.T) {
	wasm := testenvtest.DistModule(t, "laneway")
	rt := testenvtest.Runtime(t)
	legs := []scenariotest.Leg{scenariotest.GoLeg("laneway", combined.NewVMContext, nil)}
	for _, p := range scenariotest.Profiles {
		legs = append(legs, scenariotest.WasmLeg("laneway", rt, wasm, p, nil))
	}
	for _, leg := range legs {
		for _, cc := range crossCases(t) {
			t.Run(leg.Name+"/"+cc.name, func(t *testing.T) {
				r := leg.Run(t, scenariotest.Case{Config: cc.config, Request: cc.request, EndOfStream: true, Counters: metrics})
				if cc.local != 0 {
					require.NotNil(t, r.Local, "a local reply")
					assert.Equal(t, testenv.ActionPause, r.Action)
					assert.Equal(t, uint32(cc.local), r.Local.Status)
					assert.Equal(t, []string{cc.by}, scenariotest.Values(r.Local.Headers, combined.AnsweredByHeader))
					assert.Zero(t, r.HeaderRouteCacheClears, "a refused request's edits are not written")
				} else {
					require.Nil(t, r.Local, "no local reply")
					assert.Equal(t, testenv.ActionContinue, r.Action)
					for name, want := range cc.want {
						got := scenariotest.Values(r.Upstream, name)
						switch {
						case want == "":
							assert.Empty(t, got, "header %s", name)
						case strings.HasPrefix(want, "re:"):
							if assert.Len(t, got, 1, "header %s", name) {
								assert.Regexp(t, regexp.MustCompile(want[3:]), got[0], "header %s", name)
							}
						default:
							assert.Equal(t, []string{want}, got, "header %s", name)
						}
					}
				}
				for _, m := range metrics {
					assert.Equal(t, cc.counts[m], r.Counters[m], "counter %s", m)
				}
				assert.Equal(t, cc.clears, r.RouteCacheClears, "clear_route_cache calls")
				assert.Empty(t, r.Error)
				assert.Empty(t, r.Critical)
			})
		}
	}
}

// TestSeparatePluginsLoseTheSyntheticMarkerHeaderAtTheGateway is what the combined module's order fixes: with
// synthetic and tenantroute as two plugins (synthetic first, as the README once advised), tenantroute's
// trust boundary strips the x-laneway-synthetic header synthetic has just checked; only the baggage member
// carries the marker on.
func TestSeparatePluginsLoseTheSyntheticMarkerHeaderAtTheGateway(t *testing.T) {
	tok, err := synthetic.MintToken([]byte(secret), "tx-7", time.Now().Add(10*time.Minute))
	require.NoError(t, err)
	rt := testenvtest.Runtime(t)
	req := request("GET", "orders", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", tok, "baggage", "laneway-tenant=acme")
	for _, p := range scenariotest.Profiles {
		first := scenariotest.Run(t, rt, testenvtest.DistModule(t, "synthetic"), p, scenariotest.Case{
			Config: `{"mode":"edge","trust":{"token":{"secret":"` + secret + `"}},"participants":["orders"]}`, Request: req, EndOfStream: true,
		})
		require.Equal(t, []string{"1;id=tx-7"}, scenariotest.Values(first.Upstream, "x-laneway-synthetic"))
		second := scenariotest.Run(t, rt, testenvtest.DistModule(t, "tenantroute"), p, scenariotest.Case{
			Config: `{"trustBoundary":true,"allow":["acme"]}`, Request: first.Upstream, EndOfStream: true,
		})
		assert.Empty(t, scenariotest.Values(second.Upstream, "x-laneway-synthetic"), "the separate tenantroute strips the checked marker")
		assert.Equal(t, []string{"laneway-tenant=acme,laneway-synthetic=tx-7"}, scenariotest.Values(second.Upstream, "baggage"))

		both := scenariotest.Run(t, rt, testenvtest.DistModule(t, "laneway"), p, scenariotest.Case{Config: `{"synthetic":` +
			`{"mode":"edge","trust":{"token":{"secret":"` + secret + `"}},"participants":["orders"]},"tenantroute":{"trustBoundary":true,"allow":["acme"]}}`,
			Request: req, EndOfStream: true})
		assert.Equal(t, []string{"1;id=tx-7"}, scenariotest.Values(both.Upstream, "x-laneway-synthetic"), "the combined module keeps it")
	}
}
