package proxyhost

// Reply is a local response sent instead of forwarding the request.
type Reply struct {
	Status  uint32
	Headers [][2]string
	Body    []byte
	// Detail is one line for the debug log, such as "shadowtag: suppressed shadow POST to svc-b" ("" = none).
	Detail string
}

// Verdict is what one filter decision asks of the host for a request's headers.
type Verdict struct {
	// Edits are the request-header changes, in order (see AppendEdited for their meaning).
	Edits []Edit
	// Reroute asks Envoy to select the route again after the edits (one clear_route_cache).
	Reroute bool
	// Reply, when set, answers the request locally: the edits are not written and the request stops.
	Reply *Reply
}

// Reset empties v for the next decision, keeping the capacity of Edits.
func (v *Verdict) Reset() { *v = Verdict{Edits: v.Edits[:0]} }
