package proxyhost

// HasPrefixFold reports whether name starts with the lower-case prefix, ASCII case-insensitively (header names
// are tokens: ASCII only).
func HasPrefixFold(name, prefix string) bool {
	if len(name) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		b := name[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != prefix[i] {
			return false
		}
	}
	return true
}
