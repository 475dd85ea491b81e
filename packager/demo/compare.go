package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/laneway/laneway/packager/compare"
	"github.com/laneway/laneway/testenv/proxy"
)

// CompareScenario is the demo's compare run: GETs to orders through its caller's outbound listener, each
// answered by the primary and mirrored to a secondary and a candidate, captured by shadowtag-compare on
// each inbound listener and compared by a collector (packager/compare) on loopback.
type CompareScenario struct {
	// Label names the scenario in the report and its promise.
	Label string
	// Requests is how many GET /orders/<n> are sent; 0 skips the scenario.
	Requests int
	// Planted: the candidate recomputes PlantedField (adds tax); false makes it answer like the primary.
	Planted bool
}

// DefaultCompare is the compare run `laneway demo` makes after the containment scenarios.
var DefaultCompare = CompareScenario{Label: "compare", Requests: 300, Planted: true}

// PlantedField is the body field the candidate changes; NoisyFields are the body fields every orders
// instance fills anew on each answer (a timestamp and a random id), so they differ between any two.
const PlantedField = "total"

// NoisyFields are the fields the report must learn as noise and not name.
var NoisyFields = []string{"generatedAt", "requestId"}

// compareConcurrency is how many compare requests are in flight at once (the demo stays a few seconds).
const compareConcurrency = 8

// CompareRow is what the compare scenario showed.
type CompareRow struct {
	Label    string `json:"scenario"`
	Requests int    `json:"requests"`
	// Planted is the field the candidate changed ("" when it answered like the primary).
	Planted string `json:"plantedField,omitempty"`
	// LivePrimary counts the live answers that were the primary's (status 200, the primary's total).
	LivePrimary int `json:"livePrimary"`
	// Captures the collector accepted; CaptureCounters the shadowtag-compare counters (sent, failed,
	// dropped) summed over the three listeners.
	Captures       int64 `json:"captures"`
	CapturesSent   int64 `json:"capturesSent"`
	CapturesFailed int64 `json:"capturesFailed"`
	CapturesLost   int64 `json:"capturesDropped"`
	// Endpoint is the compared endpoint's key ("service METHOD /folded/path"), with its comparisons.
	Endpoint             string `json:"endpoint"`
	CandidateComparisons int64  `json:"candidateComparisons"`
	NoiseComparisons     int64  `json:"noiseComparisons"`
	// Fields are the fields that differed at least once, as the report gave them.
	Fields []CompareField `json:"fields"`
}

// CompareField is one field of the compare report.
type CompareField struct {
	Field         string  `json:"field"`
	CandidateRate float64 `json:"candidateRate"`
	NoiseRate     float64 `json:"noiseRate"`
	Noise         bool    `json:"noise"`
	Reported      bool    `json:"reported"`
}

// reported returns the names of the fields the report names.
func (c CompareRow) reported() []string {
	var out []string
	for _, f := range c.Fields {
		if f.Reported {
			out = append(out, f.Field)
		}
	}
	return out
}

func (c CompareRow) field(name string) (CompareField, bool) {
	for _, f := range c.Fields {
		if f.Field == name {
			return f, true
		}
	}
	return CompareField{}, false
}

// bodyField is the report's name for a JSON body field.
func bodyField(name string) string { return "body:" + name }

// ordersApp is one orders instance: GET /orders/<n> answers the order with its total, a timestamp and a
// random id; with plant it recomputes the total (adds 8% tax), the candidate's planted change.
func ordersApp(plant bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		total := 100
		if plant {
			total = 108
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"order": strings.TrimPrefix(r.URL.Path, "/orders/"), "total": total, "currency": "EUR",
			"generatedAt": time.Now().UTC().Format(time.RFC3339Nano), "requestId": fmt.Sprintf("%016x", rand.Uint64()),
		})
	}
}

// sendCompare sends the scenario's GETs through orders' caller's outbound listener and counts the live
// answers that were the primary's.
func sendCompare(ctx context.Context, client *http.Client, p *proxy.Proxy, sc CompareScenario) (CompareRow, error) {
	row := CompareRow{Label: sc.Label, Requests: sc.Requests}
	if sc.Planted {
		row.Planted = PlantedField
	}
	var next, live atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, compareConcurrency)
	for range compareConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(sc.Requests); i = next.Add(1) {
				ok, err := getOrder(ctx, client, "http://"+p.Addr("orders-outbound")+fmt.Sprintf("/orders/%d", i))
				if err != nil {
					errs <- fmt.Errorf("compare request %d: %w", i, err)
					return
				}
				if ok {
					live.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return row, err
	}
	row.LivePrimary = int(live.Load())
	return row, nil
}

// getOrder makes one GET and reports whether the primary answered it (status 200, total 100).
func getOrder(ctx context.Context, client *http.Client, target string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return false, err
	}
	req.Host = "orders:8080"
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var body struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return false, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	return resp.StatusCode == http.StatusOK && body.Total == 100, nil
}

// compareCounters are the shadowtag-compare counters the row reports.
const (
	compareSentCounter    = "laneway_shadowtag_compare_sent_total"
	compareFailedCounter  = "laneway_shadowtag_compare_failed_total"
	compareDroppedCounter = "laneway_shadowtag_compare_dropped_total"
)

// finishCompare waits (bounded) until every capture of the scenario was sent, failed or dropped, then reads
// the collector's report through its JSON API, as `laneway compare report` does.
func finishCompare(ctx context.Context, row *CompareRow, p *proxy.Proxy, collectorURL string) error {
	want := int64(3 * row.Requests)
	deadline := time.Now().Add(10 * time.Second)
	for {
		row.CapturesSent, row.CapturesFailed, row.CapturesLost = p.Counter(compareSentCounter), p.Counter(compareFailedCounter), p.Counter(compareDroppedCounter)
		if row.CapturesSent+row.CapturesFailed+row.CapturesLost >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep, err := compare.FetchReport(ctx, &http.Client{Timeout: 5 * time.Second}, collectorURL)
	if err != nil {
		return fmt.Errorf("compare report: %w", err)
	}
	row.Captures = rep.Totals.Captures
	for _, e := range rep.Endpoints {
		if e.Service != "orders" {
			continue
		}
		row.Endpoint, row.CandidateComparisons, row.NoiseComparisons = e.Key, e.CandidateComparisons, e.NoiseComparisons
		for _, f := range e.Fields {
			row.Fields = append(row.Fields, CompareField{Field: f.Field, CandidateRate: f.CandidateRate, NoiseRate: f.NoiseRate, Noise: f.Noise, Reported: f.Reported})
		}
	}
	slices.SortFunc(row.Fields, func(a, b CompareField) int { return strings.Compare(a.Field, b.Field) })
	return nil
}

// comparePromise is the compare promise's check: the report names exactly the planted field, and each
// noisy field was learned as noise and is not named.
func comparePromise(c CompareRow) (string, bool) {
	var noise, missing []string
	ok := slices.Equal(c.reported(), []string{bodyField(PlantedField)}) && c.CandidateComparisons > 0
	for _, n := range NoisyFields {
		f, found := c.field(bodyField(n))
		switch {
		case !found:
			missing = append(missing, bodyField(n))
			ok = false
		case f.Reported || !f.Noise:
			ok = false
		default:
			noise = append(noise, f.Field)
		}
	}
	seen := fmt.Sprintf("%d requests, %d captures at the collector, %d compared with the candidate and %d with the secondary; reported %s; learned as noise %s",
		c.Requests, c.Captures, c.CandidateComparisons, c.NoiseComparisons, listOrNone(c.reported()), listOrNone(noise))
	if len(missing) > 0 {
		seen += "; never seen differing " + strings.Join(missing, ", ")
	}
	return seen, ok
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// pct renders a rate as a percentage.
func pct(r float64) string { return fmt.Sprintf("%.0f%%", 100*r) }

// writeCompareTable prints the compare report's fields with a legend.
func writeCompareTable(w io.Writer, c CompareRow) {
	fmt.Fprintf(w, "COMPARE: %d GETs to orders (endpoint %s); each copied to a secondary (same version) and a candidate", c.Requests, dash(c.Endpoint))
	if c.Planted != "" {
		fmt.Fprintf(w, " that recomputes %s", c.Planted)
	} else {
		fmt.Fprint(w, " with no planted change")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tPRIMARY vs CANDIDATE\tPRIMARY vs SECONDARY\tREPORT")
	for _, f := range c.Fields {
		verdict := "-"
		switch {
		case f.Reported:
			verdict = "reported"
		case f.Noise:
			verdict = "noise"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Field, pct(f.CandidateRate), pct(f.NoiseRate), verdict)
	}
	if len(c.Fields) == 0 {
		fmt.Fprintln(tw, "(no field differed)\t\t\t")
	}
	_ = tw.Flush()
	fmt.Fprint(w, `  PRIMARY vs ...   share of compared requests in which the field differed between the two answers
  REPORT           reported: the candidate differs more often than the two live instances do; noise: the
                   live instances differ too (timestamps, ids), so the difference says nothing about the candidate
`)
}

// compareStory tells what the compare scenario showed and why.
func compareStory(c CompareRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d GETs to orders; its caller's outbound listener sent each to the primary (%d live answers were the primary's) and mirrored it to a secondary and a candidate", c.Label, c.Requests, c.LivePrimary)
	if c.Planted != "" {
		fmt.Fprintf(&b, " that recomputes %s", c.Planted)
	} else {
		b.WriteString(" with no planted change")
	}
	fmt.Fprintf(&b, ". shadowtag-compare on the three inbound listeners captured each answer and sent %d captures to the collector (%d failed, %d dropped), which paired them by x-request-id: ", c.CapturesSent, c.CapturesFailed, c.CapturesLost)
	var named, noise []string
	for _, f := range c.Fields {
		switch {
		case f.Reported:
			named = append(named, fmt.Sprintf("%s (candidate %s, secondary %s)", f.Field, pct(f.CandidateRate), pct(f.NoiseRate)))
		case f.Noise:
			noise = append(noise, f.Field)
		}
	}
	fmt.Fprintf(&b, "it reports %s", listOrNone(named))
	if len(noise) > 0 {
		fmt.Fprintf(&b, ", and not %s, which differ between the primary and the secondary too (noise)", strings.Join(noise, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// serveCollector starts a collector on loopback; its URL is the base of the JSON API.
func serveCollector() (*server, string, error) {
	s, err := serve(compare.Handler(compare.New(compare.Options{}), compare.ServerOptions{}))
	if err != nil {
		return nil, "", err
	}
	return s, "http://" + s.addr, nil
}
