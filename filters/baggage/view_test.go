package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkViewAgrees asks a View watching keys every question about values, in an order that makes the search
// start from each key in turn, and requires the functions' answers.
func checkViewAgrees(t *testing.T, values []string, keys []string) {
	t.Helper()
	isOne := func(v string) bool { return v == "1" }
	var x View
	ks := x.Watch(keys...)
	for first := range keys {
		x.Reset()
		for i := range keys {
			j := (first + i) % len(keys)
			k, key := ks[j], keys[j]
			if k == nil {
				continue
			}
			for _, ask := range []string{key, key + "x", "other"} { // the watched key, and keys it does not answer for
				v, ok := k.Lookup(values, ask)
				wv, wok := Lookup(values, ask)
				require.Equal(t, wok, ok, "Lookup(%q, %q)", values, ask)
				require.Equal(t, wv, v, "Lookup(%q, %q)", values, ask)
				require.Equal(t, Has(values, ask), k.Has(values, ask), "Has(%q, %q)", values, ask)
				require.Equal(t, AnyValue(values, ask, isOne), k.AnyValue(values, ask, isOne), "AnyValue(%q, %q)", values, ask)
				require.Equal(t, Mentions(values, ask), k.Mentions(values, ask), "Mentions(%q, %q)", values, ask)
				require.Equal(t, MentionedOnce(values, ask), k.MentionedOnce(values, ask), "MentionedOnce(%q, %q)", values, ask)
				require.Equal(t, MayHoldKeys(values, ask), k.MayHoldKey(values, ask), "MayHoldKeys(%q, %q)", values, ask)
				require.Equal(t, HasEscapedKeys(values), k.HasEscapedKeys(values), "HasEscapedKeys(%q)", values)
			}
		}
	}
	// Other values than the ones searched (the same text in other memory too) get the functions' answers.
	other := make([]string, len(values))
	for i, v := range values {
		other[i] = strings.Clone(v + ",")
	}
	for j, k := range ks {
		if k == nil {
			continue
		}
		v, ok := k.Lookup(other, keys[j])
		wv, wok := Lookup(other, keys[j])
		require.Equal(t, wok, ok)
		require.Equal(t, wv, v)
		require.Equal(t, MentionedOnce(other, keys[j]), k.MentionedOnce(other, keys[j]))
	}
}

func TestViewAgreesWithTheFunctions(t *testing.T) {
	keys := []string{"laneway-synthetic", "laneway-shadow", "laneway-tenant"}
	tests := []struct {
		name   string
		values []string
	}{
		{"no values", nil},
		{"one empty value", []string{""}},
		{"the all-roles request", []string{"userid=42,laneway-tenant=sbx-1"}},
		{"every key", []string{"laneway-shadow=1,laneway-synthetic=1;id=t-1, laneway-tenant = sbx-1 ;p"}},
		{"keys inside values and other keys", []string{"a=laneway-tenant,laneway-tenantx=1,xlaneway-shadow=1"}},
		{"overlapping and repeated text", []string{"laneway-tenant=laneway-tenant,laneway-tenant=laneway-tenant"}},
		{"agreeing duplicates across values", []string{"laneway-tenant=a", "x=1,laneway-tenant=%61"}},
		{"disagreeing duplicates", []string{"laneway-tenant=a,laneway-tenant=b"}},
		{"malformed member under the key", []string{"laneway-shadow=a b,laneway-shadow=1"}},
		{"escaped key", []string{"laneway%2Dshadow=1"}},
		{"plus in a key", []string{"laneway-tenant+=1"}},
		{"key spanning two values", []string{"a=laneway-", "tenant=1"}},
		{"many first-byte hits", []string{strings.Repeat("l", 200) + ",laneway-tenant=x"}},
		{"more values than searched", []string{"a=1", "b=2", "c=3", "d=4", "laneway-tenant=x"}},
		{"65 members then the key", []string{genMembers(64, 0), "laneway-tenant=1"}},
		{"key past the byte limit", []string{member("a", MaxBytes-3), "laneway-tenant=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkViewAgrees(t, tt.values, keys)
			checkViewAgrees(t, tt.values, []string{"k", "kk", "laneway-tenant", "sd-routing-key"})
		})
	}
}

// FuzzViewAgreesWithTheFunctions: whatever the values and keys, a View's answers are the functions'.
func FuzzViewAgreesWithTheFunctions(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "b=2", "k", "laneway-tenant")
	}
	f.Add("userid=42,laneway-tenant=sbx-1", "", "laneway-shadow", "laneway-tenant")
	f.Add("kk=1,k=2", "k,k=3", "k", "kk")
	f.Add(genMembers(63, 0), "k=1,z=2", "z", "m1")
	f.Add(member("a", 8000), member("b", 191), "b", "a")
	f.Fuzz(func(t *testing.T, h1, h2, k1, k2 string) {
		values := []string{h1, h2}
		if h2 == "" {
			values = values[:1]
		}
		checkViewAgrees(t, values, []string{k1, k2})
	})
}
