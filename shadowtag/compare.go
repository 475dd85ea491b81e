package shadowtag

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// Sampling: a request is captured when FNV-1a (64-bit) of its x-request-id, modulo one million, is below the
// sample rate in millionths. FNV-1a is fully specified and unseeded, so every role's filter (and the
// collector, or anyone checking) computes the same verdict for the same id: primary, secondary and candidate
// capture the same requests and the collector can pair them. Go's maphash is seeded per process and would
// not agree across workloads; a cryptographic hash buys nothing here and costs more. The hash is one
// multiply and one xor per byte of the id, with no allocation.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// FNV1a64 is the 64-bit FNV-1a hash of s (the sampling hash).
func FNV1a64(s string) uint64 {
	h := uint64(fnvOffset64)
	// Eight bytes per turn: in Go's Wasm code every loop turn is a jump through the function's block dispatch,
	// which costs more than the byte's xor and multiply (an unsampled request's one hash is its main cost).
	for ; len(s) >= 8; s = s[8:] {
		b := s[:8]
		h = (h ^ uint64(b[0])) * fnvPrime64
		h = (h ^ uint64(b[1])) * fnvPrime64
		h = (h ^ uint64(b[2])) * fnvPrime64
		h = (h ^ uint64(b[3])) * fnvPrime64
		h = (h ^ uint64(b[4])) * fnvPrime64
		h = (h ^ uint64(b[5])) * fnvPrime64
		h = (h ^ uint64(b[6])) * fnvPrime64
		h = (h ^ uint64(b[7])) * fnvPrime64
	}
	if len(s) >= 4 { // a UUID's 36 bytes: four turns and this, no byte loop
		b := s[:4]
		h = (h ^ uint64(b[0])) * fnvPrime64
		h = (h ^ uint64(b[1])) * fnvPrime64
		h = (h ^ uint64(b[2])) * fnvPrime64
		h = (h ^ uint64(b[3])) * fnvPrime64
		s = s[4:]
	}
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime64
	}
	return h
}

// Sampled reports whether the request with this x-request-id is captured at the configured rate.
func (c *CompareConfig) Sampled(requestID string) bool {
	switch {
	case requestID == "" || c.Sample == 0:
		return false
	case c.Sample >= sampleScale:
		return true
	}
	return FNV1a64(requestID)%sampleScale < uint64(c.Sample)
}

// Sharding: Envoy's dispatch_http_call (Context::httpCall) gives the call its own hash policy, the
// :authority header, whatever the route or DestinationRule says; a batch carries many request ids, so the
// collector's consistent hash cannot see them. Instead the filter groups captures by shard, the upper 32 bits
// of the same FNV-1a hash modulo shards (the upper half, so the shard does not follow the sampling verdict,
// which reads the hash modulo one million), and sends each shard's batches with :authority
// "<shard>.<authority>". On a collector cluster with consistent hashing (Istio DestinationRule
// consistentHash: MAGLEV or RING_HASH) every sidecar maps one :authority, and so every capture of one
// request id, whatever its role, to the same replica.

// ShardOf returns the shard of a request id: (FNV1a64(id) >> 32) mod Shards.
func (c *CompareConfig) ShardOf(requestID string) int {
	if c.Shards <= 1 {
		return 0
	}
	return int((FNV1a64(requestID) >> 32) % uint64(c.Shards))
}

// ShardAuthority returns the :authority of a shard's batches: the configured authority with one shard,
// else "<shard>.<authority>" (e.g. "3.laneway-compare.shop:8080").
func (c *CompareConfig) ShardAuthority(shard int) string {
	if c.Shards <= 1 {
		return c.Authority
	}
	return strconv.Itoa(shard) + "." + c.Authority
}

// MaxQueueBytes bounds the encoded captures one plugin holds waiting for the collector.
const MaxQueueBytes = 4 << 20

// RequestIDHeader is the pairing key Envoy sets and keeps on the mirrored copy.
const RequestIDHeader = "x-request-id"

// Compare counters: laneway_shadowtag_compare_<name>_total.
const (
	CompareSampled    = "compare_sampled"    // requests chosen for capture
	CompareSent       = "compare_sent"       // captures the collector accepted (2xx)
	CompareFailed     = "compare_failed"     // captures in a batch whose send failed (unknown cluster, reset, timeout, non-2xx)
	CompareDropped    = "compare_dropped"    // captures dropped because the queue was full (collector down or slow)
	CompareIncomplete = "compare_incomplete" // sampled streams that ended before their response did
)

// comparer is the root side of compare: it queues finished captures per shard and sends them in batches from
// the root context (on_tick, on_http_call_response), never from a stream, so no request waits for the
// collector.
type comparer struct {
	cfg     *CompareConfig
	service []byte // JSON-quoted service name
	role    []byte // JSON-quoted role

	shards      []shardQueue
	queued      int    // captures queued over all shards
	queuedBytes int    // their encoded bytes
	next        int    // the shard the next flush looks at first (round robin)
	body        []byte // request body of the send in progress (the host copies it during the call)

	inFlight int
	down     bool // the last send failed (logged once per change)
	// period is the flush tick's period in ms (0: none). The tick runs only while captures are queued: an idle
	// or unsampled workload's VM is never woken for compare (set from a stream, the period is its root
	// context's); it is urgentTickMs while a full batch waits and a send slot is free, else cfg.FlushMs.
	period uint32

	sampled, sent, failed, dropped, incomplete proxywasm.MetricCounter

	// now returns unix milliseconds (the host clock; tests may replace it).
	now func() int64
}

// shardQueue holds one shard's encoded captures and the headers of its batches.
type shardQueue struct {
	headers [][2]string
	queue   []byte // encoded captures, each followed by ','
	ends    []int  // end offset in queue of each capture
	due     bool   // a flush tick found captures here: send them even as a partial batch
}

func newComparer(cfg *CompareConfig, service string) *comparer {
	m := &comparer{cfg: cfg, now: func() int64 { return time.Now().UnixMilli() }}
	m.service = appendJSONString(nil, service)
	m.role = appendJSONString(nil, cfg.Role.String())
	m.shards = make([]shardQueue, max(cfg.Shards, 1))
	for i := range m.shards {
		m.shards[i].headers = [][2]string{
			{":method", "POST"}, {":path", cfg.Path}, {":authority", cfg.ShardAuthority(i)}, {"content-type", "application/json"},
		}
	}
	counter := func(n string) proxywasm.MetricCounter {
		return proxywasm.DefineCounterMetric(MetricPrefix + n + "_total")
	}
	m.sampled, m.sent, m.failed = counter(CompareSampled), counter(CompareSent), counter(CompareFailed)
	m.dropped, m.incomplete = counter(CompareDropped), counter(CompareIncomplete)
	return m
}

// enqueue copies one encoded capture into its shard's queue, or counts it dropped when the queues are full
// (the bounds hold over all shards).
func (m *comparer) enqueue(shard int, capture []byte) {
	if m.queued >= m.cfg.QueueLimit() || m.queuedBytes+len(capture)+1 > MaxQueueBytes {
		m.dropped.Increment(1)
		return
	}
	if m.period == 0 {
		m.setPeriod(m.cfg.FlushMs)
	}
	q := &m.shards[shard]
	q.queue = append(append(q.queue, capture...), ',')
	q.ends = append(q.ends, len(q.queue))
	m.queued++
	m.queuedBytes += len(capture) + 1
	if len(q.ends) >= m.cfg.BatchSize && m.inFlight < MaxInFlight && m.period != urgentTickMs {
		// The root context sends the full batch on a tick due at once, instead of up to flushMs later, when at
		// a high request rate the queue would have filled and dropped captures meanwhile. The stream does not
		// send it itself: building and dispatching a batch would then add to that one request's callback.
		m.setPeriod(urgentTickMs)
	}
}

// urgentTickMs is the tick period while a full batch waits for the root context to send it.
const urgentTickMs = 1

// flush sends batches while fewer than MaxInFlight sends are outstanding: full batches of any shard, and on
// the flush tick (all) whatever each shard holds, shard by shard in turn.
func (m *comparer) flush(all bool) {
	if all {
		for i := range m.shards {
			m.shards[i].due = len(m.shards[i].ends) > 0
		}
	}
	for m.inFlight < MaxInFlight {
		s := m.ready()
		if s < 0 {
			return
		}
		if !m.send(s) {
			return
		}
	}
}

// tick runs on the flush tick: it sends what is queued, then stops the tick once nothing is, or after an urgent
// tick sets the flush period back (every capture still waits at most one flush period).
func (m *comparer) tick() {
	m.flush(true)
	switch {
	case m.queued == 0:
		m.setPeriod(0)
	case m.period == urgentTickMs:
		m.setPeriod(m.cfg.FlushMs)
	}
}

// setPeriod sets the tick period (0: none). A failed start is tried again at the next capture queued.
func (m *comparer) setPeriod(ms uint32) {
	if err := proxywasm.SetTickPeriodMilliSeconds(ms); err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("shadowtag: cannot set the compare flush tick: " + err.Error())
		}
		return
	}
	m.period = ms
}

// ready returns the next shard (round robin) with a full batch or a due one, or -1.
func (m *comparer) ready() int {
	for k := range m.shards {
		i := (m.next + k) % len(m.shards)
		if q := &m.shards[i]; len(q.ends) >= m.cfg.BatchSize || q.due && len(q.ends) > 0 {
			m.next = (i + 1) % len(m.shards)
			return i
		}
	}
	return -1
}

// send dispatches one batch of shard s; false when the dispatch itself failed.
func (m *comparer) send(s int) bool {
	q := &m.shards[s]
	n := min(len(q.ends), m.cfg.BatchSize)
	end := q.ends[n-1]
	m.body = append(append(append(m.body[:0], `{"captures":[`...), q.queue[:end-1]...), `]}`...)
	// The captures leave the queue whatever the outcome: a failed batch is counted, not retried (the
	// collector pairs what it gets; retrying would hold memory exactly when the collector is in trouble).
	rest := copy(q.queue, q.queue[end:])
	q.queue = q.queue[:rest]
	k := copy(q.ends, q.ends[n:])
	q.ends = q.ends[:k]
	for i := range q.ends {
		q.ends[i] -= end
	}
	q.due = q.due && k > 0
	m.queued -= n
	m.queuedBytes -= end
	_, err := proxywasm.DispatchHttpCall(m.cfg.Cluster, q.headers, m.body, nil, m.cfg.TimeoutMs,
		func(numHeaders, _, _ int) { m.response(n, numHeaders) })
	if cap(m.body) > MaxQueueBytes/4 {
		m.body = nil // one huge batch does not pin its size
	}
	if err != nil {
		m.failed.Increment(uint64(n))
		m.setDown(true, "dispatch to cluster "+m.cfg.Cluster+" failed: "+err.Error())
		return false
	}
	m.inFlight++
	return true
}

// response handles the collector's answer to a batch of n captures.
func (m *comparer) response(n, numHeaders int) {
	m.inFlight--
	status := ""
	if numHeaders > 0 {
		if hs, err := proxywasm.GetHttpCallResponseHeaders(); err == nil {
			for _, h := range hs {
				if h[0] == ":status" {
					status = h[1]
					break
				}
			}
		}
	}
	if len(status) == 3 && status[0] == '2' {
		m.sent.Increment(uint64(n))
		m.setDown(false, "")
		m.flush(false)
		return
	}
	m.failed.Increment(uint64(n))
	if status == "" {
		m.setDown(true, "no response from cluster "+m.cfg.Cluster+" (reset, timeout or unreachable)")
	} else {
		m.setDown(true, "cluster "+m.cfg.Cluster+" answered status "+status)
	}
}

// setDown logs when the collector's state changes, never per capture.
func (m *comparer) setDown(down bool, why string) {
	if down == m.down {
		return
	}
	m.down = down
	if down {
		proxywasm.LogWarn("shadowtag: compare collector unavailable: " + why + "; captures are counted in " + MetricPrefix + "compare_failed_total and dropped")
	} else {
		proxywasm.LogInfo("shadowtag: compare collector reachable again")
	}
}

// capture is the state of one sampled exchange, kept in a stream context and reused by later streams.
type capture struct {
	on     bool   // this stream is sampled and its response has not ended
	shard  int    // the request id's shard (CompareConfig.ShardOf)
	enc    []byte // the capture's JSON so far (up to "body")
	body   []byte // the first bodyLimit response bytes
	nBytes int    // response body bytes seen
}

// maxKeptCapture bounds the memory a released stream context keeps for the next capture.
const maxKeptCapture = 2 * MaxBodyLimit

// begin starts a capture: id, role, service, method and path are copied now (the header pairs alias memory
// the next request reuses).
func (c *capture) begin(m *comparer, id, method, path string) {
	c.on, c.nBytes, c.shard = true, 0, m.cfg.ShardOf(id)
	c.body = c.body[:0]
	e := append(c.enc[:0], `{"id":`...)
	e = appendJSONString(e, id)
	e = append(append(e, `,"role":`...), m.role...)
	e = append(append(e, `,"service":`...), m.service...)
	e = appendJSONString(append(e, `,"method":`...), method)
	e = appendJSONString(append(e, `,"path":`...), path)
	c.enc = e
}

// responseHeaders records the status and the configured headers (a repeated header's values joined with ",").
func (c *capture) responseHeaders(m *comparer, pairs [][2]string) {
	status := 0
	for _, p := range pairs {
		if p[0] == ":status" {
			status, _ = strconv.Atoi(p[1])
			break
		}
	}
	e := strconv.AppendInt(append(c.enc, `,"status":`...), int64(status), 10)
	e = append(e, `,"headers":{`...)
	first := true
	for _, name := range m.cfg.Headers {
		seen := false
		for _, p := range pairs {
			if p[0] != name {
				continue
			}
			if !seen {
				if !first {
					e = append(e, ',')
				}
				e = append(appendJSONString(e, name), ':', '"')
				first, seen = false, true
			} else {
				e = append(e, ',')
			}
			e = appendJSONStringBody(e, p[1])
		}
		if seen {
			e = append(e, '"')
		}
	}
	c.enc = append(e, '}')
}

// bodyChunk records a chunk of size bytes: read only as far as the limit still needs.
func (c *capture) bodyChunk(m *comparer, size int) {
	c.nBytes += size
	want := min(size, m.cfg.BodyLimit-len(c.body))
	if want <= 0 {
		return
	}
	if b, err := proxyhost.ResponseBody(0, want); err == nil { // in Wasm aliased until the next read: copied now
		c.body = append(c.body, b[:min(len(b), want)]...)
	}
}

// finish completes the capture and hands it to the root side's queue.
func (c *capture) finish(m *comparer) {
	c.on = false
	e := append(c.enc, `,"body":"`...)
	e = appendBase64(e, c.body)
	e = strconv.AppendInt(append(e, `","bodyBytes":`...), int64(c.nBytes), 10)
	e = strconv.AppendBool(append(e, `,"truncated":`...), c.nBytes > len(c.body))
	e = strconv.AppendInt(append(e, `,"ts":`...), m.now(), 10)
	e = append(e, '}')
	m.enqueue(c.shard, e)
	c.enc, c.body = e[:0], c.body[:0]
	if cap(c.enc) > maxKeptCapture {
		c.enc = nil
	}
}

// appendJSONString appends s as a JSON string (quotes included).
func appendJSONString(dst []byte, s string) []byte {
	return append(appendJSONStringBody(append(dst, '"'), s), '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONStringBody appends s escaped for the inside of a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONStringBody(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\':
				dst = append(dst, '\\', b)
			case b < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			default:
				dst = append(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// appendBase64 appends src in standard base64 with padding (RFC 4648 §4), as encoding/base64's StdEncoding
// does (a test holds them equal); by hand because that package adds ~10 kB to the module for one encoder.
func appendBase64(dst, src []byte) []byte {
	n := len(dst)
	// One growth for the whole encoding, then indexed writes: an append per byte would check the capacity
	// for each, and the capture's body is its largest part.
	dst = append(dst, make([]byte, (len(src)+2)/3*4)...)
	out := dst[n:]
	for len(src) >= 3 && len(out) >= 4 {
		v := uint(src[0])<<16 | uint(src[1])<<8 | uint(src[2])
		out[0], out[1], out[2], out[3] = base64Alphabet[v>>18&63], base64Alphabet[v>>12&63], base64Alphabet[v>>6&63], base64Alphabet[v&63]
		src, out = src[3:], out[4:]
	}
	switch {
	case len(src) == 1 && len(out) >= 4:
		v := uint(src[0]) << 16
		out[0], out[1], out[2], out[3] = base64Alphabet[v>>18&63], base64Alphabet[v>>12&63], '=', '='
	case len(src) == 2 && len(out) >= 4:
		v := uint(src[0])<<16 | uint(src[1])<<8
		out[0], out[1], out[2], out[3] = base64Alphabet[v>>18&63], base64Alphabet[v>>12&63], base64Alphabet[v>>6&63], '='
	}
	return dst
}
