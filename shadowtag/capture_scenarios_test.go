package shadowtag

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exchange is one request/response through the filter: headers, then body chunks (none: the headers end the
// message), then optional response trailers.
type exchange struct {
	req        [][2]string
	reqBody    [][]byte
	resp       [][2]string
	respBody   [][]byte
	respTrails [][2]string
}

// outcome is what the filter did with an exchange, as the host saw it.
type outcome struct {
	actions          []string // every callback's action: "continue", "pause"
	reqHeaders       [][2]string
	reqForwarded     []byte // request body passed upstream (redaction)
	respForwarded    []byte // response body passed downstream
	local            int    // local response status, 0 if none
	localBody        string
	respHeldAtEnd    bool
	requestHeldAtEnd bool
}

// collectorMode is how the collector behaves: answers 202, fails (reset), or never answers.
type collectorMode string

const (
	collectorOK   collectorMode = "ok"
	collectorDown collectorMode = "down"
	collectorSlow collectorMode = "slow"
)

// sentCall is one capture batch the filter dispatched.
type sentCall struct {
	cluster string
	headers [][2]string
	body    []byte
	timeout uint32
}

// captureHost runs the filter in one leg: proxytest (Go) or testenv (Wasm).
type captureHost interface {
	run(ex exchange) outcome
	flush()                    // the flush tick fires (and the collector answers as its mode says)
	calls() []sentCall         // every dispatch so far
	counter(name string) int64 // a laneway_shadowtag_<name>_total delta since the host started
	expire()                   // time passes beyond the call timeout (a slow collector's calls time out)
}

// wireCapture is one capture as compare-wire.md fixes it.
type wireCapture struct {
	ID        string            `json:"id"`
	Role      string            `json:"role"`
	Service   string            `json:"service"`
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
	BodyBytes int               `json:"bodyBytes"`
	Truncated bool              `json:"truncated"`
	TS        int64             `json:"ts"`
}

var wireKeys = []string{"body", "bodyBytes", "headers", "id", "method", "path", "role", "service", "status", "truncated", "ts"}

// decodeBatch decodes a capture POST body strictly: exactly {"captures":[...]}, every capture with exactly the
// wire format's keys and types.
func decodeBatch(t *testing.T, body []byte) []wireCapture {
	t.Helper()
	var raw struct {
		Captures []map[string]json.RawMessage `json:"captures"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&raw), "batch body %s", body)
	var out []wireCapture
	for i, m := range raw.Captures {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		require.Equal(t, wireKeys, keys, "capture %d keys", i)
		b, _ := json.Marshal(m)
		var c wireCapture
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		require.NoError(t, d.Decode(&c), "capture %d", i)
		out = append(out, c)
	}
	return out
}

const cfgCompare = `{"mode":"inbound","compare":{"role":"candidate","collector":{"cluster":"outbound|8080||collector.laneway.svc.cluster.local","authority":"collector.laneway:8080","timeoutMs":500},` +
	`"headers":["content-type","x-version","etag"],"bodyLimit":16,"service":"orders","batchSize":8,"flushMs":100}}`

const collectorCluster = "outbound|8080||collector.laneway.svc.cluster.local"

func withCompare(over string) string {
	return strings.Replace(cfgCompare, `"role":"candidate"`, over, 1)
}

func live(id string, extra ...string) [][2]string {
	h := [][2]string{{":method", "GET"}, {":authority", "orders:8080"}, {":path", "/orders/42?verbose=1"}, {":scheme", "http"}}
	if id != "" {
		h = append(h, [2]string{RequestIDHeader, id})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, [2]string{extra[i], extra[i+1]})
	}
	return h
}

func okJSON(extra ...string) [][2]string {
	h := [][2]string{{":status", "200"}, {"content-type", "application/json"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h = append(h, [2]string{extra[i], extra[i+1]})
	}
	return h
}

func chunks(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, c := range s {
		out[i] = []byte(c)
	}
	return out
}

var binaryBody = func() []byte {
	b := make([]byte, 12)
	for i := range b {
		b[i] = byte(250 + i) // wraps: 0xfa … 0x05, not UTF-8
	}
	return b
}()

// captureScenario is one exchange with compare configured and what must reach the collector.
type captureScenario struct {
	name      string
	config    string
	ex        exchange
	collector collectorMode
	want      *wireCapture     // nil: nothing is captured
	counters  map[string]int64 // compare counters after the flush and the collector's answer
}

// idSampled and idUnsampled are request ids on either side of a 50% sample rate (checked in
// TestSamplingHashIsFNV1a64OfTheRequestID).
const (
	idSampled   = "7f3c1a2e-5b1d-4c2e-9a6f-0d8e4b2c1a01"
	idUnsampled = "7f3c1a2e-5b1d-4c2e-9a6f-0d8e4b2c1a02"
)

func capt(id, method, path string, status int, headers map[string]string, body []byte, total int) *wireCapture {
	return &wireCapture{ID: id, Role: "candidate", Service: "orders", Method: method, Path: path, Status: status,
		Headers: headers, Body: base64.StdEncoding.EncodeToString(body), BodyBytes: total, Truncated: total > len(body)}
}

var captureScenarios = []captureScenario{
	{name: "a sampled JSON response in one chunk is captured whole and the collector accepts it",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-1"), resp: okJSON("x-version", "2"), respBody: chunks(`{"id":42}`)},
		want:     capt("req-1", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json", "x-version": "2"}, []byte(`{"id":42}`), 9),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a chunked response is captured across its chunks, each passed on at once",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-2"), resp: okJSON(), respBody: chunks(`{"a":`, `1,`, `"b":2}`)},
		want:     capt("req-2", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{"a":1,"b":2}`), 13),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a body over the limit is captured up to the limit, its full length reported and marked truncated",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-3"), resp: okJSON(), respBody: chunks(`{"items":[1,2,3,`, `4,5,6,7,8,9,10,11,12]}`)},
		want:     capt("req-3", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{"items":[1,2,3,`), 38),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a non-JSON binary body is captured byte for byte (base64)",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-4"), resp: [][2]string{{":status", "200"}, {"content-type", "application/octet-stream"}}, respBody: [][]byte{binaryBody}},
		want:     capt("req-4", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/octet-stream"}, binaryBody, 12),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a response without a body is captured at its headers",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-5"), resp: [][2]string{{":status", "204"}}},
		want:     capt("req-5", "GET", "/orders/42?verbose=1", 204, map[string]string{}, nil, 0),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a response with trailers is captured when its trailers arrive",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-6"), resp: okJSON(), respBody: chunks(`{"ok":true}`), respTrails: [][2]string{{"grpc-status", "0"}}},
		want:     capt("req-6", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{"ok":true}`), 11),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "repeated response headers are joined with commas, names lower case, values JSON-escaped",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live("req-7"), resp: okJSON("etag", `"v1"`, "x-version", "a", "x-version", "b"), respBody: chunks(`[]`)},
		want:     capt("req-7", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json", "etag": `"v1"`, "x-version": "a,b"}, []byte(`[]`), 2),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a POST's method and a path with escapes are recorded as received",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: [][2]string{{":method", "POST"}, {":authority", "orders"}, {":path", `/orders/"x"\y?q=%20`}, {RequestIDHeader, "req-8"}}, resp: [][2]string{{":status", "201"}}},
		want:     capt("req-8", "POST", `/orders/"x"\y?q=%20`, 201, map[string]string{}, nil, 0),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a request whose id hashes below the sample rate is captured",
		config: strings.Replace(cfgCompare, `"bodyLimit"`, `"sampleRate":0.5,"bodyLimit"`, 1), collector: collectorOK,
		ex:       exchange{req: live(idSampled), resp: okJSON(), respBody: chunks(`{}`)},
		want:     capt(idSampled, "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{}`), 2),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a request whose id hashes above the sample rate is not captured",
		config: strings.Replace(cfgCompare, `"bodyLimit"`, `"sampleRate":0.5,"bodyLimit"`, 1), collector: collectorOK,
		ex:       exchange{req: live(idUnsampled), resp: okJSON(), respBody: chunks(`{}`)},
		counters: map[string]int64{}},
	{name: "nothing is captured at sample rate 0",
		config: strings.Replace(cfgCompare, `"bodyLimit"`, `"sampleRate":0,"bodyLimit"`, 1), collector: collectorOK,
		ex:       exchange{req: live("req-9"), resp: okJSON(), respBody: chunks(`{}`)},
		counters: map[string]int64{}},
	{name: "a request without x-request-id is not captured (nothing to pair it by)",
		config: cfgCompare, collector: collectorOK,
		ex:       exchange{req: live(""), resp: okJSON(), respBody: chunks(`{}`)},
		counters: map[string]int64{}},
	{name: "the primary does not capture a shadow copy that reaches it",
		config: withCompare(`"role":"primary"`), collector: collectorOK,
		ex:       exchange{req: [][2]string{{":method", "GET"}, {":authority", "orders-shadow:8080"}, {":path", "/x"}, {RequestIDHeader, "req-10"}}, resp: okJSON(), respBody: chunks(`{}`)},
		counters: map[string]int64{}},
	{name: "the secondary captures the mirrored copy under its role",
		config: withCompare(`"role":"secondary"`), collector: collectorOK,
		ex: exchange{req: [][2]string{{":method", "GET"}, {":authority", "orders-shadow:8080"}, {":path", "/x"}, {RequestIDHeader, "req-11"}}, resp: okJSON(), respBody: chunks(`{}`)},
		want: &wireCapture{ID: "req-11", Role: "secondary", Service: "orders", Method: "GET", Path: "/x", Status: 200,
			Headers: map[string]string{"content-type": "application/json"}, Body: "e30=", BodyBytes: 2},
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "with shards the batch goes out with :authority <shard>.<authority>, the shard from the id's hash",
		config: strings.Replace(cfgCompare, `"bodyLimit"`, `"shards":8,"bodyLimit"`, 1), collector: collectorOK,
		ex:       exchange{req: live("req-14"), resp: okJSON(), respBody: chunks(`{"id":14}`)},
		want:     capt("req-14", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{"id":14}`), 9),
		counters: map[string]int64{CompareSampled: 1, CompareSent: 1}},
	{name: "a collector that is down costs the capture and a counter, never the request",
		config: cfgCompare, collector: collectorDown,
		ex:       exchange{req: live("req-12"), resp: okJSON(), respBody: chunks(`{"id":1}`)},
		want:     capt("req-12", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{"id":1}`), 8),
		counters: map[string]int64{CompareSampled: 1, CompareFailed: 1}},
	{name: "a slow collector holds the batch without delaying the request; its timeout counts as failed",
		config: cfgCompare, collector: collectorSlow,
		ex:       exchange{req: live("req-13"), resp: okJSON(), respBody: chunks(`{"id":1}`)},
		want:     capt("req-13", "GET", "/orders/42?verbose=1", 200, map[string]string{"content-type": "application/json"}, []byte(`{"id":1}`), 8),
		counters: map[string]int64{CompareSampled: 1, CompareFailed: 1}},
}

var compareCounters = []string{CompareSampled, CompareSent, CompareFailed, CompareDropped, CompareIncomplete}

// runCaptureScenario plays sc on a host of one leg.
func runCaptureScenario(t *testing.T, h captureHost, sc captureScenario) {
	out := h.run(sc.ex)
	for i, a := range out.actions {
		assert.Equal(t, "continue", a, "callback %d must not hold the live exchange", i)
	}
	assert.Zero(t, out.local, "no local response")
	assert.Equal(t, bytes.Join(sc.ex.respBody, nil), nonNil(out.respForwarded), "the live response passes unchanged")
	assert.False(t, out.respHeldAtEnd, "the response is not held")
	h.flush()
	calls := h.calls()
	if sc.want == nil {
		assert.Empty(t, calls, "nothing is sent to the collector")
	} else {
		require.Len(t, calls, 1, "one batch")
		c := calls[0]
		assert.Equal(t, collectorCluster, c.cluster)
		if c.timeout != 0 { // proxytest keeps no call timeout
			assert.Equal(t, uint32(500), c.timeout)
		}
		cfg, err := ParseConfig([]byte(sc.config))
		require.NoError(t, err)
		authority := cfg.Compare.ShardAuthority(cfg.Compare.ShardOf(sc.want.ID))
		if cfg.Compare.Shards > 1 {
			assert.Equal(t, strconv.Itoa(cfg.Compare.ShardOf(sc.want.ID))+".collector.laneway:8080", authority)
		}
		for k, v := range map[string]string{":method": "POST", ":path": DefaultCollectorPath, ":authority": authority, "content-type": "application/json"} {
			assert.Equal(t, []string{v}, headerValues(c.headers, k), "call header %s", k)
		}
		got := decodeBatch(t, c.body)
		require.Len(t, got, 1)
		assert.Positive(t, got[0].TS, "ts is the host clock in unix ms")
		got[0].TS = 0
		assert.Equal(t, *sc.want, got[0])
	}
	if sc.collector == collectorSlow {
		for _, n := range compareCounters {
			if n != CompareSampled {
				assert.Zero(t, h.counter(n), "before the timeout: counter %s", n)
			}
		}
		h.expire()
	}
	for _, n := range compareCounters {
		assert.Equal(t, sc.counters[n], h.counter(n), "counter %s", n)
	}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// TestSamplingHashIsFNV1a64OfTheRequestID pins the scenario ids and checks the hash is the standard FNV-1a.
func TestSamplingHashIsFNV1a64OfTheRequestID(t *testing.T) {
	cc := CompareConfig{Sample: sampleScale / 2}
	assert.True(t, cc.Sampled(idSampled), "fnv %d", FNV1a64(idSampled)%sampleScale)
	assert.False(t, cc.Sampled(idUnsampled), "fnv %d", FNV1a64(idUnsampled)%sampleScale)
	assert.Equal(t, uint64(0xcbf29ce484222325), FNV1a64(""))
	assert.Equal(t, uint64(0xaf63dc4c8601ec8c), FNV1a64("a"), "FNV-1a 64 test vector")
	assert.Equal(t, uint64(0x85944171f73967e8), FNV1a64("foobar"), "FNV-1a 64 test vector")
	for i := 0; i < 1000; i++ {
		id := fakeUUID(i)
		h := fnv.New64a()
		_, _ = h.Write([]byte(id))
		require.Equal(t, h.Sum64(), FNV1a64(id), "hash/fnv agrees on %s", id)
	}
	// Every length through the eight- and four-byte steps and the byte loop.
	long := "0123456789abcdef-ghijklmnopqrstuvwxyz-ABCDEFGHIJ"
	for n := 0; n <= len(long); n++ {
		h := fnv.New64a()
		_, _ = h.Write([]byte(long[:n]))
		require.Equal(t, h.Sum64(), FNV1a64(long[:n]), "hash/fnv agrees on %d bytes", n)
	}
}

// The sample rate holds over request ids Envoy generates (UUIDv4) within a fraction of a percent.
func TestSamplingRateHoldsOverUUIDs(t *testing.T) {
	for _, rate := range []float64{0.01, 0.1, 0.5} {
		cc := CompareConfig{Sample: uint32(rate * sampleScale)}
		n, hits := 200_000, 0
		for i := 0; i < n; i++ {
			if cc.Sampled(fakeUUID(i)) {
				hits++
			}
		}
		assert.InDelta(t, rate, float64(hits)/float64(n), 0.006, "rate %g", rate)
	}
}

// fakeUUID returns a deterministic UUIDv4-shaped id from i (an LCG, no crypto/rand in tests of filter code).
func fakeUUID(i int) string {
	x := uint64(i)*6364136223846793005 + 1442695040888963407
	y := x*6364136223846793005 + 1442695040888963407
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, uint16(y>>48)&0x3fff|0x8000, y&0xffffffffffff)
}

func TestAppendBase64MatchesEncodingBase64(t *testing.T) {
	for n := 0; n < 70; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		assert.Equal(t, base64.StdEncoding.EncodeToString(b), string(appendBase64(nil, b)), "%d bytes", n)
		assert.Equal(t, `"body":"`+base64.StdEncoding.EncodeToString(b), string(appendBase64([]byte(`"body":"`), b)), "%d bytes after a prefix", n)
	}
}

func TestAppendJSONStringRoundTripsThroughEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uo\te`, "ctl\x00\x01\x1f\n\t", "ü€𝄞", "bad\xff\xfeutf8", "\u2028"} {
		var got string
		require.NoError(t, json.Unmarshal(appendJSONString(nil, s), &got), "%q", s)
		want := strings.ToValidUTF8(s, "\ufffd")
		if strings.Contains(s, "\xff\xfe") {
			want = "bad\ufffd\ufffdutf8"
		}
		assert.Equal(t, want, got)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00", "\xff", "€"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, enc, err)
		}
		var round []byte
		round, _ = json.Marshal(got)
		var again string
		_ = json.Unmarshal(round, &again)
		if again != got {
			t.Fatalf("round trip changed %q", got)
		}
	})
}
