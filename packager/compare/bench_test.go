package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchBatches encodes n batches of perBatch/3 requests in all three roles (distinct ids).
func benchBatches(b *testing.B, n, requestsPerBatch int, pad int) [][]byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([][]byte, n)
	for i := range out {
		var caps []Capture
		for j := range requestsPerBatch {
			id := fmt.Sprintf("%08x-%d-%d", rng.Uint32(), i, j)
			for _, r := range []Role{Primary, Secondary, Candidate} {
				body := orderBody(rng, "10.5")
				if pad > 0 {
					body = strings.Replace(body, `"currency"`, `"note":"`+strings.Repeat("x", pad)+`","currency"`, 1)
				}
				caps = append(caps, capture(id, r, body))
			}
		}
		enc, err := EncodeBatch(caps)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = enc
	}
	return out
}

// plainCapture is the wire format decoded with no validation: the baseline.
type plainCapture struct {
	ID, Role, Service, Method, Path string
	Status                          int
	Headers                         map[string]string
	Body                            []byte
	BodyBytes                       int64
	Truncated                       bool
	TS                              int64
}

// BenchmarkCollectorCapturesPerSecond measures one replica decoding, validating, pairing and
// comparing captures (batches of 99: 33 requests in three roles, ~200-byte JSON bodies), as
// captures/s and as a ratio to plain json.Unmarshal of the same batches (x-json-decode).
func BenchmarkCollectorCapturesPerSecond(b *testing.B) {
	const nBatches, perBatch = 200, 33
	batches := benchBatches(b, nBatches, perBatch, 0)
	// Baseline, same run: plain JSON decode of the same bytes.
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var v struct{ Captures []plainCapture }
		if err := json.Unmarshal(batches[i%nBatches], &v); err != nil {
			b.Fatal(err)
		}
	}
	base := time.Since(start)

	col := New(Options{MaxPairs: 2000})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%nBatches == 0 && i > 0 { // ids repeat from here: start a fresh collector
			b.StopTimer()
			col = New(Options{MaxPairs: 2000})
			b.StartTimer()
		}
		caps, err := DecodeBatch(bytes.NewReader(batches[i%nBatches]))
		if err != nil {
			b.Fatal(err)
		}
		if res := col.Add(caps); res.Accepted != 3*perBatch {
			b.Fatalf("accepted %d of %d", res.Accepted, 3*perBatch)
		}
	}
	b.StopTimer()
	el := b.Elapsed()
	b.ReportMetric(float64(b.N*3*perBatch)/el.Seconds(), "captures/s")
	b.ReportMetric(float64(el)/float64(base), "x-json-decode")
}

// BenchmarkRetainedPairMemory measures the heap a retained request (three captures) holds, in
// bytes/pair, and as a ratio to the body bytes it carries (x-body).
func BenchmarkRetainedPairMemory(b *testing.B) {
	for _, pad := range []int{0, 4000} {
		b.Run(fmt.Sprintf("body=%dB", 200+pad), func(b *testing.B) {
			const pairs = 3000
			batches := benchBatches(b, pairs/30, 30, pad)
			var bodyBytes int64
			for _, raw := range batches {
				caps, err := DecodeBatch(bytes.NewReader(raw))
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range caps {
					bodyBytes += int64(len(c.Body))
				}
			}
			var perPair float64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				// Decode inside the measurement and keep nothing but the collector: what is
				// left after GC is what retention holds.
				col := New(Options{MaxPairs: pairs})
				for _, raw := range batches {
					caps, err := DecodeBatch(bytes.NewReader(raw))
					if err != nil {
						b.Fatal(err)
					}
					col.Add(caps)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				if col.Retained() != pairs {
					b.Fatalf("retained %d, want %d", col.Retained(), pairs)
				}
				perPair = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / pairs
				runtime.KeepAlive(col)
			}
			b.ReportMetric(perPair, "bytes/pair")
			b.ReportMetric(perPair/(float64(bodyBytes)/pairs), "x-body")
		})
	}
}
