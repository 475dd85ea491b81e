package apphop

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
)

// goPropagator is what otelhttp apps configure: W3C trace context and baggage.
var goPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Go returns the propagation headers an app instrumented with OpenTelemetry Go (otelhttp with the
// W3C trace-context and baggage propagators) injects on its next call, given the headers of the
// request it received. It runs the real propagators of go.opentelemetry.io/otel/propagation.
func Go(in http.Header) http.Header {
	ctx := goPropagator.Extract(context.Background(), propagation.HeaderCarrier(in))
	out := http.Header{}
	goPropagator.Inject(ctx, propagation.HeaderCarrier(out))
	return out
}
