package testenv

import "strings"

// SetProperty gives this stream a host attribute of its own, ahead of the VM's (VMOptions.Properties),
// for what Envoy keeps per connection or per stream rather than per plugin: for example the filter state
// an Istio waypoint sets from each caller's certificate (path "filter_state\x00io.istio.peer_principal").
// Path segments are separated by '.', or by NUL when a segment contains dots; set it before
// RequestHeaders. request.* and response.* cannot be set: they come from the stream.
func (s *HTTPStream) SetProperty(path string, value []byte) {
	if !strings.Contains(path, "\x00") {
		path = strings.ReplaceAll(path, ".", "\x00")
	}
	if s.props == nil {
		s.props = map[string][]byte{}
	}
	s.props[path] = value
}
