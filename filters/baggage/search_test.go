package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// indexSeeds are (text, key) pairs around index's cases: lengths, the first and last byte, false starts up to
// and past maxFalseStarts, overlapping occurrences.
var indexSeeds = [][2]string{
	{"", ""}, {"abc", ""}, {"", "a"}, {"a", "a"}, {"a", "ab"}, {"ab", "ab"}, {"xab", "ab"}, {"abx", "ab"},
	{"userid=42,laneway-tenant=sbx-1", "laneway-tenant"},
	{"userid=42,laneway-tenant=sbx-1", "laneway-shadow"},
	{"userid=42,laneway-tenant=sbx-1", "laneway-synthetic"},
	{"laneway-tenant=acme,sd-routing-key=abc123", "laneway-synthetic"},
	{"userid=42", "laneway-tenant"},
	{"aaaaaaaaaaaaaaaaaaaaaaaab", "aab"}, {"aaaaaaaaaaaaaaaaaaaaaaaa", "aab"},
	{"abababababababababababac", "abac"}, {"xaxbxaxbxaxbxaxbxaxbxaxbxab", "xab"},
	{strings.Repeat("ka", 20) + "k=1", "k="}, {strings.Repeat("k", 9) + "=", "k="}, {strings.Repeat("k", 8) + "=", "k="},
	{"kkk", "kk"}, {"k=1,k=2", "k"}, {"é=1,€=2", "€"}, {"a\x00b", "\x00"},
	{"laneway-tenant=sbx-1", "laneway-tenant"}, {"x,laneway-synthetic=1", "laneway-synthetic"},
	{"userid=42,laneway-synthetic=1;p,laneway-synthetic-x=2", "laneway-synthetic"},
	{strings.Repeat("laneway-x", 12) + "laneway-shadow", "laneway-shadow"},
	{strings.Repeat("lllllllw", 5), "lllllllw"}, {strings.Repeat("\x01", 40) + "\x00\x01", "\x00\x01\x01\x01\x01\x01\x01\x01"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "aaaaaaaaab"}, {"01234567890123456789012345678901234", "5678901234567890123456789"},
}

func TestIndexAgreesWithStringsIndex(t *testing.T) {
	for _, tt := range indexSeeds {
		require.Equal(t, strings.Index(tt[0], tt[1]), index(tt[0], tt[1]), "index(%q, %q)", tt[0], tt[1])
	}
}

// FuzzIndex: index is strings.Index, for any text and key.
func FuzzIndex(f *testing.F) {
	for _, tt := range indexSeeds {
		f.Add(tt[0], tt[1])
	}
	f.Fuzz(func(t *testing.T, s, key string) {
		require.Equal(t, strings.Index(s, key), index(s, key), "index(%q, %q)", s, key)
	})
}

// lookupElseAnyWant is what LookupElseAny must return: Lookup's answer and, without a value, AnyValue's.
func lookupElseAnyWant(values []string, key string, match func(string) bool) (string, bool, bool) {
	v, ok := Lookup(values, key)
	if ok {
		return v, true, false
	}
	return "", false, AnyValue(values, key, match)
}

func checkLookupElseAny(t *testing.T, values []string, key string) {
	t.Helper()
	for name, match := range map[string]func(string) bool{
		"is 1":   func(v string) bool { return v == "1" },
		"any":    func(string) bool { return true },
		"none":   func(string) bool { return false },
		"is tru": func(v string) bool { return strings.EqualFold(strings.Trim(v, " \t"), "true") },
	} {
		wv, wok, wany := lookupElseAnyWant(values, key, match)
		v, ok, gotAny := LookupElseAny(values, key, match)
		require.Equal(t, wok, ok, "LookupElseAny(%q, %q), match %s: found", values, key, name)
		require.Equal(t, wv, v, "LookupElseAny(%q, %q), match %s: value", values, key, name)
		require.Equal(t, wany, gotAny, "LookupElseAny(%q, %q), match %s: any", values, key, name)
	}
}

func TestLookupElseAnyAgreesWithLookupAndAnyValue(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		key    string
	}{
		{"no values", nil, "k"},
		{"key absent", []string{"userid=42,laneway-tenant=sbx-1"}, "laneway-shadow"},
		{"key present", []string{"userid=42,laneway-shadow=1"}, "laneway-shadow"},
		{"key only in a value", []string{"a=laneway-shadow"}, "laneway-shadow"},
		{"key as a prefix of a longer key", []string{"laneway-shadowx=1"}, "laneway-shadow"},
		{"disagreeing duplicates, one says 1", []string{"k=0,k=1"}, "k"},
		{"disagreeing duplicates across values", []string{"k=0", "k=1"}, "k"},
		{"agreeing escaped duplicates", []string{"k=%31,k=1"}, "k"},
		{"malformed member under the key", []string{"k=1 2,k=3"}, "k"},
		{"value shorter than the key", []string{"k=1"}, "longer-key"},
		{"empty key", []string{"=1,k=1"}, ""},
		{"key starting with a space", []string{"a=1, k=1"}, " k"},
		{"key holding a comma", []string{"k=1,k=2"}, "1,k"},
		{"duplicates past the member limit", []string{genMembers(64, 0), "m1=x"}, "m1"},
		{"key past the byte limit", []string{member("a", MaxBytes-3), "k=1"}, "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLookupElseAny(t, tt.values, tt.key)
		})
	}
}

// FuzzLookupElseAny: whatever the values and key, LookupElseAny answers as Lookup and AnyValue do.
func FuzzLookupElseAny(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "b=2", "k")
	}
	f.Add("userid=42,laneway-tenant=sbx-1", "", "laneway-shadow")
	f.Add("k=0,k=1", "k=1", "k")
	f.Add(genMembers(63, 0), "k=1,z=2", "z")
	f.Add(member("a", 8000), member("b", 191), "b")
	f.Fuzz(func(t *testing.T, h1, h2, key string) {
		values := []string{h1, h2}
		if h2 == "" {
			values = values[:1]
		}
		checkLookupElseAny(t, values, key)
	})
}
