package compare

import (
	"cmp"
	"fmt"
	"slices"
)

// Report is what one collector replica, or several merged, learned. Counts are additive across
// replicas; rates and the reported flags are recomputed from the counts (see Merge).
type Report struct {
	// Replicas is how many replica reports were merged into this one (1 for a single collector).
	Replicas  int              `json:"replicas"`
	Settings  Settings         `json:"settings"`
	Totals    Totals           `json:"totals"`
	Endpoints []EndpointReport `json:"endpoints"`
}

// Settings are the report rules the collector applied.
type Settings struct {
	// NoiseMargin: a field is reported when its candidate rate exceeds its noise rate by more than this.
	NoiseMargin float64 `json:"noiseMargin"`
	// Examples is the number of example pairs kept per field.
	Examples int `json:"examples"`
}

// Totals count what the collector received and dropped.
type Totals struct {
	// Captures accepted (paired or waiting for their other roles).
	Captures int64 `json:"captures"`
	// Batches accepted and refused (a refused batch is dropped whole).
	Batches        int64 `json:"batches"`
	RefusedBatches int64 `json:"refusedBatches"`
	// Duplicates: a capture for a role the collector already held for that request id (dropped).
	Duplicates int64 `json:"duplicates"`
	// Conflicts: a capture whose method or endpoint disagrees with the request id's primary (dropped).
	Conflicts int64 `json:"conflicts"`
	// Evicted requests (by --max-pairs or --max-age); EvictedUnpaired of them never had primary and candidate.
	Evicted         int64 `json:"evicted"`
	EvictedUnpaired int64 `json:"evictedUnpaired"`
	// Retained requests held right now (a gauge; merged reports add them up).
	Retained int64 `json:"retained"`
	// EndpointsDropped: comparisons not counted because --max-endpoints was reached.
	EndpointsDropped int64 `json:"endpointsDropped"`
}

// EndpointReport is one endpoint's comparisons and fields.
type EndpointReport struct {
	Endpoint
	Key string `json:"key"`
	// CandidateComparisons: primary-vs-candidate comparisons; NoiseComparisons: primary-vs-secondary.
	CandidateComparisons int64 `json:"candidateComparisons"`
	NoiseComparisons     int64 `json:"noiseComparisons"`
	// CandidateDiffering / NoiseDiffering: comparisons in which at least one field differed.
	CandidateDiffering int64 `json:"candidateDiffering"`
	NoiseDiffering     int64 `json:"noiseDiffering"`
	// DiffRate is the highest candidate rate among the reported fields (0 when none is reported).
	DiffRate       float64 `json:"diffRate"`
	ReportedFields int     `json:"reportedFields"`
	NoiseFields    int     `json:"noiseFields"`
	// FieldsDropped: differences not counted because --max-fields was reached for this endpoint.
	FieldsDropped int64         `json:"fieldsDropped"`
	Fields        []FieldReport `json:"fields"`
}

// FieldReport is one field that differed at least once, against the candidate or as noise.
type FieldReport struct {
	Field string `json:"field"`
	// CandidateDiffs: primary-vs-candidate comparisons in which this field differed; rate over CandidateComparisons.
	CandidateDiffs int64   `json:"candidateDiffs"`
	CandidateRate  float64 `json:"candidateRate"`
	// NoiseDiffs: primary-vs-secondary comparisons in which it differed; rate over NoiseComparisons.
	NoiseDiffs int64   `json:"noiseDiffs"`
	NoiseRate  float64 `json:"noiseRate"`
	// Noise: the field differs between primary and secondary at all.
	Noise bool `json:"noise"`
	// Reported: the candidate differs more often than the noise (by more than the margin).
	Reported bool `json:"reported"`
	// Examples are primary-vs-candidate pairs; NoiseExamples primary-vs-secondary ones.
	Examples      []Example `json:"examples,omitempty"`
	NoiseExamples []Example `json:"noiseExamples,omitempty"`
}

// Example is one request in which a field differed, with the primary's value and the other's.
type Example struct {
	ID      string `json:"id"`
	Primary string `json:"primary"`
	Other   string `json:"other"`
}

// Endpoint returns the report of the endpoint with the given key.
func (r *Report) Endpoint(key string) (EndpointReport, bool) {
	for _, e := range r.Endpoints {
		if e.Key == key {
			return e, true
		}
	}
	return EndpointReport{}, false
}

// Merge adds up replica reports: counts are summed per endpoint and field, examples pooled
// (up to the largest Examples setting), and rates and reported flags recomputed from the merged
// counts. The replicas must agree on the noise margin unless margin overrides it.
func Merge(margin *float64, reports ...*Report) (*Report, error) {
	out := &Report{}
	if len(reports) == 0 {
		return nil, fmt.Errorf("merge: got no reports, expected at least one")
	}
	if margin != nil {
		out.Settings.NoiseMargin = *margin
	} else {
		out.Settings.NoiseMargin = reports[0].Settings.NoiseMargin
		for i, r := range reports[1:] {
			if r.Settings.NoiseMargin != out.Settings.NoiseMargin {
				return nil, fmt.Errorf("merge: report %d has noise margin %g, report 0 has %g; expected replicas with one setting (or choose one with --noise-margin)", i+1, r.Settings.NoiseMargin, out.Settings.NoiseMargin)
			}
		}
	}
	eps := map[string]*EndpointReport{}
	for _, r := range reports {
		out.Replicas += max(r.Replicas, 1)
		out.Settings.Examples = max(out.Settings.Examples, r.Settings.Examples)
		t, s := &out.Totals, r.Totals
		t.Captures += s.Captures
		t.Batches += s.Batches
		t.RefusedBatches += s.RefusedBatches
		t.Duplicates += s.Duplicates
		t.Conflicts += s.Conflicts
		t.Evicted += s.Evicted
		t.EvictedUnpaired += s.EvictedUnpaired
		t.Retained += s.Retained
		t.EndpointsDropped += s.EndpointsDropped
		for _, e := range r.Endpoints {
			m := eps[e.Key]
			if m == nil {
				m = &EndpointReport{Endpoint: e.Endpoint, Key: e.Key}
				eps[e.Key] = m
			}
			m.CandidateComparisons += e.CandidateComparisons
			m.NoiseComparisons += e.NoiseComparisons
			m.CandidateDiffering += e.CandidateDiffering
			m.NoiseDiffering += e.NoiseDiffering
			m.FieldsDropped += e.FieldsDropped
			for _, f := range e.Fields {
				i := slices.IndexFunc(m.Fields, func(g FieldReport) bool { return g.Field == f.Field })
				if i < 0 {
					m.Fields = append(m.Fields, FieldReport{Field: f.Field})
					i = len(m.Fields) - 1
				}
				g := &m.Fields[i]
				g.CandidateDiffs += f.CandidateDiffs
				g.NoiseDiffs += f.NoiseDiffs
				g.Examples = append(g.Examples, f.Examples...)
				g.NoiseExamples = append(g.NoiseExamples, f.NoiseExamples...)
			}
		}
	}
	for _, e := range eps {
		for i := range e.Fields {
			f := &e.Fields[i]
			f.Examples = firstDistinct(f.Examples, out.Settings.Examples)
			f.NoiseExamples = firstDistinct(f.NoiseExamples, out.Settings.Examples)
		}
		out.Endpoints = append(out.Endpoints, *e)
	}
	out.finalize()
	return out, nil
}

// Validate checks a report's counts are consistent (a report fetched from a replica is input).
func (r *Report) Validate() error {
	t := r.Totals
	for _, c := range []struct {
		name string
		v    int64
	}{{"captures", t.Captures}, {"batches", t.Batches}, {"refusedBatches", t.RefusedBatches}, {"duplicates", t.Duplicates},
		{"conflicts", t.Conflicts}, {"evicted", t.Evicted}, {"evictedUnpaired", t.EvictedUnpaired}, {"retained", t.Retained}, {"endpointsDropped", t.EndpointsDropped}} {
		if c.v < 0 {
			return fmt.Errorf("totals.%s: got %d, expected a count >= 0", c.name, c.v)
		}
	}
	if r.Settings.NoiseMargin < 0 || r.Settings.NoiseMargin >= 1 || r.Settings.Examples < 0 {
		return fmt.Errorf("settings: got noiseMargin %g and examples %d, expected 0 <= noiseMargin < 1 and examples >= 0", r.Settings.NoiseMargin, r.Settings.Examples)
	}
	for _, e := range r.Endpoints {
		if e.Key != e.Endpoint.Key() {
			return fmt.Errorf("endpoint %q: key does not match service %q, method %q, path %q", e.Key, e.Service, e.Method, e.Path)
		}
		if e.CandidateComparisons < 0 || e.NoiseComparisons < 0 || e.CandidateDiffering < 0 || e.NoiseDiffering < 0 ||
			e.CandidateDiffering > e.CandidateComparisons || e.NoiseDiffering > e.NoiseComparisons || e.FieldsDropped < 0 {
			return fmt.Errorf("endpoint %q: got inconsistent comparison counts, expected 0 <= differing <= comparisons", e.Key)
		}
		for _, f := range e.Fields {
			if f.CandidateDiffs < 0 || f.NoiseDiffs < 0 || f.CandidateDiffs > e.CandidateDiffering || f.NoiseDiffs > e.NoiseDiffering {
				return fmt.Errorf("endpoint %q field %q: got candidateDiffs %d and noiseDiffs %d, expected 0 <= each <= the endpoint's differing comparisons", e.Key, f.Field, f.CandidateDiffs, f.NoiseDiffs)
			}
		}
	}
	return nil
}

// finalize derives rates, flags and order from the counts.
func (r *Report) finalize() {
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		e.DiffRate, e.ReportedFields, e.NoiseFields = 0, 0, 0
		for j := range e.Fields {
			f := &e.Fields[j]
			f.CandidateRate = rate(f.CandidateDiffs, e.CandidateComparisons)
			f.NoiseRate = rate(f.NoiseDiffs, e.NoiseComparisons)
			f.Noise = f.NoiseDiffs > 0
			f.Reported = f.CandidateDiffs > 0 && f.CandidateRate > f.NoiseRate+r.Settings.NoiseMargin
			if f.Reported {
				e.ReportedFields++
				e.DiffRate = max(e.DiffRate, f.CandidateRate)
			}
			if f.Noise {
				e.NoiseFields++
			}
		}
		slices.SortFunc(e.Fields, func(a, b FieldReport) int {
			if a.Reported != b.Reported {
				if a.Reported {
					return -1
				}
				return 1
			}
			if c := cmp.Compare(b.CandidateRate-b.NoiseRate, a.CandidateRate-a.NoiseRate); c != 0 {
				return c
			}
			return cmp.Compare(a.Field, b.Field)
		})
	}
	slices.SortFunc(r.Endpoints, func(a, b EndpointReport) int {
		if c := cmp.Compare(b.DiffRate, a.DiffRate); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if r.Endpoints == nil {
		r.Endpoints = []EndpointReport{}
	}
}

func rate(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// firstDistinct keeps the first n examples with distinct request ids.
func firstDistinct(ex []Example, n int) []Example {
	out := ex[:0:0]
	for _, e := range ex {
		if len(out) == n {
			break
		}
		if !slices.ContainsFunc(out, func(o Example) bool { return o.ID == e.ID }) {
			out = append(out, e)
		}
	}
	return out
}
