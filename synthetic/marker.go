package synthetic

import (
	"math/rand/v2"

	"github.com/laneway/laneway/filters/baggage"
)

// MaxTxIDLen is the longest transaction id accepted.
const MaxTxIDLen = 64

// ValidTxID reports whether s is a transaction id: 1 to 64 of A-Z a-z 0-9 _ -.
func ValidTxID(s string) bool {
	if s == "" || len(s) > MaxTxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}

// NewTxID returns a fresh transaction id: 32 lowercase hex characters from math/rand/v2.
func NewTxID() string { return string(AppendTxID(nil)) }

// AppendTxID appends a fresh transaction id (as NewTxID returns) to dst.
func AppendTxID(dst []byte) []byte {
	const digits = "0123456789abcdef"
	for half := 0; half < 2; half++ {
		v := rand.Uint64()
		for i := 0; i < 16; i++ {
			dst = append(dst, digits[v&0xf])
			v >>= 4
		}
	}
	return dst
}

// NormalisedValue returns the marker header value the application receives: `1;id=<txid>`.
func NormalisedValue(txid string) string { return markerPrefix + txid }

const markerPrefix = "1;id="

// parseHeaderMarker parses a marker header value `1` or `1;id=<txid>` (spaces
// and tabs allowed around ';' and at both ends); ok is false for anything else.
func parseHeaderMarker(v string) (id string, ok bool) {
	v = baggage.TrimOWS(v)
	if v == "" || v[0] != '1' {
		return "", false
	}
	rest := baggage.TrimOWS(v[1:])
	if rest == "" {
		return "", true
	}
	if rest[0] != ';' {
		return "", false
	}
	rest = baggage.TrimOWS(rest[1:])
	if len(rest) < 3 || rest[:3] != "id=" {
		return "", false
	}
	id = rest[3:]
	if !ValidTxID(id) {
		return "", false
	}
	return id, true
}

// parseBaggageMarker parses a marker baggage value: `1` (no id) or a txid.
func parseBaggageMarker(v string) (id string, ok bool) {
	if v == "1" {
		return "", true
	}
	if ValidTxID(v) {
		return v, true
	}
	return "", false
}
