package combined_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/combined"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/scenariotest"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// The per-stream callbacks of the combined module: shadowtag's JSON body redaction of shadow copies (request
// body and trailers) and synthetic's acknowledgement check (response headers), under both Envoy generations,
// with the other roles on.

func loadCombined(t *testing.T, rt *testenv.Runtime, p testenv.Profile, config string) *testenv.VM {
	t.Helper()
	vm, err := rt.LoadVM(context.Background(), testenvtest.DistModule(t, "laneway"), testenv.VMOptions{Profile: p, PluginConfig: []byte(config)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(context.Background()) })
	return vm
}

func counter(vm *testenv.VM, name string) int64 {
	m, _ := vm.Metric(name)
	return m.Value
}

func TestShadowCopiesBodiesAreRedactedInTheCombinedModule(t *testing.T) {
	const config = `{"shadowtag":{"mode":"inbound","inbound":{"redact":{"headers":["authorization"],"jsonFields":["user.email","card"]}}},"tenantroute":{}}`
	const body = `{"user":{"name":"Ann","email":"ann@example.com"},"card":"4111 1111 1111 1111"}`
	const masked = `{"user":{"name":"Ann","email":"redacted"},"card":"redacted"}`
	post := func(authority string) testenv.Headers {
		return testenv.RequestHeaders("POST", authority, "/orders", "content-type", "application/json",
			"content-length", strconv.Itoa(len(body)), "authorization", "Bearer x", "baggage", "laneway-tenant=acme")
	}
	rt := testenvtest.Runtime(t)
	redacted := shadowtag.MetricPrefix + "redacted_total"
	for _, p := range scenariotest.Profiles {
		t.Run(scenariotest.ProfileName(p), func(t *testing.T) {
			vm := loadCombined(t, rt, p, config)

			before := counter(vm, redacted)
			s := vm.NewHTTPStream()
			require.Equal(t, testenv.ActionContinue, s.RequestHeaders(post("orders-shadow:8080"), false))
			s.RequestBody([]byte(body[:20]), false)
			s.RequestBody([]byte(body[20:]), true)
			req := s.Request()
			assert.Equal(t, masked, string(req.Body), "the shadow copy's fields are masked across chunks")
			assert.Empty(t, req.Headers.Values("authorization"))
			assert.Empty(t, req.Headers.Values("content-length"), "the length changes with the body")
			assert.Equal(t, []string{"acme"}, req.Headers.Values("x-laneway-tenant"), "tenantroute routed it too")
			s.Complete()
			assert.Equal(t, int64(1), counter(vm, redacted)-before)

			s = vm.NewHTTPStream()
			s.RequestHeaders(post("orders:8080"), false)
			s.RequestBody([]byte(body), true)
			assert.Equal(t, body, string(s.Request().Body), "a live request is never touched")
			assert.Equal(t, []string{"Bearer x"}, s.Request().Headers.Values("authorization"))
			s.Complete()

			s = vm.NewHTTPStream()
			s.RequestHeaders(post("orders-shadow:8080"), false)
			s.RequestBody(bytes.Repeat([]byte("x"), shadowtag.MaxRedactBody+1), true)
			lr := s.LocalResponse()
			require.NotNil(t, lr, "a shadow copy too large to redact is answered, never forwarded")
			assert.Equal(t, uint32(413), lr.StatusCode)
			assert.Equal(t, []string{"shadowtag"}, lr.Headers.Values(combined.AnsweredByHeader))
			s.Complete()
			require.NoError(t, vm.Err())
		})
	}
}

func TestSyntheticAcknowledgementsAreCheckedInTheCombinedModule(t *testing.T) {
	const config = `{"synthetic":{"mode":"outbound","participants":["orders"],"ack":{"required":true}},"shadowtag":{"mode":"outbound"},"tenantroute":{}}`
	rt := testenvtest.Runtime(t)
	acked, missing := synthetic.MetricName(synthetic.OutcomeAcked), synthetic.MetricName(synthetic.OutcomeAckMissing)
	for _, p := range scenariotest.Profiles {
		t.Run(scenariotest.ProfileName(p), func(t *testing.T) {
			vm := loadCombined(t, rt, p, config)
			a0, m0 := counter(vm, acked), counter(vm, missing)
			// Two interleaved streams: each checks its own transaction id.
			s1, s2 := vm.NewHTTPStream(), vm.NewHTTPStream()
			s1.RequestHeaders(testenv.RequestHeaders("POST", "orders", "/", "x-laneway-synthetic", "1;id=tx-1", "baggage", "laneway-tenant=acme"), true)
			s2.RequestHeaders(testenv.RequestHeaders("POST", "orders", "/", "x-laneway-synthetic", "1;id=tx-2"), true)
			assert.Equal(t, []string{"acme"}, s1.Request().Headers.Values("x-laneway-tenant"))
			s2.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}, {Key: synthetic.DefaultAckHeader, Value: "tx-1"}}, true)
			s1.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}, {Key: synthetic.DefaultAckHeader, Value: "tx-1"}}, true)
			s1.Complete()
			s2.Complete()
			require.NoError(t, vm.Err())
			assert.Equal(t, int64(1), counter(vm, acked)-a0, "tx-1 acknowledged its own id")
			assert.Equal(t, int64(1), counter(vm, missing)-m0, "tx-2 got tx-1's acknowledgement")
			warns := vm.LogsAt(testenv.LogWarn)
			require.Len(t, warns, 1)
			assert.Contains(t, warns[0], "tx tx-2: orders did not acknowledge")
		})
	}
}

func TestWasmBadConfigFailsPluginStartNamingTheField(t *testing.T) {
	rt := testenvtest.Runtime(t)
	for _, p := range scenariotest.Profiles {
		for _, tc := range []struct{ config, want string }{
			{``, "tenantroute, shadowtag, synthetic"},
			{`{}`, "tenantroute, shadowtag, synthetic"},
			{`{"tenantroute":{},"tenantroute":{}}`, "a second time"},
			{`{"tenantroute":{"allow":["Not A Label"]}}`, `"allow[0]"`},
			{`{"shadowtag":{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"collector:8080"}}}}`, "load the shadowtag-compare module"},
			{`{"synthetic":{"mode":"inbound","ack":{}}}`, `field "ack"`},
		} {
			t.Run(scenariotest.ProfileName(p)+"/"+tc.config, func(t *testing.T) {
				_, err := rt.LoadVM(context.Background(), testenvtest.DistModule(t, "laneway"), testenv.VMOptions{Profile: p, PluginConfig: []byte(tc.config)})
				require.Error(t, err)
				assert.Contains(t, err.Error(), "proxy_on_configure returned false")
				assert.Contains(t, err.Error(), tc.want)
			})
		}
	}
}
