package demo

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/testenvtest"
)

func demoModules(t *testing.T) map[string]string {
	mods := map[string]string{}
	for _, f := range Filters {
		testenvtest.DistModule(t, f) // fails with a `make build` hint when missing
		mods[f] = testenvtest.DistPath(t, f)
	}
	return mods
}

// The compare run alone, end to end with real HTTP services, the three shadowtag-compare listeners and the
// collector: with the planted change the report names total and learns the timestamp and the random id as
// noise; with a candidate that answers like the primary, only the compare promise fails.
func TestDemoCompareReportNamesThePlantedFieldNotTheNoise(t *testing.T) {
	mods := demoModules(t)
	tests := []struct {
		name     string
		planted  bool
		reported []string
		held     bool
	}{
		{"candidate with the planted change", true, []string{"body:total"}, true},
		{"candidate without the planted change", false, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultCompare
			sc.Planted = tc.planted
			start := time.Now()
			rep, err := Run(context.Background(), Options{Modules: mods, Requests: []Request{}, Scenarios: []Scenario{}, Compare: &sc})
			require.NoError(t, err)
			t.Logf("compare run with %d requests: %v (mesh start included)", sc.Requests, time.Since(start).Round(time.Millisecond))
			require.NotNil(t, rep.Compare)
			c := *rep.Compare
			assert.Equal(t, sc.Requests, c.LivePrimary, "every live answer is the primary's")
			assert.Equal(t, int64(3*sc.Requests), c.CapturesSent, "every role captured every request")
			assert.Zero(t, c.CapturesFailed+c.CapturesLost)
			assert.Equal(t, int64(3*sc.Requests), c.Captures)
			assert.Equal(t, "orders GET /orders/{id}", c.Endpoint)
			assert.Equal(t, int64(sc.Requests), c.CandidateComparisons)
			assert.Equal(t, int64(sc.Requests), c.NoiseComparisons)
			assert.Equal(t, tc.reported, c.reported())
			for _, n := range NoisyFields {
				f, ok := c.field(bodyField(n))
				require.True(t, ok, "%s differs and is counted", n)
				assert.True(t, f.Noise, n)
				assert.False(t, f.Reported, n)
			}
			if tc.planted {
				f, _ := c.field("body:total")
				assert.InDelta(t, 1.0, f.CandidateRate, 0.001)
				assert.Zero(t, f.NoiseRate)
			}
			var failed []string
			for _, v := range rep.Verdicts {
				if v.Outcome == Failed {
					failed = append(failed, v.Promise)
				}
			}
			const promise = "the compare report names the planted field and not the noisy ones"
			if tc.held {
				assert.Empty(t, failed)
			} else {
				assert.Equal(t, []string{promise}, failed, "exactly the compare promise fails")
			}
			var table bytes.Buffer
			require.NoError(t, rep.WriteTable(&table))
			assert.Contains(t, table.String(), "COMPARE: 300 GETs to orders (endpoint orders GET /orders/{id})")
			assert.Regexp(t, `body:generatedAt\s+100%\s+100%\s+noise`, table.String())
			if tc.planted {
				assert.Regexp(t, `body:total\s+100%\s+0%\s+reported`, table.String())
				assert.Contains(t, table.String(), " 1. compare: 300 GETs to orders;")
				assert.Contains(t, table.String(), "it reports body:total (candidate 100%, secondary 0%), and not body:generatedAt, body:requestId, which differ between the primary and the secondary too (noise).")
				assert.Contains(t, table.String(), "  ok   "+promise+"\n       scenario 1: 300 requests, 900 captures at the collector")
			} else {
				assert.Contains(t, table.String(), "  FAIL "+promise+"\n       scenario 1: 300 requests, 900 captures at the collector, 300 compared with the candidate and 300 with the secondary; reported none;")
			}
		})
	}
}

func TestComparePromise(t *testing.T) {
	good := func() CompareRow {
		return CompareRow{Label: "compare", Requests: 300, Captures: 900, CandidateComparisons: 300, NoiseComparisons: 300, Fields: []CompareField{
			{Field: "body:generatedAt", CandidateRate: 1, NoiseRate: 1, Noise: true},
			{Field: "body:requestId", CandidateRate: 1, NoiseRate: 1, Noise: true},
			{Field: "body:total", CandidateRate: 1, Reported: true},
		}}
	}
	tests := []struct {
		name    string
		breakIt func(*CompareRow)
		held    bool
		seen    string
	}{
		{"a correct report", func(*CompareRow) {}, true, "reported body:total; learned as noise body:generatedAt, body:requestId"},
		{"the planted field is not reported", func(c *CompareRow) { c.Fields = c.Fields[:2] }, false, "reported none;"},
		{"a noisy field is reported", func(c *CompareRow) { c.Fields[1].Reported = true }, false, "reported body:requestId, body:total; learned as noise body:generatedAt"},
		{"another field is reported too", func(c *CompareRow) {
			c.Fields = append(c.Fields, CompareField{Field: "body:currency", CandidateRate: 1, Reported: true})
		}, false, "reported body:total, body:currency"},
		{"a noisy field was never seen differing", func(c *CompareRow) { c.Fields = c.Fields[1:] }, false, "never seen differing body:generatedAt"},
		{"a noisy field is not learned as noise", func(c *CompareRow) { c.Fields[0].Noise = false }, false, "learned as noise body:requestId"},
		{"nothing was compared", func(c *CompareRow) { c.CandidateComparisons = 0 }, false, "0 compared with the candidate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.breakIt(&c)
			seen, ok := comparePromise(c)
			assert.Equal(t, tc.held, ok, seen)
			assert.Contains(t, seen, tc.seen)
		})
	}
}
