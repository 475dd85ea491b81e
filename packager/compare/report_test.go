package compare

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeAddsCountsAndRecomputesRates(t *testing.T) {
	// Replica a saw 4 requests in which the candidate changed flag in 1, replica b saw 6 with
	// flag changed in 5: merged, 6 of 10 (0.6), not the mean of 0.25 and 0.83.
	a := New(Options{Now: newClock().Now})
	b := New(Options{Now: newClock().Now})
	add := func(c *Collector, id string, changed bool) {
		cand := `{"flag":true}`
		if changed {
			cand = `{"flag":false}`
		}
		c.Add([]Capture{capture(id, Primary, `{"flag":true}`), capture(id, Candidate, cand), capture(id, Secondary, `{"flag":true}`)})
	}
	for i, ch := range []bool{true, false, false, false} {
		add(a, "a"+string(rune('0'+i)), ch)
	}
	for i, ch := range []bool{true, true, true, true, true, false} {
		add(b, "b"+string(rune('0'+i)), ch)
	}
	m, err := Merge(nil, a.Report(), b.Report())
	require.NoError(t, err)
	assert.Equal(t, 2, m.Replicas)
	assert.Equal(t, int64(30), m.Totals.Captures)
	assert.Equal(t, int64(10), m.Totals.Retained, "requests retained, across replicas")
	e, ok := m.Endpoint(ordersKey)
	require.True(t, ok)
	assert.Equal(t, int64(10), e.CandidateComparisons)
	assert.Equal(t, int64(10), e.NoiseComparisons)
	f := field(t, m, ordersKey, "body:flag")
	assert.Equal(t, int64(6), f.CandidateDiffs)
	assert.InDelta(t, 0.6, f.CandidateRate, 1e-9)
	assert.True(t, f.Reported)
	assert.Len(t, f.Examples, DefaultExamples, "examples pooled up to the setting")
	require.NoError(t, m.Validate())

	again, err := Merge(nil, m, a.Report())
	require.NoError(t, err)
	assert.Equal(t, 3, again.Replicas, "a merged report counts its replicas")
}

func TestMergeRefusesReplicasWithDifferentMarginsUnlessOneIsChosen(t *testing.T) {
	a := New(Options{NoiseMargin: 0.05}).Report()
	b := New(Options{NoiseMargin: 0.1}).Report()
	_, err := Merge(nil, a, b)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "noise margin 0.1")
	assert.Contains(t, err.Error(), "--noise-margin")
	m := 0.1
	r, err := Merge(&m, a, b)
	require.NoError(t, err)
	assert.Equal(t, 0.1, r.Settings.NoiseMargin)
	_, err = Merge(nil)
	assert.Error(t, err)
}

func TestValidateRefusesInconsistentReports(t *testing.T) {
	good := func() *Report {
		c := New(Options{})
		c.Add([]Capture{capture("r", Primary, `{"a":1}`), capture("r", Candidate, `{"a":2}`)})
		return c.Report()
	}
	require.NoError(t, good().Validate())
	tests := []struct {
		name   string
		mutate func(r *Report)
		inMsg  string
	}{
		{"a negative total", func(r *Report) { r.Totals.Captures = -1 }, "totals.captures"},
		{"a margin of 1", func(r *Report) { r.Settings.NoiseMargin = 1 }, "noiseMargin"},
		{"a key that does not match", func(r *Report) { r.Endpoints[0].Key = "x GET /y" }, "key does not match"},
		{"more differing than comparisons", func(r *Report) { r.Endpoints[0].CandidateDiffering = 5 }, "inconsistent comparison counts"},
		{"a field beyond its endpoint", func(r *Report) { r.Endpoints[0].Fields[0].CandidateDiffs = 2 }, `field "body:a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.mutate(r)
			err := r.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.inMsg)
		})
	}
}
