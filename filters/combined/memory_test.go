package combined_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// exchange is one request (with an optional body) and the upstream's response, if the request gets that far.
type exchange struct {
	req  testenv.Headers
	body string
	resp testenv.Headers // nil: the combined module answers locally
}

// deployment is one listener's plugin configuration: the combined module's and the separate modules' own.
type deployment struct {
	name     string
	combined string
	separate map[string]string // module -> its plugin configuration
	props    map[string][]byte
	mix      []exchange
}

// flood is a request at Envoy's default limits' scale: 100 extra headers and a baggage header of 60 members.
func flood(method, authority string, extra ...string) testenv.Headers {
	h := testenv.RequestHeaders(method, authority, "/api/orders/42", extra...)
	for i := 0; i < 100; i++ {
		h = append(h, testenv.Header{Key: "x-pad-" + strconv.Itoa(i), Value: strings.Repeat("v", 40)})
	}
	members := make([]string, 0, 60)
	for i := 0; i < 59; i++ {
		members = append(members, "k"+strconv.Itoa(i)+"="+strings.Repeat("x", 60))
	}
	members = append(members, "laneway-tenant=sbx-1")
	return append(h, testenv.Header{Key: "baggage", Value: strings.Join(members, ",")})
}

var ok200 = testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}

// deployments mix the traffic a sidecar sees: routed and baseline requests, local replies from two roles,
// rewritten baggage, a shadow copy's body redaction and a flood of headers.
func deployments() []deployment {
	const body = `{"user":{"name":"Ann","email":"ann@example.com"},"card":"4111 1111 1111 1111"}`
	trusted := "spiffe://cluster.local/ns/synthetics/sa/runner"
	return []deployment{{
		name:     "outbound",
		combined: `{"synthetic":{"mode":"outbound","participants":["orders"]},"shadowtag":{"mode":"outbound"},"tenantroute":{}}`,
		separate: map[string]string{"synthetic": `{"mode":"outbound","participants":["orders"]}`, "shadowtag": `{"mode":"outbound"}`, "tenantroute": `{}`},
		mix: []exchange{
			{req: testenv.RequestHeaders("GET", "svc-b:8080", "/a", "baggage", "userid=42,laneway-tenant=sbx-1"), resp: ok200},
			{req: testenv.RequestHeaders("GET", "svc-b:8080", "/a", "baggage", "userid=42"), resp: ok200},
			// Refused by synthetic: a write to a destination that cannot roll back.
			{req: testenv.RequestHeaders("POST", "payments:8080", "/charge", "x-laneway-synthetic", "1;id=tx-1", "baggage", "laneway-tenant=sbx-1")},
			// Suppressed by shadowtag: a shadow copy's write.
			{req: testenv.RequestHeaders("POST", "payments:8080", "/charge", "x-laneway-shadow", "1", "baggage", "laneway-shadow=1,laneway-tenant=sbx-1")},
			// Forwarded by synthetic with its baggage member added, routed by tenantroute.
			{req: testenv.RequestHeaders("GET", "orders:8080", "/o", "x-laneway-synthetic", "1;id=tx-2", "baggage", "laneway-tenant=sbx-1"), resp: ok200},
			{req: flood("GET", "svc-b:8080"), resp: ok200},
		},
	}, {
		name:     "inbound",
		combined: `{"synthetic":{"mode":"inbound","trust":{"principals":["` + trusted + `"]}},"shadowtag":{"mode":"inbound","inbound":{"redact":{"headers":["authorization"],"jsonFields":["user.email","card"]}}},"tenantroute":{}}`,
		separate: map[string]string{
			"synthetic":         `{"mode":"inbound","trust":{"principals":["` + trusted + `"]}}`,
			"shadowtag-compare": `{"mode":"inbound","inbound":{"redact":{"headers":["authorization"],"jsonFields":["user.email","card"]}}}`,
			"tenantroute":       `{}`,
		},
		props: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue("spiffe://cluster.local/ns/shop/sa/web")},
		mix: []exchange{
			// A mirrored copy whose JSON body is redacted.
			{req: testenv.RequestHeaders("POST", "orders-shadow:8080", "/orders", "content-type", "application/json",
				"content-length", strconv.Itoa(len(body)), "authorization", "Bearer x", "baggage", "laneway-tenant=acme"), body: body, resp: ok200},
			{req: testenv.RequestHeaders("GET", "orders:8080", "/o", "baggage", "userid=42,laneway-tenant=acme"), resp: ok200},
			// Stripped by synthetic: a marker from a peer it does not trust.
			{req: testenv.RequestHeaders("POST", "orders:8080", "/o", "x-laneway-synthetic", "1;id=tx-3", "baggage", "laneway-synthetic=tx-3"), resp: ok200},
			{req: flood("GET", "orders:8080"), resp: ok200},
		},
	}}
}

// run sends every exchange of the mix once through vm and returns how many were answered locally.
func run(vm *testenv.VM, mix []exchange) (local int) {
	for _, x := range mix {
		s := vm.NewHTTPStream()
		s.RequestHeaders(x.req, x.body == "")
		if x.body != "" {
			s.RequestBody([]byte(x.body), true)
		}
		if s.LocalResponse() != nil {
			local++
		} else if x.resp != nil {
			s.ResponseHeaders(x.resp, true)
		}
		s.Complete()
	}
	return local
}

// localReplies is how many exchanges of mix the combined module answers itself.
func localReplies(mix []exchange) (n int) {
	for _, x := range mix {
		if x.resp == nil {
			n++
		}
	}
	return n
}

// TestCombinedMemoryStaysFlatUnderMixedTraffic extends the memory target of issue 20 beyond the benchmark's one
// exchange: with local replies from two roles, rewritten baggage, body redaction and floods of headers mixed in,
// the combined VM's linear memory stops growing after its warm-up and stays at most 0.4x the three separate
// VMs running the same traffic.
func TestCombinedMemoryStaysFlatUnderMixedTraffic(t *testing.T) {
	const warmup, rounds = 1_000, 5_000
	rt := testenvtest.Runtime(t)
	for _, d := range deployments() {
		for _, p := range scenariotest.Profiles {
			t.Run(d.name+"/"+scenariotest.ProfileName(p), func(t *testing.T) {
				// wantLocal (-1: not checked) is how many exchanges of one round the module answers locally.
				measure := func(module, config string, wantLocal int) uint32 {
					vm, err := rt.LoadVM(context.Background(), testenvtest.DistModule(t, module), testenv.VMOptions{
						Profile: p, PluginConfig: []byte(config), Properties: d.props, LogLevel: testenv.LogInfo})
					require.NoError(t, err)
					defer vm.Close(context.Background())
					start := vm.MemorySize()
					if local := run(vm, d.mix); wantLocal >= 0 {
						require.Equal(t, wantLocal, local, "%s: local replies in one round of the mix", module)
					}
					for i := 1; i < warmup; i++ {
						run(vm, d.mix)
					}
					warm := vm.MemorySize()
					for i := 0; i < rounds; i++ {
						run(vm, d.mix)
					}
					final := vm.MemorySize()
					require.NoError(t, vm.Err())
					t.Logf("%s: %d KiB at start, %d KiB after %d streams, %d KiB after %d", module, start/1024,
						warm/1024, warmup*len(d.mix), final/1024, (warmup+rounds)*len(d.mix))
					assert.Equal(t, warm, final, "%s: linear memory grew after its warm-up", module)
					return final
				}
				combined := measure("laneway", d.combined, localReplies(d.mix))
				var sum uint32
				for module, config := range d.separate {
					sum += measure(module, config, -1)
				}
				ratio := float64(combined) / float64(sum)
				t.Logf("combined %d KiB, separate %d KiB together: %.3fx", combined/1024, sum/1024, ratio)
				assert.LessOrEqual(t, ratio, 0.4, "the combined VM is more than 0.4x the three separate VMs")
			})
		}
	}
}
