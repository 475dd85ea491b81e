package shadowtag

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bothLegs runs f against the Go leg and the Wasm leg on both Envoy generations.
func bothLegs(t *testing.T, config string, mode collectorMode, f func(t *testing.T, h captureHost)) {
	t.Run("proxytest", func(t *testing.T) { f(t, newNativeCaptureHost(t, config, mode)) })
	rt := testenvtest.Runtime(t)
	for _, profile := range []testenv.Profile{testenv.Envoy133, testenv.Envoy139} {
		t.Run(profileName(profile), func(t *testing.T) { f(t, newWasmCaptureHost(t, rt, profile, config, mode)) })
	}
}

// A collector that never answers holds at most MaxInFlight batches; captures beyond the queue bound are
// dropped and counted; no request is held at any point; after the timeout the batches count as failed
// and the next tick sends what is still queued.
func TestSlowCollectorBoundsTheQueueAndNeverDelaysARequest(t *testing.T) {
	config := strings.Replace(cfgCompare, `"batchSize":8`, `"batchSize":2`, 1) // queue bound 4*2 = 8
	bothLegs(t, config, collectorSlow, func(t *testing.T, h captureHost) {
		const requests = 12
		for i := 0; i < requests; i++ {
			out := h.run(exchange{req: live("slow-" + strconv.Itoa(i)), resp: okJSON(), respBody: chunks(`{"n":`, strconv.Itoa(i)+`}`)})
			assert.Equal(t, []string{"continue", "continue", "continue"}, out.actions, "request %d", i)
			assert.False(t, out.respHeldAtEnd)
		}
		assert.Equal(t, int64(requests), h.counter(CompareSampled))
		assert.Equal(t, int64(requests-8), h.counter(CompareDropped), "captures beyond the queue bound are dropped")
		h.flush()
		h.flush()
		h.flush()
		calls := h.calls()
		require.Len(t, calls, MaxInFlight, "no more than MaxInFlight batches wait on a slow collector")
		var ids []string
		for _, c := range calls {
			for _, cp := range decodeBatch(t, c.body) {
				ids = append(ids, cp.ID)
			}
		}
		assert.Equal(t, []string{"slow-0", "slow-1", "slow-2", "slow-3"}, ids, "oldest captures first, batchSize per call")
		assert.Zero(t, h.counter(CompareSent)+h.counter(CompareFailed))
		h.expire()
		assert.Equal(t, int64(4), h.counter(CompareFailed), "timed-out batches are counted failed")
		h.flush()
		assert.Len(t, h.calls(), MaxInFlight+2, "the queue drains once the slots are free")
	})
}

// Captures of several requests travel in one batch, up to batchSize per call.
func TestCapturesAreBatched(t *testing.T) {
	bothLegs(t, cfgCompare, collectorOK, func(t *testing.T, h captureHost) {
		for i := 0; i < 10; i++ {
			h.run(exchange{req: live("b-" + strconv.Itoa(i)), resp: okJSON(), respBody: chunks(`{}`)})
		}
		assert.Empty(t, h.calls(), "nothing is sent from a stream")
		h.flush()
		calls := h.calls()
		require.NotEmpty(t, calls)
		n := 0
		for _, c := range calls {
			got := decodeBatch(t, c.body)
			assert.LessOrEqual(t, len(got), 8)
			n += len(got)
		}
		assert.Equal(t, 10, n)
		assert.Equal(t, int64(10), h.counter(CompareSent))
	})
}

const cfgRedact = `{"mode":"inbound","inbound":{"redact":{"headers":["authorization","x-user-email"],"jsonFields":["user.email","card","items.#.ssn"]}}}`

func shadowPost(body string, extra ...string) [][2]string {
	h := [][2]string{{":method", "POST"}, {":authority", "orders-shadow:8080"}, {":path", "/orders"},
		{"content-type", "application/json"}, {"content-length", strconv.Itoa(len(body))}}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, [2]string{extra[i], extra[i+1]})
	}
	return h
}

func TestRedactionOfShadowCopies(t *testing.T) {
	const body = `{"user":{"name":"Ann","email":"ann@example.com"},"card":"4111 1111 1111 1111","items":[{"ssn":"1","q":2},{"ssn":"2"}]}`
	const masked = `{"user":{"name":"Ann","email":"redacted"},"card":"redacted","items":[{"ssn":"redacted","q":2},{"ssn":"redacted"}]}`
	for _, tc := range []struct {
		name       string
		ex         exchange
		wantBody   string
		wantLocal  int
		absent     []string
		kept       map[string]string
		redacted   int64
		noCLChange bool
	}{
		{name: "a shadow copy's headers are removed and JSON fields masked across chunks; content-length goes",
			ex:       exchange{req: shadowPost(body, "authorization", "Bearer x", "x-user-email", "a@b"), reqBody: chunks(body[:30], body[30:])},
			wantBody: masked, absent: []string{"authorization", "x-user-email", "content-length"}, kept: map[string]string{"content-type": "application/json"}, redacted: 1},
		{name: "a live request is never touched",
			ex:       exchange{req: [][2]string{{":method", "POST"}, {":authority", "orders:8080"}, {":path", "/orders"}, {"authorization", "Bearer x"}, {"content-length", strconv.Itoa(len(body))}}, reqBody: chunks(body)},
			wantBody: body, kept: map[string]string{"authorization": "Bearer x", "content-length": strconv.Itoa(len(body))}},
		{name: "a shadow copy with a non-JSON body passes unchanged (nothing to mask)",
			ex:       exchange{req: shadowPost("a=1&card=2", "authorization", "x"), reqBody: chunks("a=1&card=2")},
			wantBody: "a=1&card=2", absent: []string{"authorization"}, redacted: 1},
		{name: "a shadow copy without any configured field passes with its body unchanged",
			ex:       exchange{req: shadowPost(`{"other":1}`), reqBody: chunks(`{"other":1}`)},
			wantBody: `{"other":1}`},
		{name: "a shadow copy too large to redact is answered 413 and never forwarded",
			ex:        exchange{req: shadowPost("x"), reqBody: [][]byte{bytes.Repeat([]byte("x"), MaxRedactBody+1)}},
			wantLocal: 413},
		{name: "a shadow GET without a body only loses its headers",
			ex:     exchange{req: [][2]string{{":method", "GET"}, {":authority", "orders-shadow"}, {":path", "/"}, {"x-user-email", "a@b"}}},
			absent: []string{"x-user-email"}, redacted: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bothLegs(t, cfgRedact, collectorOK, func(t *testing.T, h captureHost) {
				var before int64
				if w, ok := h.(*wasmCaptureHost); ok {
					m, _ := w.vm.Metric(MetricPrefix + "redacted_total")
					before = m.Value
				}
				out := h.run(tc.ex)
				if tc.wantLocal != 0 {
					assert.Equal(t, tc.wantLocal, out.local)
					assert.Empty(t, out.reqForwarded, "nothing of the body is forwarded")
					return
				}
				assert.Zero(t, out.local)
				if len(tc.ex.reqBody) > 0 {
					assert.Equal(t, tc.wantBody, string(out.reqForwarded))
					assert.True(t, json.Valid(out.reqForwarded) || !json.Valid([]byte(tc.wantBody)))
				}
				for _, k := range tc.absent {
					assert.Empty(t, headerValues(out.reqHeaders, k), "header %s removed", k)
				}
				for k, v := range tc.kept {
					assert.Equal(t, []string{v}, headerValues(out.reqHeaders, k), "header %s kept", k)
				}
				var got int64
				switch h := h.(type) {
				case *nativeCaptureHost:
					v, err := h.host.GetCounterMetric(MetricPrefix + "redacted_total")
					require.NoError(t, err)
					got = int64(v)
				case *wasmCaptureHost:
					m, _ := h.vm.Metric(MetricPrefix + "redacted_total")
					got = m.Value - before
				}
				assert.Equal(t, tc.redacted, got, "redacted counter")
			})
		})
	}
}

// Header-only redaction needs no per-stream state: the plain module does it too.
func TestPlainModuleRedactsHeadersAndRefusesCaptureSections(t *testing.T) {
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	wasm := testenvtest.DistModule(t, "shadowtag")
	vm, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(`{"mode":"inbound","inbound":{"redact":{"headers":["authorization"]}}}`)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = vm.Close(ctx) })
	s := vm.NewHTTPStream()
	s.RequestHeaders(testenv.RequestHeaders("GET", "orders-shadow:8080", "/", "authorization", "Bearer x"), true)
	assert.Empty(t, s.Request().Headers.Values("authorization"))
	s.Complete()
	s = vm.NewHTTPStream()
	s.RequestHeaders(testenv.RequestHeaders("GET", "orders:8080", "/", "authorization", "Bearer x"), true)
	assert.Equal(t, []string{"Bearer x"}, s.Request().Headers.Values("authorization"), "live requests keep it")
	s.Complete()

	for _, c := range []struct{ config, field, says string }{
		{cfgCompare, `"compare"`, "shadowtag-compare"},
		{cfgRedact, `"inbound.redact.jsonFields"`, "shadowtag-compare"},
	} {
		_, err := rt.LoadVM(ctx, wasm, testenv.VMOptions{PluginConfig: []byte(c.config)})
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.field)
		assert.Contains(t, err.Error(), c.says)
	}
}

func TestCompareConfigErrorsNameTheField(t *testing.T) {
	base := `{"role":"primary","collector":{"cluster":"c","authority":"collector:8080"}}`
	with := func(k, v string) string {
		return `{"mode":"inbound","compare":` + base[:len(base)-1] + `,"` + k + `":` + v + `}}`
	}
	for _, tc := range []struct{ name, config, field, allowed string }{
		{"a missing role", `{"mode":"inbound","compare":{"collector":{"cluster":"c","authority":"a"}}}`, `"compare.role"`, `"primary", "secondary", "candidate" (required)`},
		{"an unknown role", strings.Replace(with("bodyLimit", "1"), "primary", "baseline", 1), `"compare.role"`, `one of "primary", "secondary", "candidate"`},
		{"a missing cluster", `{"mode":"inbound","compare":{"role":"primary","collector":{"authority":"a"}}}`, `"compare.collector.cluster"`, "required"},
		{"a missing authority", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c"}}}`, `"compare.collector.authority"`, "required"},
		{"a cluster with blanks", strings.Replace(with("bodyLimit", "1"), `"c"`, `"a b"`, 1), `"compare.collector.cluster"`, "cluster name"},
		{"an authority with a bad port", strings.Replace(with("bodyLimit", "1"), "collector:8080", "collector:99999", 1), `"compare.collector.authority"`, "port"},
		{"a relative path", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"a","path":"v1"}}}`, `"compare.collector.path"`, "absolute"},
		{"a timeout of 0", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"a","timeoutMs":0}}}`, `"compare.collector.timeoutMs"`, "from 1 to 60000"},
		{"a sample rate above 1", with("sampleRate", "1.5"), `"compare.sampleRate"`, "from 0 to 1"},
		{"a sample rate as a string", with("sampleRate", `"10%"`), `"compare.sampleRate"`, "from 0 to 1"},
		{"a body limit too large", with("bodyLimit", "70000"), `"compare.bodyLimit"`, "from 0 to 65536"},
		{"a pseudo-header to record", with("headers", `[":status"]`), `"compare.headers[0]"`, "header name"},
		{"a header listed twice", with("headers", `["etag","ETag"]`), `"compare.headers[1]"`, "each entry at most once"},
		{"a batch size of 0", with("batchSize", "0"), `"compare.batchSize"`, "from 1 to 256"},
		{"a flush period too short", with("flushMs", "1"), `"compare.flushMs"`, "from 10 to 60000"},
		{"an unknown compare field", with("sample", "1"), `"compare.sample"`, ""},
		{"compare on an outbound listener", `{"mode":"outbound","compare":` + base + `}`, `"compare"`, "inbound listener"},
		{"redact at the edge", `{"mode":"edge","inbound":{"redact":{"headers":["a"]}}}`, `"inbound.redact"`, "inbound listener"},
		{"a redacted pseudo-header", `{"mode":"inbound","inbound":{"redact":{"headers":[":path"]}}}`, `"inbound.redact.headers[0]"`, "header name"},
		{"a JSON path with a modifier", `{"mode":"inbound","inbound":{"redact":{"jsonFields":["@reverse"]}}}`, `"inbound.redact.jsonFields[0]"`, "gjson path"},
		{"a mask with a quote", `{"mode":"inbound","inbound":{"redact":{"mask":"a\"b"}}}`, `"inbound.redact.mask"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "field "+tc.field)
			assert.Contains(t, err.Error(), tc.allowed)
		})
	}
}

func TestCompareConfigDefaultsAndSummary(t *testing.T) {
	c, err := ParseConfig([]byte(`{"mode":"auto","compare":{"role":"secondary","collector":{"cluster":"c","authority":"[fd00::1]:80"},"sampleRate":0.25}}`))
	require.NoError(t, err)
	require.NotNil(t, c.Compare)
	assert.Equal(t, CompareConfig{Role: RoleSecondary, Cluster: "c", Authority: "[fd00::1]:80", Path: DefaultCollectorPath, TimeoutMs: DefaultTimeoutMs,
		Sample: 250_000, BodyLimit: DefaultBodyLimit, BatchSize: DefaultBatchSize, FlushMs: DefaultFlushMs, Shards: DefaultShards}, *c.Compare)
	assert.Contains(t, c.Summary(), "compare{role=secondary collector=c ([fd00::1]:80/v1/captures) sample=0.25")
	assert.Contains(t, c.Summary(), "queue<=128")
}

// A capture reports the plugin root id as its service when none is configured.
func TestCaptureServiceDefaultsToThePluginRootID(t *testing.T) {
	config := strings.Replace(cfgCompare, `"service":"orders",`, "", 1)
	h := newWasmCaptureHost(t, testenvtest.Runtime(t), testenv.Envoy139, config, collectorOK)
	h.run(exchange{req: live("svc-1"), resp: okJSON(), respBody: chunks(`{}`)})
	h.flush()
	require.Len(t, h.calls(), 1)
	assert.Equal(t, "orders-root", decodeBatch(t, h.calls()[0].body)[0].Service)
}

// MaskJSON runs on every redacted shadow copy: in the Wasm build any allocation there grows the VM's linear memory
// toward the Go heap's minimum goal (about 4 MiB more) under steady redaction (gjson.GetBytes copied each result).
// A '#' query still allocates: gjson builds the array of its matches.
func TestMaskJSONAllocatesNothingForPlainPaths(t *testing.T) {
	r := Redact{JSONFields: []string{"user.email", "card", "missing.field"}}
	r.maskJSON = []byte(`"redacted"`)
	body := []byte(`{"user":{"name":"Ann","email":"ann@example.com"},"card":"4111"}`)
	out := make([]byte, 0, 256)
	n := 0
	allocs := testing.AllocsPerRun(100, func() { out, n = r.MaskJSON(out[:0], body) })
	assert.Equal(t, `{"user":{"name":"Ann","email":"redacted"},"card":"redacted"}`, string(out))
	assert.Equal(t, 2, n)
	assert.Zero(t, allocs, "allocations per MaskJSON")
}

func FuzzMaskJSON(f *testing.F) {
	for _, s := range []string{`{"user":{"email":"a"},"card":1}`, `{"items":[{"ssn":1},{"ssn":[1,2]}]}`, `[]`, `"x"`, `{"card":{"card":1}}`} {
		f.Add(s)
	}
	r := Redact{JSONFields: []string{"user.email", "card", "items.#.ssn"}, maskJSON: []byte(`"redacted"`)}
	f.Fuzz(func(t *testing.T, body string) {
		out, n := r.MaskJSON(nil, []byte(body))
		if n < 0 {
			if json.Valid([]byte(body)) {
				t.Fatalf("valid JSON refused: %q", body)
			}
			return
		}
		if json.Valid([]byte(body)) && !json.Valid(out) {
			t.Fatalf("masking %q produced invalid JSON %q", body, out)
		}
		if n == 0 && string(out) != body {
			t.Fatalf("nothing masked but the body changed: %q -> %q", body, out)
		}
	})
}

// ParseModuleConfig checks a config as each module does: the plain module refuses what only
// shadowtag-compare runs, with the same words the module logs.
func TestParseModuleConfigRefusesCompareForThePlainModule(t *testing.T) {
	for _, tc := range []struct{ module, config, err string }{
		{"shadowtag-compare", cfgCompare, ""},
		{"shadowtag", cfgCompare, `field "compare"`},
		{"shadowtag", `{"mode":"inbound","inbound":{"redact":{"jsonFields":["a"]}}}`, `field "inbound.redact.jsonFields"`},
		{"shadowtag", `{"mode":"inbound","inbound":{"redact":{"headers":["authorization"]}}}`, ""},
		{"shadowtag-compare", `{"mode":"inbound","compare":{"role":"boss"}}`, `field "compare.role"`},
	} {
		_, err := ParseModuleConfig(tc.module, []byte(tc.config))
		if tc.err == "" {
			assert.NoError(t, err, "%s %s", tc.module, tc.config)
			continue
		}
		require.Error(t, err, "%s %s", tc.module, tc.config)
		assert.Contains(t, err.Error(), tc.err)
		if tc.module == "shadowtag" {
			assert.Contains(t, err.Error(), "shadowtag-compare module")
		}
	}
}
