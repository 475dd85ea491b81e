package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Lookup has a fast path for a token key when no limit can apply; around that boundary and on keys
// that occur in other members' text it must still agree with Parse(values).Get(key).
func TestLookupAgreesWithGetAroundItsFastPath(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		key    string
	}{
		{"key only inside another member's value", []string{"a=k,b=k=1"}, "k"},
		{"key as a prefix of a longer key", []string{"kk=1,k=2"}, "k"},
		{"key after spaces and tabs", []string{"a=1, \tk=2"}, "k"},
		{"key after a space that is not at an element start", []string{"a=1 k=2"}, "k"},
		{"key in properties", []string{"a=1;k=2,k=3"}, "k"},
		{"malformed member under the key is dropped", []string{"k=a b,k=2"}, "k"},
		{"agreeing duplicates", []string{"k=1", "x=y,k=1"}, "k"},
		{"disagreeing duplicates", []string{"k=1,k=2"}, "k"},
		{"escaped duplicates that decode alike", []string{"k=%41,k=A"}, "k"},
		{"escaped duplicates that differ", []string{"k=%41,k=B"}, "k"},
		{"escaped value", []string{"k=a%20b"}, "k"},
		{"empty key", []string{"k=1"}, ""},
		{"key that is not a token", []string{"k v=1"}, "k v"},
		{"key with '='", []string{"k=1"}, "k="},
		{"key starting with a space", []string{"a=1, k=2"}, " k"},
		{"key containing a comma", []string{"k=1,x=2"}, "1,x"},
		{"key containing a comma that spans elements", []string{"a=1,k,k=2"}, "k,k"},
		{"empty elements", []string{",,k=1,,", ""}, "k"},
		{"64 members then the key", []string{genMembers(63, 0), "k=1"}, "k"},
		{"65 members then the key", []string{genMembers(64, 0), "k=1"}, "k"},
		{"64 elements some empty", []string{genMembers(62, 0) + ",,k=1"}, "k"},
		{"key ending exactly at MaxBytes", []string{member("a", MaxBytes-4), "k=1"}, "k"},
		{"key ending past MaxBytes", []string{member("a", MaxBytes-3), "k=1"}, "k"},
		{"key before the byte limit is reached", []string{"k=1," + member("a", MaxBytes)}, "k"},
		{"key duplicated past the byte limit", []string{"k=1," + member("a", MaxBytes-10) + ",k=2"}, "k"},
		{"many values", strings.Split(genMembers(70, 0)+",k=3", ","), "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Parse(tt.values)
			want, wantOK := b.Get(tt.key)
			got, ok := Lookup(tt.values, tt.key)
			assert.Equal(t, wantOK, ok)
			assert.Equal(t, want, got)
		})
	}
}

func TestAnyValueSeesEveryKeptOccurrence(t *testing.T) {
	one := func(v string) bool { return v == "1" }
	for _, tt := range []struct {
		name   string
		values []string
		want   bool
	}{
		{"no baggage", nil, false},
		{"the key is absent", []string{"a=1"}, false},
		{"the only occurrence matches", []string{"a=2,k=1"}, true},
		{"the only occurrence does not match", []string{"k=0"}, false},
		{"a matching occurrence among conflicting ones (Lookup: absent)", []string{"k=0,k=1"}, true},
		{"a matching occurrence in a later header", []string{"k=0", "k=1"}, true},
		{"values are compared decoded", []string{"k=0,k=%31"}, true},
		{"a malformed occurrence is not read", []string{"k=0,k=1\u00a0"}, false},
		{"an occurrence beyond the member limit is not read", []string{"k=0," + genMembers(63, 0) + ",k=1"}, false},
		{"the key text inside another member is not an occurrence", []string{"xk=1,a=k=1"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, AnyValue(tt.values, "k", one))
		})
	}
}

func TestHasFindsAKeptMemberOfTheExactKey(t *testing.T) {
	assert.True(t, Has([]string{"a=1", "k=1,k=2"}, "k"), "conflicting occurrences still count")
	assert.False(t, Has([]string{"a=k,k%2D=1,kk=1"}, "k"), "mentions and other keys do not")
	assert.False(t, Has([]string{"k=a b"}, "k"), "a malformed member is not kept")
	assert.Zero(t, testing.AllocsPerRun(50, func() { _ = Has([]string{"a=1,k%2D=%41,k=%41"}, "k") }))
}

// FuzzLookupAgreesWithGet: Lookup is Parse(values).Get(key) for any values and key. The key's text is placed
// in the first value between two fuzzed strings, so that its occurrences reach Lookup's member fast path
// (plainMember), the general path after it and every way out of them.
func FuzzLookupAgreesWithGet(f *testing.F) {
	for _, s := range seeds {
		f.Add("a=1,", "k", strings.TrimPrefix(s, "k"), "b=2")
	}
	for _, post := range []string{"=sbx-1", "=sbx-1,", " = sbx-1 ,x=1", "\t=\t%41\t", "=%4", "=%4,", "=a;p", "=a ;p=1", "=a b",
		"=a,laneway-tenant=a", "=a,laneway-tenant=b", "=%61,laneway-tenant=a", "x=1", "", "=", "= ", "=\"q\"", "=a\x80"} {
		f.Add("userid=42,", "laneway-tenant", post, "")
		f.Add(" \t", "laneway-tenant", post, "laneway-tenant=a")
	}
	f.Add("x", "laneway-tenant", "=a", "")
	f.Add("a=1,", "sd-routing-key", "=b", "laneway-tenant=a")
	f.Add("a=1,", "laneway-synthetic", "=1", "")
	f.Add("a=1,", "k(", "=1", "")
	f.Add("a=1,", "laneway-tenant\x7f", "=1", "")
	f.Fuzz(func(t *testing.T, pre, key, post, h2 string) {
		values := []string{pre + key + post, h2}
		if h2 == "" {
			values = values[:1]
		}
		b := Parse(values)
		want, wantOK := b.Get(key)
		got, ok := Lookup(values, key)
		if ok != wantOK || got != want {
			t.Fatalf("Lookup(%q, %q) = %q, %v; Get: %q, %v", values, key, got, ok, want, wantOK)
		}
		k := MakeKey(key)
		got, ok = LookupKey(values, &k)
		if ok != wantOK || got != want || k.Name() != key {
			t.Fatalf("LookupKey(%q, MakeKey(%q)) = %q, %v; Get: %q, %v", values, key, got, ok, want, wantOK)
		}
	})
}

// LookupKey answers as Lookup does for the same key, including the zero Key (the empty key).
func TestLookupKeyIsLookup(t *testing.T) {
	for _, values := range [][]string{{"k=1"}, {"=1"}, {"k(=1,k=2"}, {"a=1,k=%41"}, {"k=1,k=2"}, {genMembers(64, 0), "k=1"}} {
		for _, key := range []string{"", "k", "k(", " k", "m1"} {
			want, wantOK := Lookup(values, key)
			k := MakeKey(key)
			got, ok := LookupKey(values, &k)
			assert.Equal(t, wantOK, ok, "%q %q", values, key)
			assert.Equal(t, want, got, "%q %q", values, key)
		}
		got, ok := LookupKey(values, &Key{})
		want, wantOK := Lookup(values, "")
		assert.Equal(t, wantOK, ok)
		assert.Equal(t, want, got)
	}
	k := MakeKey("laneway-tenant")
	assert.Zero(t, testing.AllocsPerRun(50, func() { _, _ = LookupKey([]string{"a=1,laneway-tenant=x"}, &k) }))
}
