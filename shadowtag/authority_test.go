package shadowtag

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseAuthorityRecognisesBothSuffixForms(t *testing.T) {
	for _, tc := range []struct {
		name, in, host, port string
		shadow               bool
		restored             string
	}{
		{"current form with port", "svc-shadow:8080", "svc", "8080", true, "svc:8080"},
		{"old form with port", "svc:8080-shadow", "svc", "8080", true, "svc:8080"},
		{"either form without port", "svc-shadow", "svc", "", true, "svc"},
		{"a fully qualified name in the current form", "svc.ns.svc.cluster.local-shadow:80", "svc.ns.svc.cluster.local", "80", true, "svc.ns.svc.cluster.local:80"},
		{"an upper-case suffix", "SVC-SHADOW:80", "SVC", "80", true, "SVC:80"},
		{"an IPv6 literal in the current form", "[fd00::1]-shadow:8080", "[fd00::1]", "8080", true, "[fd00::1]:8080"},
		{"an IPv6 literal in the old form", "[fd00::1]:8080-shadow", "[fd00::1]", "8080", true, "[fd00::1]:8080"},
		{"an IPv6 literal without port", "[::1]-shadow", "[::1]", "", true, "[::1]"},
		{"a plain host with port", "svc:8080", "svc", "8080", false, "svc:8080"},
		{"a plain IPv6 literal with port", "[::1]:80", "[::1]", "80", false, "[::1]:80"},
		{"a plain IPv6 literal without port", "[::1]", "[::1]", "", false, "[::1]"},
		{"an unbracketed IPv6 address", "fd00::1", "fd00::1", "", false, "fd00::1"},
		{"the bare suffix", "-shadow", "-shadow", "", false, "-shadow"},
		{"a host that merely contains shadow", "shadowfax:80", "shadowfax", "80", false, "shadowfax:80"},
		{"an empty authority", "", "", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, port, shadow := parseAuthority(tc.in)
			assert.Equal(t, tc.host, host, "host")
			assert.Equal(t, tc.port, port, "port")
			assert.Equal(t, tc.shadow, shadow, "shadow")
			restored, ok := restoreAuthority(tc.in)
			assert.Equal(t, tc.restored, restored, "restored")
			assert.Equal(t, tc.shadow, ok, "restored something")
		})
	}
}

func TestAllowListMatchesExactHostsAndWildcardSubdomains(t *testing.T) {
	list := []string{"audit", "*.stubs.svc.cluster.local", "[fd00::7]"}
	for _, tc := range []struct {
		authority string
		want      bool
	}{
		{"audit:8080", true},
		{"AUDIT", true},
		{"audit-shadow:8080", true},
		{"audit:8080-shadow", true},
		{"audit.", true},
		{"auditor", false},
		{"ledger.stubs.svc.cluster.local:80", true},
		{"stubs.svc.cluster.local", false},
		{"evilstubs.svc.cluster.local", false},
		{"[fd00::7]:9000", true},
		{"[fd00::8]:9000", false},
		{"", false},
	} {
		assert.Equal(t, tc.want, allowed(list, destinationHost(tc.authority)), tc.authority)
	}
}

func FuzzAuthority(f *testing.F) {
	for _, s := range []string{"svc-shadow:8080", "svc:8080-shadow", "svc-\u017fhadow", "svc-SHADOW", "svc\u212a-shadow", "[::1]-shadow:1", "[::1]:1-shadow", ":-shadow", "[", "]:", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, a string) {
		host, port, shadow := parseAuthority(a)
		restored, ok := restoreAuthority(a)
		if ok != shadow {
			t.Fatalf("parse and restore disagree on %q", a)
		}
		if !shadow && restored != a {
			t.Fatalf("%q changed without a suffix: %q", a, restored)
		}
		if shadow && len(restored) != len(a)-len(shadowSuffix) {
			t.Fatalf("%q restored to %q: must lose exactly the suffix", a, restored)
		}
		// The suffix is found ASCII case-insensitively, exactly where Unicode folding (strings.EqualFold) finds it.
		n := len(a) - len(shadowSuffix)
		if _, got := trimShadowSuffix(a); got != (n > 0 && strings.EqualFold(a[n:], shadowSuffix)) {
			t.Fatalf("trimShadowSuffix(%q) = %v, strings.EqualFold disagrees", a, got)
		}
		if len(host)+len(port) > len(a) {
			t.Fatalf("%q: host %q port %q longer than input", a, host, port)
		}
		_ = allowed([]string{"*.x", "x"}, destinationHost(a))
	})
}

func TestIsTrue(t *testing.T) {
	for v, want := range map[string]bool{
		"1": true, " 1\t": true, "true": true, "TRUE": true, "\tTrue ": true,
		"": false, "0": false, "false": false, "yes": false, "1 1": false, "tru": false, "\u017f": false,
	} {
		assert.Equal(t, want, isTrue(v), "%q", v)
		assert.Equal(t, strings.Trim(v, " \t") == "1" || strings.EqualFold(strings.Trim(v, " \t"), "true"), isTrue(v), "%q", v)
	}
}
