package proxy

import (
	"log/slog"
	"strings"
	"time"
)

// Decision is what the proxy did with one request.
type Decision struct {
	Listener  string
	Method    string
	Authority string // as received (before filters)
	Path      string
	RequestID string
	// TraceID is the W3C trace id of the request's traceparent header ("" when absent).
	TraceID string
	// Tenant is the tenant header (Config.TenantHeader) after the filters ran; "" when absent.
	Tenant string
	// Route and Upstream are the chosen route's name and upstream; "" when none was reached.
	Route, Upstream string
	Status          int
	// LocalReply is "<filter>: <details>" when a filter answered, "<details>" when the proxy did.
	LocalReply string
	// Shadow: the request after the filters was a shadow copy (-shadow host or x-laneway-shadow).
	Shadow bool
	// Synthetic: the request after the filters carried x-laneway-synthetic.
	Synthetic bool
	// Peer is the caller identity a waypoint listener received from a ztunnel listener ("" elsewhere).
	Peer string
	// Mirrors are the upstreams a copy was sent to.
	Mirrors []string
	// FailedOpen are the filters skipped because their VM failed and failStrategy is FAIL_OPEN.
	FailedOpen []string
	Duration   time.Duration
}

func (d *Decision) attrs() []slog.Attr {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	a := []slog.Attr{
		slog.String("listener", d.Listener),
		slog.String("method", d.Method),
		slog.String("authority", d.Authority),
		slog.String("path", d.Path),
		slog.String("tenant", dash(d.Tenant)),
		slog.String("route", dash(d.Route)),
		slog.String("upstream", dash(d.Upstream)),
		slog.Int("status", d.Status),
		slog.Bool("shadow", d.Shadow),
		slog.Bool("synthetic", d.Synthetic),
	}
	if d.LocalReply != "" {
		a = append(a, slog.String("local_reply", d.LocalReply))
	}
	if len(d.Mirrors) > 0 {
		a = append(a, slog.String("mirrored_to", strings.Join(d.Mirrors, ",")))
	}
	if len(d.FailedOpen) > 0 {
		a = append(a, slog.String("failed_open", strings.Join(d.FailedOpen, ",")))
	}
	return append(a, slog.Duration("took", d.Duration), slog.String("request_id", d.RequestID), slog.String("trace_id", dash(d.TraceID)))
}

// traceID returns the trace-id field of a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>").
func traceID(traceparent string) string {
	parts := strings.Split(traceparent, "-")
	if len(parts) < 4 || len(parts[1]) != 32 {
		return ""
	}
	return parts[1]
}
