package shadowtag

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In the Wasm build an unsampled stream shares the plugin's context and a sampled one switches to a context
// of its own at its request headers (proxyhost.ReplaceStreamContext). Streams open at the same time, sampled
// and not, with their callbacks interleaved, must each report exactly their own response, twice over (the
// second round runs on the contexts the first round released), under both Envoy generations.
func TestWasmInterleavedSampledAndUnsampledStreamsCaptureTheirOwnResponses(t *testing.T) {
	config := strings.Replace(cfgCompare, `"bodyLimit":16`, `"bodyLimit":64,"sampleRate":0.5`, 1)
	cfg, err := ParseConfig([]byte(config))
	require.NoError(t, err)
	var sampled, unsampled []string
	for i := 0; len(sampled) < 3 || len(unsampled) < 3; i++ {
		id := "inter-" + strconv.Itoa(i)
		if cfg.Compare.Sampled(id) {
			sampled = append(sampled, id)
		} else {
			unsampled = append(unsampled, id)
		}
	}
	rt := testenvtest.Runtime(t)
	for _, profile := range []testenv.Profile{testenv.Envoy133, testenv.Envoy139} {
		t.Run(profileName(profile), func(t *testing.T) {
			h := newWasmCaptureHost(t, rt, profile, config, collectorOK)
			for round := 0; round < 2; round++ {
				// Order of opening: sampled, unsampled, sampled, unsampled, sampled, unsampled.
				ids := []string{sampled[0], unsampled[0], sampled[1], unsampled[1], sampled[2], unsampled[2]}
				streams := make([]*testenv.HTTPStream, len(ids))
				for i, id := range ids {
					streams[i] = h.vm.NewHTTPStream()
					path := "/orders/" + id
					req := testenv.RequestHeaders("GET", "orders:8080", path, RequestIDHeader, id)
					require.Equal(t, testenv.ActionContinue, streams[i].RequestHeaders(req, true), id)
				}
				// Responses in the reverse order, each body in two chunks interleaved with the others'.
				for i := len(ids) - 1; i >= 0; i-- {
					resp := testenv.Headers{{Key: ":status", Value: strconv.Itoa(200 + i)}, {Key: "content-type", Value: "text/plain"}, {Key: "x-version", Value: ids[i]}}
					require.Equal(t, testenv.ActionContinue, streams[i].ResponseHeaders(resp, false), ids[i])
				}
				for i := range ids {
					require.Equal(t, testenv.ActionContinue, streams[i].ResponseBody([]byte("first half of "+ids[i]+";"), false), ids[i])
				}
				for i := len(ids) - 1; i >= 0; i-- {
					require.Equal(t, testenv.ActionContinue, streams[i].ResponseBody([]byte("second half"), true), ids[i])
					streams[i].Complete()
				}
				require.NoError(t, h.vm.Err())
			}
			h.vm.AdvanceClock(100 * time.Millisecond)
			require.NoError(t, h.vm.Err())
			got := map[string]int{}
			for _, c := range h.calls() {
				for _, cp := range decodeBatch(t, c.body) {
					got[cp.ID]++
					i := map[string]int{sampled[0]: 0, sampled[1]: 2, sampled[2]: 4}[cp.ID]
					body := "first half of " + cp.ID + ";second half"
					assert.Equal(t, wireCapture{ID: cp.ID, Role: "candidate", Service: "orders", Method: "GET", Path: "/orders/" + cp.ID,
						Status: 200 + i, Headers: map[string]string{"content-type": "text/plain", "x-version": cp.ID},
						Body: base64.StdEncoding.EncodeToString([]byte(body)), BodyBytes: len(body), TS: cp.TS}, cp)
				}
			}
			assert.Equal(t, map[string]int{sampled[0]: 2, sampled[1]: 2, sampled[2]: 2}, got, "each sampled stream once per round, no unsampled one")
			assert.Equal(t, int64(6), h.counter(CompareSampled))
			assert.Equal(t, int64(6), h.counter(CompareSent))
			assert.Zero(t, h.counter(CompareIncomplete))
		})
	}
}

// A sampled stream that is reset before its response ends releases the context it switched to: it counts
// as incomplete, and the next sampled stream on the released context captures only its own response.
func TestWasmResetSampledStreamReleasesItsContext(t *testing.T) {
	rt := testenvtest.Runtime(t)
	h := newWasmCaptureHost(t, rt, testenv.Envoy139, strings.Replace(cfgCompare, `"bodyLimit":16`, `"bodyLimit":64`, 1), collectorOK)
	s := h.vm.NewHTTPStream()
	s.RequestHeaders(testenv.RequestHeaders("GET", "orders:8080", "/orders/1", RequestIDHeader, "reset-1"), true)
	s.ResponseHeaders(testenv.Headers{{Key: ":status", Value: "200"}}, false)
	s.ResponseBody([]byte("partial"), false)
	s.Complete() // deleted before the response ended
	require.NoError(t, h.vm.Err())
	assert.Equal(t, int64(1), h.counter(CompareIncomplete))
	out := h.run(exchange{req: live("after-reset"), resp: okJSON(), respBody: chunks(`{"ok":1}`)})
	assert.Equal(t, []string{"continue", "continue"}, out.actions)
	h.flush()
	var caps []wireCapture
	for _, c := range h.calls() {
		caps = append(caps, decodeBatch(t, c.body)...)
	}
	require.Len(t, caps, 1)
	assert.Equal(t, "after-reset", caps[0].ID)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte(`{"ok":1}`)), caps[0].Body, "nothing of the reset stream's body")
	assert.Equal(t, int64(1), h.counter(CompareIncomplete))
}

// The flush tick runs only while captures wait: none after start-up or unsampled requests (an idle worker's
// VM is never woken for compare), the configured period from the first capture queued, none again once a
// tick has sent everything. A capture queued later starts it again.
func TestWasmFlushTickRunsOnlyWhileCapturesWait(t *testing.T) {
	rt := testenvtest.Runtime(t)
	for _, profile := range []testenv.Profile{testenv.Envoy133, testenv.Envoy139} {
		t.Run(profileName(profile), func(t *testing.T) {
			config := strings.Replace(cfgCompare, `"bodyLimit":16`, `"bodyLimit":16,"sampleRate":0.5`, 1)
			h := newWasmCaptureHost(t, rt, profile, config, collectorOK)
			assert.Zero(t, h.vm.TickPeriod(), "no tick after start-up")
			h.run(exchange{req: live(idUnsampled), resp: okJSON(), respBody: chunks(`{}`)})
			assert.Zero(t, h.vm.TickPeriod(), "no tick after an unsampled request")
			for round := 1; round <= 2; round++ {
				h.run(exchange{req: live(idSampled), resp: okJSON(), respBody: chunks(`{}`)})
				assert.Equal(t, 100*time.Millisecond, h.vm.TickPeriod(), "round %d: the flush period once a capture waits", round)
				h.flush()
				assert.Len(t, h.calls(), round, "round %d: the tick sent the capture", round)
				assert.Zero(t, h.vm.TickPeriod(), "round %d: no tick once nothing waits", round)
			}
			assert.Equal(t, int64(2), h.counter(CompareSent))
		})
	}
}

// A full batch does not wait for the flush period: the capture that fills it sets a tick due at once (the stream
// itself does not send), the root context sends the batch on it, and the flush period comes back for what is
// left. At a request rate that fills the queue within one flush period, captures were dropped before.
func TestWasmFullBatchIsSentOnTheNextTick(t *testing.T) {
	rt := testenvtest.Runtime(t)
	for _, profile := range []testenv.Profile{testenv.Envoy133, testenv.Envoy139} {
		t.Run(profileName(profile), func(t *testing.T) {
			h := newWasmCaptureHost(t, rt, profile, cfgCompare, collectorOK) // batchSize 8, flushMs 100
			for i := 0; i < 7; i++ {
				h.run(exchange{req: live("u-" + strconv.Itoa(i)), resp: okJSON(), respBody: chunks(`{}`)})
			}
			assert.Equal(t, 100*time.Millisecond, h.vm.TickPeriod(), "a partial batch waits for the flush period")
			h.run(exchange{req: live("u-7"), resp: okJSON(), respBody: chunks(`{}`)})
			assert.Equal(t, time.Millisecond, h.vm.TickPeriod(), "the eighth capture fills the batch: a tick at once")
			assert.Empty(t, h.calls(), "nothing is sent from a stream")
			h.run(exchange{req: live("u-8"), resp: okJSON(), respBody: chunks(`{}`)})
			h.vm.AdvanceClock(time.Millisecond)
			require.Len(t, h.calls(), 2, "the tick sent the full batch and what came after it")
			assert.Len(t, decodeBatch(t, h.calls()[0].body), 8)
			assert.Zero(t, h.vm.TickPeriod(), "nothing waits: no tick")
			for i := 9; i < 12; i++ {
				h.run(exchange{req: live("u-" + strconv.Itoa(i)), resp: okJSON(), respBody: chunks(`{}`)})
			}
			assert.Equal(t, 100*time.Millisecond, h.vm.TickPeriod(), "the flush period again for a partial batch")
			assert.Equal(t, int64(9), h.counter(CompareSent))
			assert.Zero(t, h.counter(CompareDropped))
		})
	}
}
