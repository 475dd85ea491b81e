package proxyhost

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHasPrefixFold(t *testing.T) {
	cases := []struct {
		name, prefix string
		want         bool
	}{
		{"ot-baggage-tenant", "ot-baggage-", true},
		{"OT-Baggage-tenant", "ot-baggage-", true},
		{"ot-baggage-", "ot-baggage-", true},
		{"ot-baggage", "ot-baggage-", false},
		{"uberctx-x", "ot-baggage-", false},
		{"x-tenant", "", true},
		{"", "", true},
		{"", "x", false},
		{"\xc5\xbfx", "sx", false}, // U+017F folds to s in Unicode, not in ASCII: header names are ASCII tokens
		{"[x", "{x", false},        // '[' is not '{' lower-cased
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.prefix, func(t *testing.T) {
			assert.Equal(t, c.want, HasPrefixFold(c.name, c.prefix))
		})
	}
}

// FuzzHasPrefixFold holds HasPrefixFold to strings.EqualFold on ASCII names and lower-case prefixes.
func FuzzHasPrefixFold(f *testing.F) {
	f.Add("OT-Baggage-k", "ot-baggage-")
	f.Add("uberctx", "uberctx-")
	f.Fuzz(func(t *testing.T, name, prefix string) {
		if !isASCII(name) || !isASCII(prefix) {
			return
		}
		prefix = strings.ToLower(prefix)
		want := len(name) >= len(prefix) && strings.EqualFold(name[:len(prefix)], prefix)
		if got := HasPrefixFold(name, prefix); got != want {
			t.Fatalf("HasPrefixFold(%q, %q) = %v, want %v", name, prefix, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestSameNameWords(t *testing.T) {
	names := []string{"", "a", "ab", "abc", "host", "hosz", ":path", "accept", ":method", ":methoe", "baggage", "baggagf",
		":authority", ":authoritz", "x-request-id", "x-request-ie", "y-request-id", "x-laneway-synthetic", "x-laneway-synthetid",
		"x-laneway-synthetic-token", "x-laneway-synthetic-tokem", "ot-baggage-laneway-synthetic-and-more-than-32"}
	for _, a := range names {
		for _, b := range names {
			assert.Equal(t, a == b, sameNameWords(a, b), "%q vs %q", a, b)
			assert.Equal(t, a == b, SameName(a, b), "%q vs %q", a, b)
		}
	}
	// Substrings of one buffer: unaligned starts, and ends where the next byte differs.
	buf := "xx:authority:authorityy"
	assert.True(t, sameNameWords(buf[2:12], ":authority"))
	assert.True(t, sameNameWords(buf[12:22], ":authority"))
	assert.False(t, sameNameWords(buf[13:23], ":authority"))
}

// FuzzSameNameWords holds the word comparison to == on any two strings, equal lengths included.
func FuzzSameNameWords(f *testing.F) {
	f.Add("x-laneway-tenant", "x-laneway-tenanT")
	f.Add(":authority", ":authority")
	f.Add("abc", "abd")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got := sameNameWords(a, b); got != (a == b) {
			t.Fatalf("sameNameWords(%q, %q) = %v", a, b, got)
		}
		// The same length, differing (or not) in one byte.
		if len(a) > 0 {
			c := []byte(a)
			c[len(c)/2] ^= byte(len(b)) & 1
			if got := sameNameWords(a, string(c)); got != (a == string(c)) {
				t.Fatalf("sameNameWords(%q, %q) = %v", a, c, got)
			}
		}
	})
}
