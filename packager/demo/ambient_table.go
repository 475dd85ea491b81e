package demo

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/laneway/laneway/testenv/proxy"
)

// WriteTable prints the ambient report for a newcomer: the topology and the HTTPRoute rules, each
// table with a legend, what happened to each request and why, the verdict on every promise, what
// ambient mode cannot do (and what to do instead), then the counters.
func (r AmbientReport) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprint(ew, `AMBIENT MODE: no sidecars. Each workload's ztunnel (L4) carries its identity to the destination's
waypoint, where the filters and the routes run. Clients enter by the ingress gateway (an Envoy).
`)
	for _, s := range r.Routes {
		fmt.Fprintf(ew, "  %s: %s\n", AmbientRoutedWaypoint, s)
	}
	if len(r.Rows) > 0 {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "ROUTING: GETs to svc-a, which calls svc-b (baseline svc-b; tenant sbx-1 has a sandbox Service svc-b-sbx-1)")
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tREQUEST\tCLIENT SENT\tCALLER AT WAYPOINT\tTENANT HEADER\tRULE\tSERVED BY\tSTATUS\tMIRRORED TO\tCOPY AT v2")
		for i, row := range r.Rows {
			copyAt := "-"
			if row.ShadowHost != "" {
				copyAt = "host " + row.ShadowHost
				if row.ShadowMarked {
					copyAt += ", marked shadow"
				} else {
					copyAt += ", unmarked"
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", i+1, row.Label, dash(sent(row.Row)), dash(shortID(row.Peer)),
				dash(row.Tenant), dash(row.Route), dash(row.ServedBy), row.Status, dash(row.Mirror), copyAt)
		}
		_ = tw.Flush()
		fmt.Fprint(ew, `  CLIENT SENT         baggage members (or headers) the client put on the request at the ingress gateway
  CALLER AT WAYPOINT  the identity svc-b's waypoint read (io.istio.peer_principal), carried by svc-a's ztunnel
  TENANT HEADER       x-laneway-tenant that tenantroute set on svc-b's waypoint ("-": no accepted tenant)
  RULE                the HTTPRoute rule that matched: tenant-sbx-1 needs x-laneway-tenant: sbx-1, baseline takes the rest
  MIRRORED TO         where the baseline rule's RequestMirror sent a copy (the candidate's pods, past every waypoint)
  COPY AT v2          the Host the copy reached v2 with, and whether it carried laneway's shadow mark
`)
	}
	if len(r.Containment) > 0 {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "CONTAINMENT: POSTs to svc-a; svc-b (and v2, for its mirrored copy) then writes to a ledger, a collaborator that cannot roll back")
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tREQUEST\tCLIENT SENT\tCALLER AT svc-a's WAYPOINT\tSTATUS\tsvc-a SAW\tsvc-b SAW\tsvc-b WRITE TO LEDGER\tv2 WRITE TO LEDGER\tLEDGER RECEIVED")
		for i, row := range r.Containment {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", len(r.Rows)+i+1, row.Label, row.Sent, dash(shortID(row.SvcAPeer)), row.Status,
				marker(row.SvcASaw), marker(row.SvcBSaw), write(row.LedgerStatus, row.LedgerAnsweredBy),
				write(row.ShadowLedgerStatus, row.ShadowLedgerAnsweredBy), received(row.ContainmentRow))
		}
		_ = tw.Flush()
		fmt.Fprint(ew, `  CALLER AT ...     the identity svc-a's waypoint read: the ingress gateway's, or the calling workload's
  svc-a/svc-b SAW   the synthetic marker each app received (tx ID: a synthetic transaction; "no marker": ordinary traffic)
  WRITE TO LEDGER   what the write got: 201 written by the ledger, 202 answered by shadowtag, 409 refused by synthetic
                    (both on the ledger's waypoint)
  LEDGER RECEIVED   the writes that actually reached the ledger, and how many carried a shadow or synthetic mark
`)
	}
	if len(r.Rows)+len(r.Containment) > 0 {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "WHAT HAPPENED")
		for i, row := range r.Rows {
			fmt.Fprintf(ew, "%2d. %s\n", i+1, ambientStory(row))
		}
		for i, row := range r.Containment {
			fmt.Fprintf(ew, "%2d. %s\n", len(r.Rows)+i+1, ambientContainmentStory(row))
		}
	}
	writeVerdicts(ew, r.Verdicts)
	if len(r.Limits) > 0 {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "WHAT AMBIENT MODE CANNOT DO (README's ambient table), AND WHAT TO DO INSTEAD")
		for _, l := range r.Limits {
			fmt.Fprintf(ew, "  %-11s cannot %s\n              instead: %s\n", l.Filter, l.Cannot, l.Instead)
		}
	}
	writeProxyFooter(ew, r.Stats, r.Counters)
	return ew.err
}

// writeProxyFooter prints the proxy's totals and the filters' counters that close both demos' tables.
func writeProxyFooter(w io.Writer, s proxy.Stats, counters map[string]int64) {
	fmt.Fprintf(w, "\nproxy: %d requests handled across all listeners, %d local replies, %d mirrored copies (%d delivered, %d failed)\n",
		s.Requests, s.LocalReplies, s.MirrorsStarted, s.MirrorsCompleted, s.MirrorsFailed)
	if len(counters) == 0 {
		return
	}
	var parts []string
	for _, n := range counterNames {
		if v, ok := counters[n]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", strings.TrimSuffix(strings.TrimPrefix(n, "laneway_"), "_total"), v))
		}
	}
	fmt.Fprintf(w, "filters: %s\n", strings.Join(parts, ", "))
}

// writeVerdicts prints the PROMISES section: a mark per verdict with its evidence, then the verdict.
func writeVerdicts(w io.Writer, vs []Verdict) {
	if len(vs) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "PROMISES")
	held := 0
	for _, v := range vs {
		mark := "FAIL"
		switch v.Outcome {
		case Held:
			mark = "ok  "
			held++
		case NotRun:
			mark = "skip"
		}
		fmt.Fprintf(w, "  %s %s\n       %s\n", mark, v.Promise, v.Evidence)
	}
	if AllHeld(vs) {
		fmt.Fprintf(w, "Verdict: all %d promises held.\n", held)
	} else {
		fmt.Fprintf(w, "Verdict: %d of %d promises held; the lines marked FAIL (or skip) say what was seen instead.\n", held, len(vs))
	}
}

// shortID drops the trust domain of a SPIFFE id: ns/<namespace>/sa/<account>.
func shortID(id string) string {
	if rest, ok := strings.CutPrefix(id, "spiffe://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i+1:]
		}
	}
	return id
}

// ambientStory tells what happened to one routing request in the ambient topology and why.
func ambientStory(row AmbientRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the client sent %s. ", row.Label, orNothing(sent(row.Row)))
	tenantSent := strings.Contains(row.Baggage, "laneway-tenant=") || strings.Contains(row.Baggage, "sd-routing-key=")
	switch {
	case row.Headers != "" && row.SvcATenantHeader == "":
		b.WriteString("The ingress gateway (tenantroute, trust boundary) removed the client-set x-laneway-* header, so svc-a never saw it. ")
	case row.Headers != "":
		fmt.Fprintf(&b, "svc-a received x-laneway-tenant %s: the gateway let a client-set header through. ", row.SvcATenantHeader)
	}
	caller := "svc-a's ztunnel took the call to svc-b's waypoint"
	if row.Peer != "" {
		caller += " as " + shortID(row.Peer)
	}
	switch {
	case tenantSent && !strings.Contains(row.SvcABaggage, "laneway-tenant=") && !strings.Contains(row.SvcABaggage, "sd-routing-key="):
		fmt.Fprintf(&b, "The gateway removed the tenant from baggage: its allow list names only sbx-1 (and the value must be a DNS label). %s. ", caller)
	case tenantSent && row.Tenant == "":
		fmt.Fprintf(&b, "%s; tenantroute there rejected the tenant (not a DNS label) and set no tenant header. ", caller)
	case row.Tenant != "":
		fmt.Fprintf(&b, "svc-a's OpenTelemetry SDK forwarded the baggage; %s, where tenantroute set x-laneway-tenant: %s. ", caller, row.Tenant)
	default:
		fmt.Fprintf(&b, "%s; no tenant reached it, so tenantroute set no tenant header. ", caller)
	}
	switch row.Route {
	case tenantRule:
		fmt.Fprintf(&b, "HTTPRoute rule %s matched that header: served by %s (status %d).", row.Route, orNone(row.ServedBy), row.Status)
	case "":
		fmt.Fprintf(&b, "No route decision was recorded at svc-b's waypoint; served by %s (status %d).", orNone(row.ServedBy), row.Status)
	default:
		fmt.Fprintf(&b, "Only HTTPRoute rule %s matched: served by %s (status %d)", row.Route, orNone(row.ServedBy), row.Status)
		if row.ShadowHost != "" {
			fmt.Fprintf(&b, "; its RequestMirror sent a copy straight to v2's pods (host %s)", row.ShadowHost)
			if !row.ShadowMarked {
				b.WriteString(", which no filter saw, so it is unmarked")
			}
		}
		b.WriteString(".")
	}
	return b.String()
}

// ambientContainmentStory tells what happened to one containment request in the ambient topology.
func ambientContainmentStory(row AmbientContainmentRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: the client sent %s", row.Label, row.Sent)
	if row.Via == ViaOutsider {
		fmt.Fprintf(&b, " from a workload whose ztunnel carries %s", shortID(row.SvcAPeer))
	}
	b.WriteString(". ")
	switch {
	case row.SvcASaw != "" && row.SvcBSaw != "":
		fmt.Fprintf(&b, "The ingress gateway accepted the token; svc-a's and svc-b's waypoints trusted the marker from their callers' identities, so both participants saw %s; ", marker(row.SvcASaw))
	case strings.Contains(row.Sent, "no marker"):
		b.WriteString("No marker was involved; ")
	case row.SvcASaw == "" && row.SvcBSaw == "" && row.Via == ViaOutsider:
		b.WriteString("synthetic on svc-a's waypoint does not trust that identity and there was no token, so it stripped the marker and the apps saw ordinary traffic; ")
	case row.SvcASaw == "" && row.SvcBSaw == "":
		b.WriteString("No valid token: the marker was stripped, so the apps saw ordinary traffic; ")
	default:
		fmt.Fprintf(&b, "svc-a saw %s and svc-b saw %s; ", marker(row.SvcASaw), marker(row.SvcBSaw))
	}
	fmt.Fprintf(&b, "svc-b's write to the ledger: %s", write(row.LedgerStatus, row.LedgerAnsweredBy))
	if row.LedgerAnsweredBy == "synthetic" {
		b.WriteString(" on the ledger's waypoint (the ledger is not a declared participant)")
	}
	if row.ShadowLedgerStatus != 0 {
		fmt.Fprintf(&b, "; the mirrored copy's write from v2: %s", write(row.ShadowLedgerStatus, row.ShadowLedgerAnsweredBy))
		if row.ShadowLedgerPeer != "" {
			fmt.Fprintf(&b, " on the ledger's waypoint, which knew the candidate by its identity %s", shortID(row.ShadowLedgerPeer))
		}
	}
	fmt.Fprintf(&b, ". The ledger received %s.", received(row.ContainmentRow))
	return b.String()
}
