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
