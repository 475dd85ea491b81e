package shadowtag

import (
	"strings"

	"github.com/laneway/laneway/filters/proxyhost"
)

// shadowSuffix is what Envoy appends to the host of a mirrored request.
const shadowSuffix = "-shadow"

// trimShadowSuffix returns h without a trailing "-shadow" (any case) and whether it had
// one; "-shadow" alone is not a suffixed host.
func trimShadowSuffix(h string) (string, bool) {
	n := len(h) - len(shadowSuffix)
	// ASCII case-insensitively, as strings.EqualFold would: 7 bytes holding 7 runes are all ASCII.
	if n <= 0 || !proxyhost.HasPrefixFold(h[n:], shadowSuffix) {
		return h, false
	}
	return h[:n], true
}

// splitHostPort splits an authority at its port colon; a colon inside brackets, a
// non-numeric port or a bare IPv6 address leave the whole text as the host.
func splitHostPort(a string) (host, port string) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 || strings.LastIndexByte(a, ']') > i {
		return a, ""
	}
	if a[0] != '[' && strings.IndexByte(a, ':') != i {
		return a, "" // unbracketed IPv6 literal
	}
	for j := i + 1; j < len(a); j++ {
		if a[j] < '0' || a[j] > '9' {
			return a, ""
		}
	}
	return a[:i], a[i+1:]
}

// parseAuthority returns the host and port of an :authority value with Envoy's mirror
// suffix removed, and whether the suffix was there, in either historical form:
// "svc-shadow:8080" (Envoy >= 1.6) or "svc:8080-shadow" (before). It never allocates.
func parseAuthority(a string) (host, port string, shadow bool) {
	if rest, ok := trimShadowSuffix(a); ok {
		host, port = splitHostPort(rest)
		if host != "" {
			return host, port, true
		}
	}
	host, port = splitHostPort(a)
	if h, ok := trimShadowSuffix(host); ok {
		return h, port, true
	}
	return host, port, false
}

// restoreAuthority returns a without Envoy's mirror suffix, keeping the port, and
// whether there was a suffix to remove. It allocates only for "svc-shadow:8080".
func restoreAuthority(a string) (string, bool) {
	if rest, ok := trimShadowSuffix(a); ok {
		if h, _ := splitHostPort(rest); h != "" {
			return rest, true
		}
	}
	host, _ := splitHostPort(a)
	if h, ok := trimShadowSuffix(host); ok {
		return h + a[len(host):], true
	}
	return a, false
}

// appendRestoredAuthority is restoreAuthority appending to dst: it never allocates beyond dst's growth.
func appendRestoredAuthority(dst []byte, a string) ([]byte, bool) {
	if rest, ok := trimShadowSuffix(a); ok {
		if h, _ := splitHostPort(rest); h != "" {
			return append(dst, rest...), true
		}
	}
	host, _ := splitHostPort(a)
	if h, ok := trimShadowSuffix(host); ok {
		return append(append(dst, h...), a[len(host):]...), true
	}
	return dst, false
}

// destinationHost is the allow-list key of an authority: host without port, mirror
// suffix or one trailing dot.
func destinationHost(a string) string {
	host, _, _ := parseAuthority(a)
	if len(host) > 1 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	return host
}

// allowed reports whether host matches an allow-list entry: exactly, or as a
// subdomain of a "*." entry; case-insensitive.
func allowed(list []string, host string) bool {
	for _, e := range list {
		if len(e) > 2 && e[0] == '*' && e[1] == '.' {
			suf := e[1:]
			if len(host) > len(suf) && strings.EqualFold(host[len(host)-len(suf):], suf) {
				return true
			}
			continue
		}
		if strings.EqualFold(host, e) {
			return true
		}
	}
	return false
}
