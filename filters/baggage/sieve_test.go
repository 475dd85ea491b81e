package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sieveWant is what MayHold must say at least: the keys MayHoldKeys says some value may hold.
func sieveWant(values []string, a, b string) int {
	r := 0
	if MayHoldKeys(values, a) {
		r |= SieveA
	}
	if MayHoldKeys(values, b) {
		r |= SieveB
	}
	return r
}

func TestSieveOfOneKeyLooksForItOnce(t *testing.T) {
	s := NewSieve("laneway-shadow", "laneway-shadow")
	assert.Equal(t, 0, s.MayHold([]string{"userid=42,laneway-tenant=sbx-1"}))
	assert.Equal(t, 0, s.MayHold([]string{"a=slow,b=2"}), "the run \"ow\" occurs, the key does not")
	assert.Equal(t, SieveA|SieveB, s.MayHold([]string{"userid=42,laneway-shadow=1"}))
	assert.Equal(t, SieveA|SieveB, s.MayHold([]string{"laneway%2Dshadow=1"}))
}

func TestSieveTellsTheLanewayKeysApart(t *testing.T) {
	s := NewSieve("laneway-synthetic", "laneway-shadow")
	for _, tc := range []struct {
		values []string
		want   int
	}{
		{nil, 0},
		{[]string{"userid=42,laneway-tenant=sbx-1"}, 0},
		{[]string{"laneway-synthetic=1"}, SieveA},
		{[]string{"a=1", "x=laneway-shadow"}, SieveB},
		{[]string{"laneway-shadow=1,laneway-synthetic=1;id=2"}, SieveA | SieveB},
		{[]string{"laneway%2Dshadow=1"}, SieveA | SieveB},
		{[]string{"a+b=1"}, SieveA | SieveB},
		{[]string{"-s"}, 0},
		{[]string{"yn", "-s"}, 0},
		{[]string{"x", "%"}, SieveA | SieveB},
		{[]string{"", "laneway-shadow"}, SieveB},
		{[]string{strings.Repeat("x", 40) + "laneway-shadow"}, SieveB},
		{[]string{strings.Repeat("x", 40) + "laneway-s", "hadow"}, 0},
		{[]string{strings.Repeat("x", 40) + "+"}, SieveA | SieveB},
	} {
		got := s.MayHold(tc.values)
		assert.Equal(t, tc.want, got, "%q", tc.values)
		want := sieveWant(tc.values, "laneway-synthetic", "laneway-shadow")
		assert.Equal(t, want, got&want, "%q: the sieve must say every key MayHoldKeys says", tc.values)
	}
}

// FuzzSieve holds MayHold to MayHoldKeys (every key it may hold is said) and to the runs the sieve looks for
// (a key is said only when its run or an escape occurs).
func FuzzSieve(f *testing.F) {
	f.Add("laneway-synthetic", "laneway-shadow", "userid=42,laneway-tenant=sbx-1", "laneway-shadow=1")
	f.Add("k", "laneway-shadow", "k=1", "")
	f.Add("ab", "abc", "xxxxxxxxab", "%41")
	f.Add("laneway-shadow", "laneway-shadow", "a=1,x-laneway-shadow=1", "shadow")
	f.Fuzz(func(t *testing.T, a, b, v1, v2 string) {
		s := NewSieve(a, b)
		values := []string{v1, v2}
		got := s.MayHold(values)
		want := sieveWant(values, a, b)
		if got&want != want {
			t.Fatalf("MayHold(%q) for %q, %q = %b, MayHoldKeys says %b", values, a, b, got, want)
		}
		// One key sieved alone says both bits or neither, and both whenever MayHoldKeys says it.
		if one := NewSieve(a, a); one.MayHold(values) != 0 != (one.MayHold(values) == SieveA|SieveB) ||
			MayHoldKeys(values, a) && one.MayHold(values) == 0 {
			t.Fatalf("MayHold(%q) for %q alone = %b", values, a, one.MayHold(values))
		}
		if s.short || strings.ContainsAny(v1+v2, "%+") {
			return
		}
		// Without escapes a key is said only when a run the sieve looks for occurs in some value: the keys' shared
		// run and then MayHoldKeys, or the key's own first run.
		p := 0
		for p < len(a) && p < len(b) && a[p] == b[p] {
			p++
		}
		has := func(run string) bool { return strings.Contains(v1, run) || strings.Contains(v2, run) }
		wantA, wantB := has(a[:2]), has(b[:2])
		if p >= 2 {
			shared := has(a[p-2 : p])
			wantA, wantB = shared && want&SieveA != 0, shared && want&SieveB != 0
		}
		if got&SieveA != 0 != wantA || got&SieveB != 0 != wantB {
			t.Fatalf("MayHold(%q) for %q, %q = %b", values, a, b, got)
		}
	})
}
