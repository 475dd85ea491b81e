// Package demo runs laneway's local mesh end to end on loopback: the real filter modules in
// the testenv proxy, a baseline, a sandbox and a v2 of a small service, a ledger they write
// to, and OpenTelemetry-instrumented traffic whose baggage carries the tenant. It reports what
// happened to each request: tenant routing and mirroring, a mirrored write that shadowtag keeps
// from the ledger, a synthetic transaction refused before the ledger, and a spoofed synthetic
// marker stripped at the edge; then a compare run (shadowtag-compare on a primary, a secondary and a
// candidate with a planted change, a collector on loopback) whose report must name the planted field
// and not the noisy ones. It backs `laneway demo` (README command one).
//
// Run (sidecars) and RunAmbient (ztunnels and waypoints) take the same named steps: the modules
// (modulesFor), the stand-in apps (startStandIns, standins.go), the mesh config for them, the mesh
// (startMesh), the traffic, and the trace of each request through the decisions and the apps.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tetratelabs/wazero"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/laneway/laneway/packager/internal/progress"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/proxy"
)

// MeshTemplate is the demo's mesh configuration; ${...} are filled in by Run.
//
//go:embed mesh.yaml
var MeshTemplate string

// Filters are the modules the demo needs from dist/: the combined laneway module (one plugin per sidecar
// listener, with the roles it needs there) and shadowtag-compare for the compare run.
var Filters = []string{"laneway", "shadowtag-compare"}

// AmbientFilters are the modules the ambient demo needs: the combined module on the gateway and every
// waypoint (it has no compare run).
var AmbientFilters = []string{"laneway"}

// SyntheticSecret is the token secret of the demo's edge (a demo value, not a secret).
const SyntheticSecret = "laneway-demo-token-secret"

// SyntheticTxID is the transaction id of the demo's synthetic transaction.
const SyntheticTxID = "demo-tx-1"

// Request is one demo request: a label, the baggage members and other headers the client sets.
type Request struct {
	Label   string
	Baggage []string
	Headers map[string]string
}

// DefaultRequests are the requests `laneway demo` sends.
var DefaultRequests = []Request{
	{"tenant sbx-1", []string{"laneway-tenant=sbx-1"}, nil},
	{"no tenant", nil, nil},
	{"unknown tenant", []string{"laneway-tenant=sbx-9"}, nil},
	{"invalid tenant", []string{"laneway-tenant=Not_A_Label"}, nil},
	{"signadot key", []string{"sd-routing-key=sbx-1"}, nil},
	{"tenant + other members", []string{"user=42", "laneway-tenant=sbx-1"}, nil},
	{"spoofed tenant header", nil, map[string]string{"x-laneway-tenant": "sbx-1"}},
}

// Scenario is one containment request: a POST to svc-a (which svc-b turns into a ledger
// write) with the given client headers; Token adds a valid synthetic token for SyntheticTxID.
type Scenario struct {
	Label   string
	Sent    string // what the client sent, for the table
	Headers map[string]string
	Token   bool
}

// DefaultScenarios are the containment requests `laneway demo` sends after DefaultRequests.
var DefaultScenarios = []Scenario{
	{Label: "mirrored POST", Sent: "POST, no marker"},
	{Label: "synthetic tx", Sent: "POST, marker + valid token", Headers: map[string]string{"x-laneway-synthetic": "1;id=" + SyntheticTxID}, Token: true},
	{Label: "spoofed marker", Sent: "POST, marker, no token", Headers: map[string]string{"x-laneway-synthetic": "1"}},
}

// Options configure Run.
type Options struct {
	// Root is the laneway checkout (found from the working directory when empty).
	Root string
	// Modules maps filter name to .wasm path; when nil, Run locates dist/ and builds as needed.
	Modules map[string]string
	// Requests default to DefaultRequests; Scenarios to DefaultScenarios.
	Requests  []Request
	Scenarios []Scenario
	// Compare is the compare run (nil: DefaultCompare; Requests 0 skips it).
	Compare *CompareScenario
	// Progress receives progress lines (nil: discarded); Decisions the proxy's decision log
	// (nil: discarded).
	Progress, Decisions io.Writer
}

// Row is what happened to one request.
type Row struct {
	Label   string `json:"request"`
	Baggage string `json:"baggage"`
	// Headers are the other headers the client set ("name: value", comma separated).
	Headers string `json:"headers,omitempty"`
	TraceID string `json:"traceId"`
	// SvcABaggage is the baggage svc-a received (after the edge); SvcATenantHeader the
	// x-laneway-tenant header it received ("" none).
	SvcABaggage      string `json:"svcABaggage"`
	SvcATenantHeader string `json:"svcATenantHeader"`
	// Tenant is x-laneway-tenant after tenantroute on svc-a's outbound listener.
	Tenant   string `json:"tenant"`
	Route    string `json:"route"`
	ServedBy string `json:"servedBy"`
	Status   int    `json:"status"`
	// Mirror is where the shadow copy went ("" when not mirrored).
	Mirror string `json:"mirror,omitempty"`
	// ShadowHost and ShadowMarked are what v2 saw: the Host of the copy and shadowtag's marker.
	ShadowHost   string `json:"shadowHost,omitempty"`
	ShadowMarked bool   `json:"shadowMarked,omitempty"`
	LatencyMS    int64  `json:"latencyMs"`
}

// ContainmentRow is what happened to one containment scenario.
type ContainmentRow struct {
	Label   string `json:"request"`
	Sent    string `json:"clientSent"`
	TraceID string `json:"traceId"`
	Status  int    `json:"status"`
	// SvcASaw and SvcBSaw are the x-laneway-synthetic header each app received ("" none);
	// "baggage;id=<id>" when svc-a got the marker only as the laneway-synthetic baggage member.
	SvcASaw string `json:"svcASaw"`
	SvcBSaw string `json:"svcBSaw"`
	// LedgerStatus is what svc-b's ledger write got; LedgerAnsweredBy the filter that answered
	// it instead of the ledger ("" when the ledger did).
	LedgerStatus     int    `json:"ledgerStatus"`
	LedgerAnsweredBy string `json:"ledgerAnsweredBy,omitempty"`
	// ShadowLedgerStatus and ShadowLedgerAnsweredBy are the same for v2's mirrored copy
	// (0 when v2 got no copy).
	ShadowLedgerStatus     int    `json:"shadowLedgerStatus,omitempty"`
	ShadowLedgerAnsweredBy string `json:"shadowLedgerAnsweredBy,omitempty"`
	// LedgerWrites counts the writes the ledger received for this request: live, shadow-marked
	// and synthetic-marked.
	LedgerWrites    int `json:"ledgerWrites"`
	ShadowWrites    int `json:"ledgerShadowWrites"`
	SyntheticWrites int `json:"ledgerSyntheticWrites"`
}

// Report is the demo's result.
type Report struct {
	Rows        []Row            `json:"requests"`
	Containment []ContainmentRow `json:"containment"`
	// Compare is what the compare run showed (nil when it was skipped).
	Compare *CompareRow `json:"compare,omitempty"`
	// Counters are the filters' outcome counters (laneway_<filter>_<outcome>_total) that are not zero.
	Counters map[string]int64 `json:"counters"`
	Stats    proxy.Stats      `json:"proxy"`
	// Verdicts say whether the demo showed what it promises (see Promises); filled by Run.
	Verdicts []Verdict `json:"verdicts"`
}

// counterNames are the filter counters the report shows.
var counterNames = []string{
	"laneway_tenantroute_routed_total", "laneway_tenantroute_baseline_total", "laneway_tenantroute_invalid_total", "laneway_tenantroute_stripped_total",
	"laneway_shadowtag_marked_total", "laneway_shadowtag_passed_total", "laneway_shadowtag_suppressed_total",
	compareSentCounter, compareFailedCounter, compareDroppedCounter,
	"laneway_synthetic_accepted_total", "laneway_synthetic_passed_total", "laneway_synthetic_refused_total", "laneway_synthetic_stripped_total",
}

// Run starts the services and the mesh on free loopback ports, sends the requests and
// returns what happened; everything is stopped before it returns.
func Run(ctx context.Context, opts Options) (Report, error) {
	progress := orDiscard(opts.Progress)
	reqs, scenarios, cmp := opts.plan()
	mods, err := modulesFor(ctx, opts.Modules, opts.Root, Filters, progress, opts.Progress)
	if err != nil {
		return Report{}, err
	}
	apps, err := startStandIns(map[string]http.Handler{
		"ORDERS_PRIMARY": ordersApp(false), "ORDERS_SECONDARY": ordersApp(false), "ORDERS_CANDIDATE": ordersApp(cmp.Planted),
	})
	if err != nil {
		return Report{}, err
	}
	defer apps.close()
	col, collectorURL, err := serveCollector()
	if err != nil {
		return Report{}, err
	}
	defer func() { _ = col.srv.Close() }()
	cfg, err := sidecarMesh(apps.addrs, col.addr, mods)
	if err != nil {
		return Report{}, err
	}
	fmt.Fprintf(progress, "Starting the mesh: %d listeners, %d workers, filters %s\n", len(cfg.Listeners), cfg.Workers, strings.Join(Filters, ", "))
	mesh, err := startMesh(ctx, cfg, opts.Progress, opts.Decisions, "every listener's")
	if err != nil {
		return Report{}, err
	}
	defer mesh.close()
	apps.egressTo(mesh.Proxy, "svc-a-outbound", "svc-b-outbound", "svc-b-v2-outbound")

	fmt.Fprintf(progress, "Mesh up; sending %d routing requests, %d containment POSTs and %d compare GETs through it\n", len(reqs), len(scenarios), cmp.Requests)
	rep, err := sendSidecarTraffic(ctx, apps, mesh, reqs, scenarios, cmp)
	if err != nil {
		return rep, err
	}
	mesh.settleMirrors()
	if rep.Compare != nil {
		if err := finishCompare(ctx, rep.Compare, mesh.Proxy, collectorURL); err != nil {
			return rep, err
		}
	}
	rep.trace(apps, mesh)
	rep.Counters, rep.Stats = mesh.counters(), mesh.Stats()
	rep.Verdicts = rep.Check()
	return rep, nil
}

// plan returns the requests, containment scenarios and compare run to make, defaults filled in.
func (o Options) plan() ([]Request, []Scenario, CompareScenario) {
	reqs, scenarios, cmp := o.Requests, o.Scenarios, DefaultCompare
	if reqs == nil {
		reqs = DefaultRequests
	}
	if scenarios == nil {
		scenarios = DefaultScenarios
	}
	if o.Compare != nil {
		cmp = *o.Compare
	}
	return reqs, scenarios, cmp
}

// sidecarMesh fills in MeshTemplate with the apps' and the collector's addresses and the modules.
func sidecarMesh(apps map[string]string, collector string, mods map[string]string) (proxy.Config, error) {
	vals := maps.Clone(apps)
	vals["COLLECTOR"] = collector
	vals["LANEWAY_WASM"] = mods["laneway"]
	vals["SHADOWTAG_COMPARE_WASM"] = mods["shadowtag-compare"]
	vals["SYNTHETIC_SECRET"] = SyntheticSecret
	cfg, err := proxy.Parse([]byte(os.Expand(MeshTemplate, func(k string) string { return vals[k] })))
	if err != nil {
		return proxy.Config{}, fmt.Errorf("demo mesh config: %w", err)
	}
	return cfg, nil
}

// sendSidecarTraffic sends the routing requests, the containment POSTs and the compare GETs through
// svc-a's inbound listener (the edge), and returns the rows of what the client saw.
func sendSidecarTraffic(ctx context.Context, apps *standIns, mesh *demoMesh, reqs []Request, scenarios []Scenario, cmp CompareScenario) (Report, error) {
	var rep Report
	client := apps.client()
	edge := "http://" + mesh.Addr("svc-a-inbound")
	var err error
	if rep.Rows, err = sendRequests(ctx, client, apps.tp, edge, reqs); err != nil {
		return rep, err
	}
	for i, sc := range scenarios {
		row, err := sendScenario(ctx, client, apps.tp, edge+fmt.Sprintf("/orders/%d", len(reqs)+i+1), sc)
		if err != nil {
			return rep, fmt.Errorf("request %q: %w", sc.Label, err)
		}
		rep.Containment = append(rep.Containment, row)
	}
	if cmp.Requests > 0 {
		row, err := sendCompare(ctx, client, mesh.Proxy, cmp)
		if err != nil {
			return rep, err
		}
		rep.Compare = &row
	}
	return rep, nil
}

// sendRequests sends the routing requests to /orders/1, /orders/2, ... of target.
func sendRequests(ctx context.Context, client *http.Client, tp trace.TracerProvider, target string, reqs []Request) ([]Row, error) {
	var rows []Row
	for i, r := range reqs {
		row, err := send(ctx, client, tp, target+fmt.Sprintf("/orders/%d", i+1), r)
		if err != nil {
			return rows, fmt.Errorf("request %q: %w", r.Label, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// trace completes the rows with what the mesh decided (svc-a's outbound listener routes and mirrors)
// and what the apps and the ledger received.
func (r *Report) trace(apps *standIns, mesh *demoMesh) {
	for i := range r.Rows {
		row := &r.Rows[i]
		for _, d := range mesh.decisionsOf(row.TraceID) {
			if d.Listener == "svc-a-outbound" {
				row.Tenant, row.Route = d.Tenant, d.Route
				if len(d.Mirrors) > 0 {
					row.Mirror = strings.TrimPrefix(strings.Join(d.Mirrors, ","), proxy.ListenerPrefix)
				}
			}
		}
		apps.fillShadow(row)
	}
	for i := range r.Containment {
		apps.fillContainment(&r.Containment[i])
	}
}

// orDiscard is w, or io.Discard when w is nil.
func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// sendScenario makes one instrumented POST with the scenario's headers (and token).
func sendScenario(ctx context.Context, client *http.Client, tp trace.TracerProvider, target string, sc Scenario) (ContainmentRow, error) {
	row := ContainmentRow{Label: sc.Label, Sent: sc.Sent}
	ctx, span := tp.Tracer("laneway-demo").Start(ctx, sc.Label)
	defer span.End()
	row.TraceID = span.SpanContext().TraceID().String()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return row, err
	}
	req.Host = "svc-a:8080"
	for k, v := range sc.Headers {
		req.Header.Set(k, v)
	}
	if sc.Token {
		tok, err := synthetic.MintToken([]byte(SyntheticSecret), SyntheticTxID, time.Now().Add(5*time.Minute))
		if err != nil {
			return row, err
		}
		req.Header.Set(synthetic.DefaultTokenHeader, tok)
	}
	resp, err := client.Do(req)
	if err != nil {
		return row, err
	}
	defer resp.Body.Close()
	row.Status = resp.StatusCode
	row.SvcASaw = resp.Header.Get(SvcASawHeader)
	var reply Reply
	if err := decodeJSON(resp.Body, &reply); err != nil {
		return row, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	return row, nil
}

// send makes one instrumented request with the given baggage.
func send(ctx context.Context, client *http.Client, tp trace.TracerProvider, target string, r Request) (Row, error) {
	row := Row{Label: r.Label, Baggage: strings.Join(r.Baggage, ",")}
	if len(r.Baggage) > 0 {
		b, err := baggage.Parse(row.Baggage)
		if err != nil {
			return row, err
		}
		ctx = baggage.ContextWithBaggage(ctx, b)
	}
	ctx, span := tp.Tracer("laneway-demo").Start(ctx, r.Label)
	defer span.End()
	row.TraceID = span.SpanContext().TraceID().String()
	req, err := http.NewRequestWithContext(ctx, "GET", target, nil)
	if err != nil {
		return row, err
	}
	req.Host = "svc-a:8080"
	var hs []string
	for k, v := range r.Headers {
		req.Header.Set(k, v)
		hs = append(hs, k+": "+v)
	}
	sort.Strings(hs)
	row.Headers = strings.Join(hs, ", ")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return row, err
	}
	defer resp.Body.Close()
	row.LatencyMS = time.Since(start).Milliseconds()
	row.Status = resp.StatusCode
	row.SvcABaggage, row.SvcATenantHeader = resp.Header.Get(SvcABaggageHeader), resp.Header.Get(SvcATenantHeader)
	var reply Reply
	if err := decodeJSON(resp.Body, &reply); err != nil {
		return row, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	row.ServedBy = reply.Service
	return row, nil
}

// WriteTable prints the report for a newcomer: each table with a legend, then what happened to
// each request and why, then the verdict on every promise and the counters.
func (r Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	if len(r.Rows) > 0 {
		fmt.Fprintln(ew, "ROUTING: GETs to svc-a, which calls svc-b (baseline svc-b; tenant sbx-1 has a sandbox svc-b@sbx-1)")
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tREQUEST\tCLIENT SENT\tTENANT HEADER\tROUTE\tSERVED BY\tSTATUS\tMIRRORED TO\tSHADOW COPY AT v2")
		for i, row := range r.Rows {
			shadow := "-"
			if row.ShadowHost != "" {
				shadow = "host " + row.ShadowHost
				if row.ShadowMarked {
					shadow += ", marked shadow"
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", i+1, row.Label, dash(sent(row)), dash(row.Tenant), dash(row.Route), dash(row.ServedBy), row.Status, dash(row.Mirror), shadow)
		}
		_ = tw.Flush()
		fmt.Fprint(ew, `  CLIENT SENT      baggage members (or headers) the client put on the request at the gateway (svc-a-inbound)
  TENANT HEADER    x-laneway-tenant that tenantroute set on svc-a's outbound listener ("-": no accepted tenant)
  ROUTE            the route that matched: svc-b-sbx-1 needs x-laneway-tenant: sbx-1, svc-b-baseline takes the rest
  SERVED BY        the svc-b version that answered
  MIRRORED TO      where the baseline route sent a fire-and-forget copy (the shadow listener of svc-b-v2)
  SHADOW COPY AT   the Host the copy reached v2 with (Envoy's -shadow suffix) and whether shadowtag marked it
`)
	}
	if len(r.Containment) > 0 {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "CONTAINMENT: POSTs to svc-a; svc-b (and v2, for its mirrored copy) then writes to a ledger, a collaborator that cannot roll back")
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tREQUEST\tCLIENT SENT\tSTATUS\tsvc-a SAW\tsvc-b SAW\tsvc-b WRITE TO LEDGER\tv2 (SHADOW) WRITE TO LEDGER\tLEDGER RECEIVED")
		for i, row := range r.Containment {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", len(r.Rows)+i+1, row.Label, row.Sent, row.Status,
				marker(row.SvcASaw), marker(row.SvcBSaw), write(row.LedgerStatus, row.LedgerAnsweredBy),
				write(row.ShadowLedgerStatus, row.ShadowLedgerAnsweredBy), received(row))
		}
		_ = tw.Flush()
		fmt.Fprint(ew, `  svc-a/svc-b SAW  the synthetic marker each app received (tx ID: a synthetic transaction; "no marker": ordinary traffic)
  WRITE TO LEDGER  what the write got: 201 written by the ledger, 202 answered by shadowtag, 409 refused by synthetic
  LEDGER RECEIVED  the writes that actually reached the ledger, and how many carried a shadow or synthetic mark
`)
	}
	if r.Compare != nil {
		fmt.Fprintln(ew)
		writeCompareTable(ew, *r.Compare)
	}
	if len(r.Rows)+len(r.Containment) > 0 || r.Compare != nil {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "WHAT HAPPENED")
		for i, row := range r.Rows {
			fmt.Fprintf(ew, "%2d. %s\n", i+1, story(row))
		}
		for i, row := range r.Containment {
			fmt.Fprintf(ew, "%2d. %s\n", len(r.Rows)+i+1, containmentStory(row))
		}
		if r.Compare != nil {
			fmt.Fprintf(ew, "%2d. %s\n", r.compareNumber(), compareStory(*r.Compare))
		}
	}
	writeVerdicts(ew, r.Verdicts)
	writeProxyFooter(ew, r.Stats, r.Counters)
	return ew.err
}

// errWriter keeps the first write error so WriteTable can print without checking each line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sent is what the client put on a routing request.
func sent(row Row) string {
	switch {
	case row.Baggage != "" && row.Headers != "":
		return row.Baggage + "; " + row.Headers
	case row.Headers != "":
		return row.Headers
	}
	return row.Baggage
}

// story tells what happened to one routing request and why.
func story(row Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the client sent %s. ", row.Label, orNothing(sent(row)))
	tenantSent := strings.Contains(row.Baggage, "laneway-tenant=") || strings.Contains(row.Baggage, "sd-routing-key=")
	switch {
	case row.Headers != "" && row.SvcATenantHeader == "":
		b.WriteString("The gateway (tenantroute, trust boundary) removed the client-set x-laneway-* header, so svc-a never saw it. ")
	case row.Headers != "":
		fmt.Fprintf(&b, "svc-a received x-laneway-tenant %s: the gateway let a client-set header through. ", row.SvcATenantHeader)
	}
	switch {
	case tenantSent && !strings.Contains(row.SvcABaggage, "laneway-tenant=") && !strings.Contains(row.SvcABaggage, "sd-routing-key="):
		b.WriteString("The gateway removed the tenant from baggage: its allow list names only sbx-1 (and the value must be a DNS label). ")
	case tenantSent && row.Tenant == "":
		b.WriteString("tenantroute on svc-a's outbound listener rejected the tenant (not a DNS label), so it set no tenant header. ")
	case row.Tenant != "":
		fmt.Fprintf(&b, "svc-a's OpenTelemetry SDK forwarded the baggage; tenantroute on its outbound listener set x-laneway-tenant: %s. ", row.Tenant)
	default:
		b.WriteString("No tenant reached svc-a's outbound listener, so tenantroute set no tenant header. ")
	}
	switch row.Route {
	case "svc-b-sbx-1":
		fmt.Fprintf(&b, "Route svc-b-sbx-1 matched that header: served by %s (status %d).", orNone(row.ServedBy), row.Status)
	case "":
		fmt.Fprintf(&b, "No route decision was recorded; served by %s (status %d).", orNone(row.ServedBy), row.Status)
	default:
		fmt.Fprintf(&b, "Only route %s matched: served by %s (status %d)", row.Route, orNone(row.ServedBy), row.Status)
		if row.ShadowHost != "" {
			fmt.Fprintf(&b, "; a copy went to v2 as host %s", row.ShadowHost)
			if row.ShadowMarked {
				b.WriteString(", where shadowtag marked it shadow")
			}
		}
		b.WriteString(".")
	}
	return b.String()
}

// containmentStory tells what happened to one containment request and why.
func containmentStory(row ContainmentRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the client sent %s. ", row.Label, row.Sent)
	switch {
	case row.SvcASaw != "" && row.SvcBSaw != "":
		fmt.Fprintf(&b, "synthetic at the gateway accepted the token, so svc-a and svc-b (participants) saw %s; ", marker(row.SvcASaw))
	case strings.Contains(row.Sent, "no marker"):
		b.WriteString("no marker was involved; ")
	case row.SvcASaw == "" && row.SvcBSaw == "":
		b.WriteString("synthetic at the gateway found no valid token and stripped the marker, so the apps saw ordinary traffic; ")
	default:
		fmt.Fprintf(&b, "svc-a saw %s and svc-b saw %s; ", marker(row.SvcASaw), marker(row.SvcBSaw))
	}
	fmt.Fprintf(&b, "svc-b's write to the ledger: %s", write(row.LedgerStatus, row.LedgerAnsweredBy))
	if row.LedgerAnsweredBy == "synthetic" {
		b.WriteString(" (the ledger is not a declared participant)")
	}
	if row.ShadowLedgerStatus != 0 {
		fmt.Fprintf(&b, "; the mirrored copy's write from v2: %s", write(row.ShadowLedgerStatus, row.ShadowLedgerAnsweredBy))
	}
	fmt.Fprintf(&b, ". The ledger received %s.", received(row))
	return b.String()
}

func orNothing(s string) string {
	if s == "" {
		return "nothing laneway reads"
	}
	return s
}

// marker renders the synthetic marker an app saw.
func marker(v string) string {
	if id, ok := strings.CutPrefix(v, "1;id="); ok {
		return "tx " + id
	}
	if id, ok := strings.CutPrefix(v, "baggage;id="); ok {
		return "tx " + id + " (baggage)"
	}
	if v == "" {
		return "no marker"
	}
	return v
}

// write renders what a ledger write got.
func write(status int, by string) string {
	switch {
	case status == 0:
		return "-"
	case by == "shadowtag":
		return fmt.Sprintf("%d suppressed by shadowtag", status)
	case by == "synthetic":
		return fmt.Sprintf("%d refused by synthetic", status)
	}
	return fmt.Sprintf("%d written", status)
}

// received renders the ledger's writes for one request.
func received(row ContainmentRow) string {
	s := fmt.Sprintf("%d write", row.LedgerWrites)
	if row.LedgerWrites != 1 {
		s += "s"
	}
	return fmt.Sprintf("%s (%d shadow, %d synthetic)", s, row.ShadowWrites, row.SyntheticWrites)
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// stepProgress is progress.Step at its default interval.
func stepProgress(w io.Writer, label, doing string, fn func() (string, error)) error {
	return progress.Step(w, 0, label, doing, fn)
}

// runtime hosts the VMs with wazero's compilation cache on disk (the user cache folder), so a
// second demo does not compile the modules again; without a cache folder it compiles in memory.
func runtime(ctx context.Context) (*testenv.Runtime, error) {
	opts := testenv.RuntimeOptions{}
	if dir, err := os.UserCacheDir(); err == nil {
		if cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(dir, "laneway", "wazero")); err == nil {
			opts.CompilationCache = cache
			rt, err := testenv.NewRuntime(ctx, opts)
			if err != nil {
				_ = cache.Close(ctx)
			}
			return rt, err
		}
	}
	return testenv.NewRuntime(ctx, opts)
}
