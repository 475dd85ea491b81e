package shadowtag

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shardScenario is a run of exchanges with compare sharded: every batch must hold captures of one shard only
// and carry that shard's :authority, and every capture must be sent exactly once.
type shardScenario struct {
	name      string
	shards    int
	batchSize int
	requests  int
	flushes   int
	// minCalls is the fewest batches the run must take (captures of different shards never share one).
	minCalls int
}

var shardScenarios = []shardScenario{
	{name: "one shard keeps the configured authority and fills whole batches", shards: 1, batchSize: 8, requests: 20, flushes: 3, minCalls: 3},
	{name: "two shards split the captures by id hash", shards: 2, batchSize: 8, requests: 20, flushes: 3, minCalls: 3},
	{name: "eight shards: partial batches of each shard are sent on the tick, shard by shard", shards: 8, batchSize: 8, requests: 30, flushes: 8, minCalls: 8},
	{name: "full batches of a shard go out before the tick", shards: 3, batchSize: 2, requests: 7, flushes: 3, minCalls: 4},
}

func shardConfig(shards, batchSize int) string {
	c := strings.Replace(cfgCompare, `"bodyLimit"`, `"shards":`+strconv.Itoa(shards)+`,"bodyLimit"`, 1)
	return strings.Replace(c, `"batchSize":8`, `"batchSize":`+strconv.Itoa(batchSize), 1)
}

func TestCaptureBatchesAreGroupedByShard(t *testing.T) {
	for _, sc := range shardScenarios {
		t.Run(sc.name, func(t *testing.T) {
			config := shardConfig(sc.shards, sc.batchSize)
			cfg, err := ParseConfig([]byte(config))
			require.NoError(t, err)
			bothLegs(t, config, collectorOK, func(t *testing.T, h captureHost) {
				want := map[string]int{} // id -> shard
				perShard := map[int]int{}
				for i := 0; i < sc.requests; i++ {
					id := fakeUUID(i)
					want[id] = cfg.Compare.ShardOf(id)
					perShard[want[id]]++
					out := h.run(exchange{req: live(id), resp: okJSON(), respBody: chunks(`{}`)})
					for _, a := range out.actions {
						assert.Equal(t, "continue", a, "no request is held")
					}
				}
				if sc.shards > 1 {
					assert.Greater(t, len(perShard), 1, "the ids spread over shards")
				}
				for i := 0; i < sc.flushes || i < 20 && h.counter(CompareSent) < int64(sc.requests); i++ {
					h.flush() // a batch sent from a collector's answer is answered on the next flush
				}
				calls := h.calls()
				if _, native := h.(*nativeCaptureHost); !native {
					assert.GreaterOrEqual(t, len(calls), sc.minCalls)
				}
				seen := map[string]bool{}
				for i, c := range calls {
					got := decodeBatch(t, c.body)
					require.NotEmpty(t, got, "call %d", i)
					assert.LessOrEqual(t, len(got), sc.batchSize, "call %d", i)
					shard := want[got[0].ID]
					wantAuthority := "collector.laneway:8080"
					if sc.shards > 1 {
						wantAuthority = strconv.Itoa(shard) + ".collector.laneway:8080"
					}
					assert.Equal(t, []string{wantAuthority}, headerValues(c.headers, ":authority"), "call %d", i)
					for _, cp := range got {
						assert.Equal(t, shard, want[cp.ID], "call %d mixes shards: %s", i, cp.ID)
						assert.False(t, seen[cp.ID], "%s sent twice", cp.ID)
						seen[cp.ID] = true
					}
				}
				assert.Zero(t, h.counter(CompareDropped), "nothing dropped")
				if _, native := h.(*nativeCaptureHost); native {
					// proxytest numbers a callout by its count of unanswered callouts, so a batch sent from a
					// collector's answer while another is outstanding reuses a live id and its answer is lost:
					// delivery of every capture is the Wasm legs' to show (testenv numbers calls like Envoy).
					assert.NotEmpty(t, seen)
					return
				}
				assert.Zero(t, h.counter(CompareFailed), "nothing failed")
				assert.Len(t, seen, sc.requests, "every capture is sent")
				assert.Equal(t, int64(sc.requests), h.counter(CompareSent))
			})
		})
	}
}

// The shard is the upper half of the sampling hash modulo shards: pinned values, independent of sampling,
// and spread evenly over UUIDs.
func TestShardOfIsTheUpperFNV1aHalfModuloShards(t *testing.T) {
	cc := CompareConfig{Shards: 8, Authority: "laneway-compare.shop:8080"}
	id := "7f3c1a2e-5b1d-4c2e-9a6f-0d8e4b2c1a01"
	assert.Equal(t, int((FNV1a64(id)>>32)%8), cc.ShardOf(id))
	assert.Equal(t, "5.laneway-compare.shop:8080", cc.ShardAuthority(5))
	one := CompareConfig{Shards: 1, Authority: "c:80"}
	assert.Equal(t, 0, one.ShardOf(id))
	assert.Equal(t, "c:80", one.ShardAuthority(0))

	// At a 1% sample rate the sampled ids use every shard about equally.
	sampled := CompareConfig{Sample: 10_000, Shards: 16}
	counts := make([]int, 16)
	total := 0
	for i := 0; i < 1_000_000 && total < 3200; i++ {
		if u := fakeUUID(i); sampled.Sampled(u) {
			counts[sampled.ShardOf(u)]++
			total++
		}
	}
	require.Equal(t, 3200, total)
	for s, n := range counts {
		assert.InDelta(t, 200, n, 70, "shard %d", s)
	}
}

func TestShardsConfig(t *testing.T) {
	base := `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"%s"},"shards":%s}}`
	for _, tc := range []struct{ name, authority, shards, err string }{
		{"shards 0", "collector:8080", "0", `field "compare.shards"`},
		{"shards too many", "collector:8080", "65", "from 1 to 64"},
		{"shards as a string", "collector:8080", `"4"`, `field "compare.shards"`},
		{"an IPv4 authority with shards", "10.0.0.1:8080", "4", "a DNS name when shards > 1"},
		{"an IPv6 authority with shards", "[fd00::1]:8080", "4", "a DNS name when shards > 1"},
		{"an IP authority with one shard", "10.0.0.1:8080", "1", ""},
		{"a DNS authority with shards", "laneway-compare.shop:8080", "64", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(fmtShard(base, tc.authority, tc.shards)))
			if tc.err == "" {
				require.NoError(t, err)
				assert.Contains(t, c.Summary(), "shards="+tc.shards)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func fmtShard(base, authority, shards string) string {
	return strings.Replace(strings.Replace(base, "%s", authority, 1), "%s", shards, 1)
}
