package compare

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func field(t *testing.T, r *Report, key, name string) FieldReport {
	t.Helper()
	e, ok := r.Endpoint(key)
	require.True(t, ok, "endpoint %s in %+v", key, r.Endpoints)
	for _, f := range e.Fields {
		if f.Field == name {
			return f
		}
	}
	t.Fatalf("field %s not in endpoint %s: %+v", name, key, e.Fields)
	return FieldReport{}
}

const ordersKey = "orders GET /orders/{id}"

func TestCollectorPairsRolesInAnyOrderAndComparesWhenTheyArrive(t *testing.T) {
	p := capture("r1", Primary, `{"total":1,"at":"a"}`)
	s := capture("r1", Secondary, `{"total":1,"at":"b"}`)
	c := capture("r1", Candidate, `{"total":2,"at":"c"}`)
	tests := []struct {
		name          string
		batches       [][]Capture
		candidate     int64 // primary-vs-candidate comparisons
		noise         int64 // primary-vs-secondary comparisons
		totalReported bool
	}{
		{"all three in one batch", [][]Capture{{p, s, c}}, 1, 1, true},
		{"candidate first, primary late", [][]Capture{{c}, {s}, {p}}, 1, 1, true},
		{"primary alone is not compared", [][]Capture{{p}}, 0, 0, false},
		{"candidate and secondary without primary are not compared", [][]Capture{{c, s}}, 0, 0, false},
		{"no secondary: counts for the candidate, not for noise", [][]Capture{{p}, {c}}, 1, 0, true},
		{"no candidate: counts for noise only", [][]Capture{{s, p}}, 0, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := New(Options{Now: newClock().Now})
			for _, b := range tc.batches {
				col.Add(b)
			}
			r := col.Report()
			e, ok := r.Endpoint(ordersKey)
			if tc.candidate == 0 && tc.noise == 0 {
				assert.False(t, ok, "no comparison, no endpoint")
				assert.Equal(t, int64(1), r.Totals.Retained, "the request waits for its other roles")
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.candidate, e.CandidateComparisons)
			assert.Equal(t, tc.noise, e.NoiseComparisons)
			if tc.totalReported {
				f := field(t, r, ordersKey, "body:total")
				assert.True(t, f.Reported)
				assert.Equal(t, []Example{{ID: "r1", Primary: "1", Other: "2"}}, f.Examples)
			}
			if tc.noise > 0 {
				assert.True(t, field(t, r, ordersKey, "body:at").Noise)
			}
		})
	}
}

func TestCollectorDropsDuplicateRolesAndConflictingRequests(t *testing.T) {
	col := New(Options{Now: newClock().Now})
	p := capture("r1", Primary, `{"v":1}`)
	res := col.Add([]Capture{p, p})
	assert.Equal(t, AddResult{Accepted: 1, Duplicates: 1}, res)

	other := capture("r1", Candidate, `{"v":2}`)
	other.Path = "/customers/7"
	assert.Equal(t, AddResult{Conflicts: 1}, col.Add([]Capture{other}), "one id for two requests is not compared")
	post := capture("r1", Candidate, `{"v":2}`)
	post.Method = "POST"
	assert.Equal(t, AddResult{Conflicts: 1}, col.Add([]Capture{post}))

	late := capture("r1", Primary, `{"v":3}`)
	assert.Equal(t, AddResult{Duplicates: 1}, col.Add([]Capture{late}), "a role already held replaces nothing")
	r := col.Report()
	assert.Equal(t, Totals{Captures: 1, Batches: 4, Duplicates: 2, Conflicts: 2, Retained: 1}, r.Totals)
	assert.Empty(t, r.Endpoints)
}

func TestCollectorLearnsNoiseAndReportsOnlyThePlantedField(t *testing.T) {
	col := New(Options{Now: newClock().Now, NoiseMargin: DefaultNoiseMargin})
	col.Add(plantedTraffic(300, 1))
	r := col.Report()
	e, ok := r.Endpoint(ordersKey)
	require.True(t, ok)
	assert.Equal(t, int64(300), e.CandidateComparisons)
	assert.Equal(t, int64(300), e.NoiseComparisons)

	var reported, noise []string
	for _, f := range e.Fields {
		if f.Reported {
			reported = append(reported, f.Field)
		}
		if f.Noise {
			noise = append(noise, f.Field)
		}
	}
	assert.Equal(t, []string{"body:total"}, reported)
	assert.ElementsMatch(t, []string{"body:at", "body:trace"}, noise)
	total := field(t, r, ordersKey, "body:total")
	assert.Equal(t, FieldReport{Field: "body:total", CandidateDiffs: 300, CandidateRate: 1, Reported: true}, withoutExamples(total))
	assert.Len(t, total.Examples, DefaultExamples)
	assert.Equal(t, Example{ID: "req-1-299", Primary: "10.5", Other: "10.50001"}, total.Examples[len(total.Examples)-1], "the latest examples are kept")
	assert.Equal(t, 1.0, e.DiffRate)
	assert.Equal(t, 1, e.ReportedFields)
}

func withoutExamples(f FieldReport) FieldReport {
	f.Examples, f.NoiseExamples = nil, nil
	return f
}

func TestCollectorReportsAFieldOnlyBeyondItsNoiseRateAndTheMargin(t *testing.T) {
	// flaky differs between primary and secondary in 2 of 10 requests; the candidate changes
	// it in 3 of 10 (within a 0.2 margin) and rounds in 10 of 10.
	build := func(margin float64) *Report {
		col := New(Options{Now: newClock().Now, NoiseMargin: margin})
		for i := range 10 {
			id := fmt.Sprint("r", i)
			flakyS, flakyC := 0, 0
			if i < 2 {
				flakyS = 1
			}
			if i < 3 {
				flakyC = 1
			}
			col.Add([]Capture{
				capture(id, Primary, `{"flaky":0,"round":1}`),
				capture(id, Secondary, fmt.Sprintf(`{"flaky":%d,"round":1}`, flakyS)),
				capture(id, Candidate, fmt.Sprintf(`{"flaky":%d,"round":2}`, flakyC)),
			})
		}
		return col.Report()
	}
	r := build(0.2)
	flaky := field(t, r, ordersKey, "body:flaky")
	assert.InDelta(t, 0.3, flaky.CandidateRate, 1e-9)
	assert.InDelta(t, 0.2, flaky.NoiseRate, 1e-9)
	assert.False(t, flaky.Reported, "0.3 is not above 0.2 + 0.2")
	assert.True(t, flaky.Noise)
	assert.True(t, field(t, r, ordersKey, "body:round").Reported)
	assert.True(t, field(t, build(0), ordersKey, "body:flaky").Reported, "without a margin, more often is enough")
}

func TestCollectorRetentionByCountEvictsTheOldest(t *testing.T) {
	col := New(Options{MaxPairs: 3, Now: newClock().Now})
	for i := range 5 {
		col.Add([]Capture{capture(fmt.Sprint("r", i), Primary, `{}`)})
	}
	assert.Equal(t, 3, col.Retained())
	_, ok := col.Pair("r1")
	assert.False(t, ok, "r0 and r1 were evicted first")
	_, ok = col.Pair("r4")
	assert.True(t, ok)
	// r1's candidate arrives after r1 was evicted: it cannot be paired any more.
	col.Add([]Capture{capture("r1", Candidate, `{}`)})
	r := col.Report()
	assert.Empty(t, r.Endpoints)
	assert.Equal(t, int64(3), r.Totals.Evicted)
	assert.Equal(t, int64(3), r.Totals.EvictedUnpaired)
	assert.Equal(t, int64(3), r.Totals.Retained)
}

func TestCollectorRetentionByAgeUsesTheInjectedClock(t *testing.T) {
	clk := newClock()
	col := New(Options{MaxAge: time.Minute, Now: clk.Now})
	col.Add([]Capture{capture("old", Primary, `{"v":1}`)})
	clk.Advance(30 * time.Second)
	col.Add([]Capture{capture("young", Primary, `{"v":1}`)})
	clk.Advance(31 * time.Second)
	assert.Equal(t, 1, col.Retained(), "old is 61 s old, young 31 s")
	col.Add([]Capture{capture("old", Candidate, `{"v":2}`), capture("young", Candidate, `{"v":2}`)})
	r := col.Report()
	e, ok := r.Endpoint(ordersKey)
	require.True(t, ok)
	assert.Equal(t, int64(1), e.CandidateComparisons, "only young is still pairable")
	assert.Equal(t, int64(1), r.Totals.EvictedUnpaired)
	clk.Advance(2 * time.Minute)
	assert.Equal(t, 0, col.Retained())
	assert.Equal(t, int64(1), col.Report().Endpoints[0].CandidateComparisons, "statistics outlive retention")
}

func TestCollectorBoundsEndpointsAndFields(t *testing.T) {
	col := New(Options{MaxEndpoints: 1, MaxFields: 2, Now: newClock().Now})
	col.Add([]Capture{capture("r1", Primary, `{"a":1,"b":1,"c":1}`), capture("r1", Candidate, `{"a":2,"b":2,"c":2}`)})
	other := func(role Role) Capture {
		c := capture("r2", role, `{"a":1}`)
		c.Path = "/customers/1"
		return c
	}
	col.Add([]Capture{other(Primary), other(Candidate)})
	r := col.Report()
	require.Len(t, r.Endpoints, 1)
	assert.Equal(t, int64(1), r.Totals.EndpointsDropped)
	assert.Len(t, r.Endpoints[0].Fields, 2)
	assert.Equal(t, int64(1), r.Endpoints[0].FieldsDropped)
}

func TestCollectorPairShowsEachRoleAndTheDifferences(t *testing.T) {
	col := New(Options{Now: newClock().Now, NoiseMargin: 0})
	bin := capture("r1", Secondary, "")
	bin.Body, bin.BodyBytes = []byte{0xff, 0x00}, 2
	col.Add([]Capture{capture("r1", Primary, `{"total":1}`), capture("r1", Candidate, `{"total":2}`), bin})
	v, ok := col.Pair("r1")
	require.True(t, ok)
	assert.Equal(t, ordersKey, v.Endpoint)
	assert.Equal(t, `{"total":1}`, v.Captures["primary"].Body)
	assert.Equal(t, "text", v.Captures["candidate"].BodyEncoding)
	assert.Equal(t, CaptureView{Service: "orders", Method: "GET", Path: "/orders/42?verbose=1", Status: 200,
		Headers: map[string]string{"content-type": "application/json"}, Body: "/wA=", BodyEncoding: "base64", BodyBytes: 2}, v.Captures["secondary"])
	assert.Equal(t, []Difference{{"body:total", "1", "2"}}, v.CandidateDiffs)
	assert.Equal(t, []string{"body:total"}, v.Reported)
	require.Len(t, v.NoiseDiffs, 1)
	assert.Equal(t, "body", v.NoiseDiffs[0].Field)
	_, ok = col.Pair("nope")
	assert.False(t, ok)
}

func TestCollectorHammerConcurrentAddReportAndPair(t *testing.T) {
	col := New(Options{MaxPairs: 50, Now: newClock().Now})
	caps := plantedTraffic(200, 11)
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := w; i < len(caps); i += 4 {
				col.Add(caps[i : i+1])
				col.Report()
				col.Pair(caps[i].ID)
			}
		}()
	}
	for range 4 {
		<-done
	}
	r := col.Report()
	assert.Equal(t, int64(600), r.Totals.Captures+r.Totals.Duplicates+r.Totals.Conflicts)
	assert.LessOrEqual(t, r.Totals.Retained, int64(50))
	require.NoError(t, r.Validate())
}
