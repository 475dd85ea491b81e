package compare

import "strings"

// IDPlaceholder replaces the path segments FoldPath takes for identifiers.
const IDPlaceholder = "{id}"

// Endpoint groups requests: the service, the method and the path with identifiers folded.
type Endpoint struct {
	Service string `json:"service"`
	Method  string `json:"method"`
	Path    string `json:"path"`
}

// Key is the endpoint's one-string name: "service METHOD /folded/path".
func (e Endpoint) Key() string { return e.Service + " " + e.Method + " " + e.Path }

// ParseEndpointKey splits a Key back into its endpoint.
func ParseEndpointKey(k string) (Endpoint, bool) {
	svc, rest, ok := strings.Cut(k, " ")
	if !ok {
		return Endpoint{}, false
	}
	m, p, ok := strings.Cut(rest, " ")
	if !ok || svc == "" || m == "" || !strings.HasPrefix(p, "/") {
		return Endpoint{}, false
	}
	return Endpoint{Service: svc, Method: m, Path: p}, true
}

// EndpointOf returns the endpoint a capture belongs to.
func EndpointOf(c *Capture) Endpoint {
	return Endpoint{Service: c.Service, Method: strings.ToUpper(c.Method), Path: FoldPath(c.Path)}
}

// FoldPath strips the query and fragment and replaces identifier segments (all digits, a UUID,
// or 16 or more hex digits) with {id}: /orders/42/items/9f86d081884c7d65?x=1 -> /orders/{id}/items/{id}.
func FoldPath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		return "/"
	}
	fold := false
	for seg := range strings.SplitSeq(p, "/") {
		if isID(seg) {
			fold = true
			break
		}
	}
	if !fold {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i, seg := range strings.Split(p, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if isID(seg) {
			b.WriteString(IDPlaceholder)
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

// isID reports whether a path segment is an identifier: digits, a UUID, or long hex.
func isID(s string) bool {
	if s == "" {
		return false
	}
	digits, hex := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			digits = false
		}
		if !isHex(c) {
			hex = false
		}
	}
	return digits || hex && len(s) >= 16 || isUUID(s)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return false
			}
		} else if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
