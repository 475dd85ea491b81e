package combined

import "github.com/laneway/laneway/filters/proxyhost"

// verdict is what one role decides for one request: request-header edits, whether Envoy must select the
// route again, and an optional local reply.
//
// TODO(skeleton): proxyhost.Verdict and proxyhost.Reply replace these once the shared plumbing lands.
type verdict struct {
	edits   []proxyhost.Edit
	reroute bool
	reply   *reply
}

// reply is a local response in place of forwarding the request.
type reply struct {
	status  uint32
	headers [][2]string
	body    []byte
	// detail is one line for the debug log, naming what was answered and why.
	detail string
}
