package compare

import (
	"encoding/base64"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults of the collector's limits (the serve command's flag defaults).
const (
	DefaultMaxPairs     = 10000
	DefaultMaxAge       = 5 * time.Minute
	DefaultMaxEndpoints = 500
	DefaultMaxFields    = 1000
	DefaultExamples     = 3
	DefaultNoiseMargin  = 0.05
)

// Options configure a Collector. Zero limits take the defaults above; NoiseMargin 0 means
// "report every field the candidate changes more often than the secondary does".
type Options struct {
	// MaxPairs is how many requests (with their captures) are retained; the oldest go first.
	MaxPairs int
	// MaxAge is how long a request is retained after its first capture arrived. A role that
	// arrives later than that cannot be paired any more.
	MaxAge time.Duration
	// MaxEndpoints and MaxFields (per endpoint) bound the statistics.
	MaxEndpoints, MaxFields int
	// Examples is the number of example pairs kept per field and kind (candidate, noise).
	Examples int
	// NoiseMargin: report a field when candidateRate > noiseRate + NoiseMargin.
	NoiseMargin float64
	// Now is the clock (time.Now when nil); tests inject their own.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxPairs <= 0 {
		o.MaxPairs = DefaultMaxPairs
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxEndpoints <= 0 {
		o.MaxEndpoints = DefaultMaxEndpoints
	}
	if o.MaxFields <= 0 {
		o.MaxFields = DefaultMaxFields
	}
	if o.Examples <= 0 {
		o.Examples = DefaultExamples
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Collector pairs captures by request id, compares them as their roles arrive and keeps the
// per-endpoint statistics. It is safe for concurrent use.
type Collector struct {
	opt Options

	mu         sync.Mutex
	byID       map[string]*entry
	head, tail *entry // retained requests, oldest first
	endpoints  map[Endpoint]*endpointStats
	totals     Totals
}

// entry is one retained request: its captures per role and what has been compared.
type entry struct {
	id         string
	caps       [numRoles]*Capture
	at         time.Time
	candidate  bool // primary-vs-candidate compared
	noise      bool // primary-vs-secondary compared
	prev, next *entry
}

type endpointStats struct {
	ep                                 Endpoint
	candidate, noise                   int64
	candidateDiffering, noiseDiffering int64
	fieldsDropped                      int64
	fields                             map[string]*fieldStats
}

type fieldStats struct {
	candidate, noise   int64
	examples, noiseExs []Example // rings of the latest Examples
	next, noiseNext    int
}

// New returns an empty collector.
func New(o Options) *Collector {
	return &Collector{opt: o.withDefaults(), byID: map[string]*entry{}, endpoints: map[Endpoint]*endpointStats{}}
}

// Options returns the collector's options with defaults applied.
func (c *Collector) Options() Options { return c.opt }

// AddResult says what became of a batch.
type AddResult struct {
	Accepted, Duplicates, Conflicts int
}

// Add takes a validated batch: each capture joins its request's other roles, and every pair
// that becomes complete (primary+candidate, primary+secondary) is compared at once.
func (c *Collector) Add(caps []Capture) AddResult {
	var res AddResult
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opt.Now()
	c.expire(now)
	c.totals.Batches++
	for i := range caps {
		cp := caps[i]
		e := c.byID[cp.ID]
		if e == nil {
			e = &entry{id: cp.ID, at: now}
			c.byID[cp.ID] = e
			c.pushBack(e)
		}
		if e.caps[cp.Role] != nil {
			res.Duplicates++
			continue
		}
		if conflicts(e, &cp) {
			res.Conflicts++
			continue
		}
		e.caps[cp.Role] = &cp
		res.Accepted++
		c.evaluate(e)
	}
	for len(c.byID) > c.opt.MaxPairs {
		c.evict(c.head)
	}
	c.totals.Captures += int64(res.Accepted)
	c.totals.Duplicates += int64(res.Duplicates)
	c.totals.Conflicts += int64(res.Conflicts)
	return res
}

// Refused counts a batch refused before it reached Add.
func (c *Collector) Refused() {
	c.mu.Lock()
	c.totals.RefusedBatches++
	c.mu.Unlock()
}

// conflicts reports whether a capture disagrees with the request's other roles on method or
// endpoint: one request id used for two requests, which must not be compared.
func conflicts(e *entry, cp *Capture) bool {
	for _, o := range e.caps {
		if o != nil && (o.Method != cp.Method || FoldPath(o.Path) != FoldPath(cp.Path)) {
			return true
		}
	}
	return false
}

func (c *Collector) evaluate(e *entry) {
	p := e.caps[Primary]
	if p == nil {
		return
	}
	if cand := e.caps[Candidate]; cand != nil && !e.candidate {
		e.candidate = true
		c.record(p, Diff(p, cand), e.id, false)
	}
	if sec := e.caps[Secondary]; sec != nil && !e.noise {
		e.noise = true
		c.record(p, Diff(p, sec), e.id, true)
	}
}

// record adds one comparison's differences to the primary's endpoint.
func (c *Collector) record(p *Capture, diffs []Difference, id string, noise bool) {
	ep := EndpointOf(p)
	st := c.endpoints[ep]
	if st == nil {
		if len(c.endpoints) >= c.opt.MaxEndpoints {
			c.totals.EndpointsDropped++
			return
		}
		st = &endpointStats{ep: ep, fields: map[string]*fieldStats{}}
		c.endpoints[ep] = st
	}
	if noise {
		st.noise++
		if len(diffs) > 0 {
			st.noiseDiffering++
		}
	} else {
		st.candidate++
		if len(diffs) > 0 {
			st.candidateDiffering++
		}
	}
	for _, d := range diffs {
		f := st.fields[d.Field]
		if f == nil {
			if len(st.fields) >= c.opt.MaxFields {
				st.fieldsDropped++
				continue
			}
			f = &fieldStats{}
			st.fields[d.Field] = f
		}
		ex := Example{ID: id, Primary: d.A, Other: d.B}
		if noise {
			f.noise++
			f.noiseExs, f.noiseNext = ring(f.noiseExs, f.noiseNext, ex, c.opt.Examples)
		} else {
			f.candidate++
			f.examples, f.next = ring(f.examples, f.next, ex, c.opt.Examples)
		}
	}
}

// ring keeps the latest n examples.
func ring(r []Example, next int, ex Example, n int) ([]Example, int) {
	if len(r) < n {
		return append(r, ex), 0
	}
	r[next] = ex
	return r, (next + 1) % n
}

func (c *Collector) pushBack(e *entry) {
	e.prev = c.tail
	if c.tail != nil {
		c.tail.next = e
	} else {
		c.head = e
	}
	c.tail = e
}

func (c *Collector) evict(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	delete(c.byID, e.id)
	c.totals.Evicted++
	if !e.candidate {
		c.totals.EvictedUnpaired++
	}
}

// expire evicts requests older than MaxAge.
func (c *Collector) expire(now time.Time) {
	for c.head != nil && now.Sub(c.head.at) > c.opt.MaxAge {
		c.evict(c.head)
	}
}

// Retained returns how many requests are held.
func (c *Collector) Retained() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(c.opt.Now())
	return len(c.byID)
}

// Report returns this collector's report.
func (c *Collector) Report() *Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(c.opt.Now())
	r := &Report{Replicas: 1, Settings: Settings{NoiseMargin: c.opt.NoiseMargin, Examples: c.opt.Examples}, Totals: c.totals}
	r.Totals.Retained = int64(len(c.byID))
	for _, st := range c.endpoints {
		e := EndpointReport{Endpoint: st.ep, Key: st.ep.Key(), CandidateComparisons: st.candidate, NoiseComparisons: st.noise,
			CandidateDiffering: st.candidateDiffering, NoiseDiffering: st.noiseDiffering, FieldsDropped: st.fieldsDropped,
			Fields: make([]FieldReport, 0, len(st.fields))}
		for name, f := range st.fields {
			e.Fields = append(e.Fields, FieldReport{Field: name, CandidateDiffs: f.candidate, NoiseDiffs: f.noise,
				Examples: inOrder(f.examples, f.next), NoiseExamples: inOrder(f.noiseExs, f.noiseNext)})
		}
		r.Endpoints = append(r.Endpoints, e)
	}
	r.finalize()
	return r
}

// inOrder copies a ring oldest first.
func inOrder(r []Example, next int) []Example {
	if len(r) == 0 {
		return nil
	}
	out := make([]Example, 0, len(r))
	out = append(out, r[next:]...)
	return append(out, r[:next]...)
}

// PairView is one retained request: each role's response and the differences found.
type PairView struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"`
	// Captures by role name (primary, secondary, candidate); a role not received is absent.
	Captures map[string]CaptureView `json:"captures"`
	// CandidateDiffs: primary vs candidate; NoiseDiffs: primary vs secondary.
	CandidateDiffs []Difference `json:"candidateDiffs"`
	NoiseDiffs     []Difference `json:"noiseDiffs"`
	// Reported lists the candidate differences that are reported fields of the endpoint.
	Reported []string `json:"reported"`
}

// CaptureView is a capture for display: the body as text when it is UTF-8, else base64.
type CaptureView struct {
	Service      string            `json:"service"`
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Status       int               `json:"status"`
	Headers      map[string]string `json:"headers"`
	Body         string            `json:"body"`
	BodyEncoding string            `json:"bodyEncoding"`
	BodyBytes    int64             `json:"bodyBytes"`
	Truncated    bool              `json:"truncated"`
	TS           int64             `json:"ts"`
}

// Pair returns the retained request with the given id.
func (c *Collector) Pair(id string) (PairView, bool) {
	c.mu.Lock()
	c.expire(c.opt.Now())
	e := c.byID[id]
	var caps [numRoles]*Capture
	if e != nil {
		caps = e.caps
	}
	c.mu.Unlock()
	if e == nil {
		return PairView{}, false
	}
	v := PairView{ID: id, Captures: map[string]CaptureView{}, CandidateDiffs: []Difference{}, NoiseDiffs: []Difference{}, Reported: []string{}}
	for r, cp := range caps {
		if cp == nil {
			continue
		}
		cv := CaptureView{Service: cp.Service, Method: cp.Method, Path: cp.Path, Status: cp.Status, Headers: cp.Headers,
			BodyBytes: cp.BodyBytes, Truncated: cp.Truncated, TS: cp.TS, Body: string(cp.Body), BodyEncoding: "text"}
		if !utf8.Valid(cp.Body) {
			cv.Body, cv.BodyEncoding = base64.StdEncoding.EncodeToString(cp.Body), "base64"
		}
		v.Captures[Role(r).String()] = cv
		if v.Endpoint == "" || Role(r) == Primary {
			v.Endpoint = EndpointOf(cp).Key()
		}
	}
	if p := caps[Primary]; p != nil {
		if cand := caps[Candidate]; cand != nil {
			v.CandidateDiffs = Diff(p, cand)
		}
		if sec := caps[Secondary]; sec != nil {
			v.NoiseDiffs = Diff(p, sec)
		}
		if ep, ok := c.Report().Endpoint(v.Endpoint); ok {
			for _, d := range v.CandidateDiffs {
				for _, f := range ep.Fields {
					if f.Reported && f.Field == d.Field {
						v.Reported = append(v.Reported, d.Field)
					}
				}
			}
		}
	}
	return v, true
}
