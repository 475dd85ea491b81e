package proxy

import (
	"strings"

	"github.com/laneway/laneway/testenv"
)

// Matches reports whether value satisfies m (a presence match holds for any value).
func (m *StringMatch) Matches(value string) bool {
	switch m.kind {
	case matchExact:
		return value == m.Exact
	case matchPrefix:
		return strings.HasPrefix(value, m.Prefix)
	case matchRegex:
		return m.re.MatchString(value)
	}
	return true
}

// matchesHeader applies m to a header: absent headers never match; a repeated header is
// matched against its values joined with ",", as Envoy does.
func (m *StringMatch) matchesHeader(h testenv.Headers, name string) bool {
	vs := h.Values(name)
	if len(vs) == 0 {
		return false
	}
	return m.Matches(strings.Join(vs, ","))
}

// Matches reports whether every condition of m holds for the request headers h.
func (m *MatchConfig) Matches(h testenv.Headers) bool {
	for name, sm := range m.Headers {
		if !sm.matchesHeader(h, name) {
			return false
		}
	}
	for name, sm := range m.WithoutHeaders {
		if sm.matchesHeader(h, name) {
			return false
		}
	}
	pseudo := func(sm *StringMatch, key string) bool {
		if sm == nil {
			return true
		}
		v, _ := h.Get(key)
		if key == ":path" && sm.kind != matchPrefix {
			// Envoy matches exact paths and path regexes without the query string; prefixes see it.
			if i := strings.IndexByte(v, '?'); i >= 0 {
				v = v[:i]
			}
		}
		return sm.Matches(v)
	}
	return pseudo(m.URI, ":path") && pseudo(m.Authority, ":authority") && pseudo(m.Method, ":method")
}

// Matches reports whether r applies to the request: any of its alternatives holds, or it has none.
func (r *RouteConfig) Matches(h testenv.Headers) bool {
	if len(r.Match) == 0 {
		return true
	}
	for i := range r.Match {
		if r.Match[i].Matches(h) {
			return true
		}
	}
	return false
}

// selectRoute returns the index of the first matching route, or -1.
func selectRoute(routes []RouteConfig, h testenv.Headers) int {
	for i := range routes {
		if routes[i].Matches(h) {
			return i
		}
	}
	return -1
}

// ShadowAuthority is Envoy's mirror host rewrite: "-shadow" appended to the host part,
// before any port ("svc:8080" becomes "svc-shadow:8080").
func ShadowAuthority(authority string) string {
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i:]
	}
	return host + "-shadow" + port
}

// Exact returns the StringMatch {exact: v}, for configs built in Go rather than parsed.
func Exact(v string) StringMatch { return StringMatch{Exact: v, kind: matchExact} }
