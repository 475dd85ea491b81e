package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// member returns "key=xxx…" exactly n bytes long.
func member(key string, n int) string {
	return key + "=" + strings.Repeat("x", n-len(key)-1)
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name     string
		values   []string
		wantLen  int
		wantLast string // key of the last kept member
		dropped  int
	}{
		{"64 members are all kept", []string{genMembers(64, 0)}, 64, "m63", 0},
		{"the 65th member is dropped", []string{genMembers(65, 0)}, 64, "m63", 1},
		{"the member limit applies across headers", []string{genMembers(40, 0), genMembers(25, 40)}, 64, "m63", 1},
		{"every member beyond the member limit is counted", []string{genMembers(70, 0), "bad, z=1"}, 64, "m63", 8},
		{"malformed members do not count towards the member limit", []string{"bad1," + genMembers(64, 0) + ",bad2"}, 64, "m63", 2},
		{"exactly 8192 bytes across two headers are kept", []string{member("a", 4096), member("b", 4095)}, 2, "b", 0},
		{"8193 bytes across two headers drop the last member", []string{member("a", 4096), member("b", 4096)}, 1, "a", 1},
		{"a member straddling the byte limit is dropped whole with all after it", []string{member("a", 8000), member("big", 400) + ",c=1"}, 1, "a", 2},
		{"a member ending exactly at the byte limit is kept", []string{member("a", 8000) + "," + member("b", 191)}, 2, "b", 0},
		{"blanks after the last byte-limited member do not drop it", []string{member("a", 8192) + "   ", " "}, 1, "a", 0},
		{"malformed members count towards the byte limit", []string{strings.Repeat("#", 8100), member("b", 100)}, 0, "", 2},
		{"a single member longer than the limit is dropped", []string{member("a", 8193)}, 0, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Parse(tt.values)
			require.Equal(t, tt.wantLen, b.Len())
			assert.Equal(t, tt.dropped, b.Dropped(), "dropped")
			if tt.wantLen > 0 {
				last := b.At(b.Len() - 1)
				assert.Equal(t, tt.wantLast, last.Key)
				assert.Equal(t, strings.Repeat("x", len(last.Value)), last.Value, "the last kept member is whole")
				v, ok := Lookup(tt.values, tt.wantLast)
				assert.True(t, ok)
				assert.Equal(t, last.Value, v)
			}
		})
	}
}

func TestLimitEdgesAreSymmetricInLookup(t *testing.T) {
	over := []string{member("a", 4096), member("b", 4096)}
	_, ok := Lookup(over, "b")
	assert.False(t, ok, "a member ending at byte 8193 is not found")
	exact := []string{member("a", 4096), member("b", 4095)}
	_, ok = Lookup(exact, "b")
	assert.True(t, ok, "a member ending at byte 8192 is found")
	_, ok = Lookup([]string{genMembers(64, 0), "m64=x"}, "m64")
	assert.False(t, ok, "the 65th member is not found")
}

func TestAppendMember(t *testing.T) {
	tests := []struct {
		name   string
		header string
		key    string
		value  string
		want   string
		ok     bool
	}{
		{"a member is appended after a comma", "a=1", "k", "v", "a=1,k=v", true},
		{"an empty header gets the member alone", "", "k", "v", "k=v", true},
		{"the header bytes are kept verbatim", " a=1 ;p , bad ", "k", "v", " a=1 ;p , bad ,k=v", true},
		{"a trailing comma leaves no empty member", "a=1,", "k", "v", "a=1,k=v", true},
		{"trailing commas and blanks leave no empty member", "a=1 , ,\t", "k", "v", "a=1,k=v", true},
		{"a header of commas and blanks gets the member alone", " , ", "k", "v", "k=v", true},
		{"an empty value is appended", "a=1", "k", "", "a=1,k=", true},
		{"reserved characters are percent-encoded", "", "k", "a,b;c d%\"\\", "k=a%2Cb%3Bc%20d%25%22%5C", true},
		{"non-ASCII is percent-encoded as UTF-8", "", "k", "€", "k=%E2%82%AC", true},
		{"invalid UTF-8 is encoded as U+FFFD", "", "k", "a\xffb", "k=a%EF%BF%BDb", true},
		{"each invalid UTF-8 byte is encoded as one U+FFFD", "", "k", "\xff\xfe", "k=%EF%BF%BD%EF%BF%BD", true},
		{"equals signs and other octets stay raw", "", "k", "a=b/c:d", "k=a=b/c:d", true},
		{"an empty key is refused", "a=1", "", "v", "", false},
		{"a key with a non-token character is refused", "a=1", "k=", "v", "", false},
		{"a key with a space is refused", "a=1", "k k", "v", "", false},
		{"a 64th member is accepted", genMembers(63, 0), "k", "v", genMembers(63, 0) + ",k=v", true},
		{"a 65th member is refused", genMembers(64, 0), "k", "v", "", false},
		{"a 65th member is refused after the shortest 64", strings.Repeat("a=,", 63) + "a=", "k", "v", "", false},
		{"a 64th member is accepted after the shortest 63", strings.Repeat("a=,", 62) + "a=", "k", "v", strings.Repeat("a=,", 62) + "a=,k=v", true},
		{"malformed members do not count towards the member limit", "bad," + genMembers(63, 0), "k", "v", "bad," + genMembers(63, 0) + ",k=v", true},
		{"a result of exactly 8192 bytes is accepted", member("a", 8188), "k", "v", member("a", 8188) + ",k=v", true},
		{"a result of 8193 bytes is refused", member("a", 8189), "k", "v", "", false},
		{"encoding growth counts towards the byte limit", member("a", 8180), "k", "          ", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AppendMember(tt.header, tt.key, tt.value)
			require.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			to, ok := AppendMemberTo([]byte(tt.header), tt.key, tt.value)
			require.Equal(t, tt.ok, ok, "AppendMemberTo")
			if ok {
				assert.Equal(t, tt.want, string(to), "AppendMemberTo")
			} else {
				assert.Equal(t, tt.header, string(to), "AppendMemberTo leaves a refused header unchanged")
			}
			if ok {
				b := Parse([]string{got})
				require.Positive(t, b.Len())
				last := b.At(b.Len() - 1)
				assert.Equal(t, tt.key, last.Key)
				assert.Equal(t, perByteFFFD(tt.value), last.Value)
			}
		})
	}
}

func TestRemoveKeys(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		keys    []string
		want    string
		removed bool
	}{
		{"no header yields nothing", nil, []string{"k"}, "", false},
		{"a single header without the key is returned verbatim", []string{" a=1 , b=2;p "}, []string{"k"}, " a=1 , b=2;p ", false},
		{"a listed key is removed and others kept verbatim", []string{"a=1, k=v ;p, b = 2;q=%41"}, []string{"k"}, "a=1,b = 2;q=%41", true},
		{"every occurrence of a key is removed", []string{"k=1,a=1,k=2", "k=3"}, []string{"k"}, "a=1", true},
		{"several keys are removed", []string{"a=1,b=2,c=3"}, []string{"a", "c"}, "b=2", true},
		{"removing everything yields an empty header", []string{"k=1"}, []string{"k"}, "", true},
		{"several headers are combined", []string{"a=1", "b=2"}, nil, "a=1,b=2", false},
		{"keys are matched case-sensitively", []string{"K=1"}, []string{"k"}, "K=1", false},
		{"malformed members are removed", []string{"a=1,k=evil\u00a0,b=2"}, nil, "a=1,b=2", true},
		{"members beyond the limits are removed", []string{genMembers(64, 0), "extra=1"}, nil, genMembers(64, 0), true},
		{"empty list elements alone are cleaned but do not count as a removal", []string{"a=1,,b=2,"}, []string{"k"}, "a=1,b=2", false},
		{"an empty header next to another adds no empty element", []string{"", "a=1"}, nil, "a=1", false},
		{"a key some propagator decodes to a listed key is removed", []string{"a=1,k%2Dx=1,%6B-x+=2,k-x%C2%A0=3,b=2"}, []string{"k-x"}, "a=1,b=2", true},
		{"a key that merely contains an escape stays", []string{"k%2Dy=1"}, []string{"k-x"}, "k%2Dy=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, removed := RemoveKeys(tt.values, tt.keys...)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.removed, removed)
			into, intoRemoved := AppendWithoutKeys([]byte("x="), tt.values, tt.keys...)
			assert.Equal(t, "x="+tt.want, string(into), "AppendWithoutKeys writes after what dst holds")
			assert.Equal(t, tt.removed, intoRemoved, "AppendWithoutKeys")
			b := Parse([]string{got})
			for i := range b.Len() {
				assert.NotContains(t, tt.keys, b.At(i).Key)
			}
		})
	}
}

func TestAppendCombinedJoinsHeadersVerbatim(t *testing.T) {
	assert.Equal(t, "x", string(AppendCombined([]byte("x"), nil)))
	assert.Equal(t, "a=1", string(AppendCombined(nil, []string{"a=1"})))
	assert.Equal(t, " a=1 ;p ,bad,, b=2", string(AppendCombined(nil, []string{" a=1 ;p ", "bad,", " b=2"})))
}

func TestRemoveThenAppendLeavesOneOccurrence(t *testing.T) {
	in := []string{"a=1,laneway-tenant=acme", "laneway-tenant=evil"}
	_, ok := Lookup(in, "laneway-tenant")
	require.False(t, ok, "conflicting occurrences are ambiguous")
	h, removed := RemoveKeys(in, "laneway-tenant")
	require.True(t, removed)
	h, ok = AppendMember(h, "laneway-tenant", "acme")
	require.True(t, ok)
	assert.Equal(t, "a=1,laneway-tenant=acme", h)
	v, ok := Lookup([]string{h}, "laneway-tenant")
	assert.True(t, ok)
	assert.Equal(t, "acme", v)
}

func TestAppendSetMember(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"no baggage gets the member alone", nil, "k=v", true},
		{"values without the key are forwarded byte for byte", []string{" a=1 ;p , bad", "b=2"}, " a=1 ;p , bad,b=2,k=v", true},
		{"a value with the key is rewritten without it", []string{"a=1, k=old , bad"}, "a=1,k=v", true},
		{"a full header keeps its other members", []string{genMembers(64, 0) + ",k=old"}, genMembers(64, 0), false},
		{"a member carrying the key malformed to this parser is dropped", []string{"a=1,k=evil\u00a0", "k=old"}, "a=1,k=v", true},
		{"a member carrying the key beyond the member limit is dropped", []string{"k=old," + genMembers(63, 0) + ",k=evil"}, genMembers(63, 0) + ",k=v", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AppendSetMember([]byte("ignored"), tt.values, "k", "v", "k")
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestAppendSetMemberEvicting(t *testing.T) {
	for _, tt := range []struct {
		name    string
		values  []string
		value   string
		want    string
		evicted int
	}{
		{"no baggage gets the member alone", nil, "v", "k=v", 0},
		{"a header with room is AppendSetMember's, byte for byte", []string{" a=1 ;p , bad", "b=2"}, "v", " a=1 ;p , bad,b=2,k=v", 0},
		{"old members of the key make room before anything is evicted", []string{genMembers(63, 0) + ",k=old"}, "v", genMembers(63, 0) + ",k=v", 0},
		{"64 members lose the last one", []string{genMembers(64, 0)}, "v", genMembers(63, 0) + ",k=v", 1},
		{"64 members across headers lose the last one", []string{genMembers(40, 0), genMembers(24, 40)}, "v", genMembers(63, 0) + ",k=v", 1},
		{"members beyond the member limit go, and the last kept one", []string{genMembers(70, 0)}, "v", genMembers(63, 0) + ",k=v", 1},
		{"malformed members go and do not count as evicted", []string{"bad," + genMembers(64, 0) + ",bad2"}, "v", genMembers(63, 0) + ",k=v", 1},
		{"a member filling the byte limit is evicted", []string{member("big", 8190)}, "v", "k=v", 1},
		{"trailing members go until the byte limit holds", []string{member("a", 8000) + "," + member("b", 100) + "," + member("c", 88)}, "v", member("a", 8000) + "," + member("b", 100) + ",k=v", 1},
		{"exactly MaxBytes is allowed", []string{member("a", 8188) + ",b=2"}, "v", member("a", 8188) + ",k=v", 1},
		{"one byte more evicts one member more", []string{member("a", 8188) + ",b=2"}, "vv", "k=vv", 2},
		{"the value is measured encoded", []string{member("a", 8182) + ",b=2"}, "€", "k=%E2%82%AC", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, evicted, ok := AppendSetMemberEvicting([]byte("ignored"), tt.values, "k", tt.value, "k")
			require.True(t, ok)
			assert.Equal(t, tt.want, string(got))
			assert.Equal(t, tt.evicted, evicted, "evicted")
			if tt.evicted > 0 {
				b := Parse([]string{string(got)})
				assert.Zero(t, b.Dropped(), "an evicting rewrite leaves only well-formed members within the limits")
			}
		})
	}
}

func TestAppendSetMemberEvictingRefusesOnlyWhatCannotFit(t *testing.T) {
	for _, tt := range []struct{ name, key, value string }{
		{"a key that is not a token", "k y", "v"},
		{"an empty key", "", "v"},
		{"a member longer than MaxBytes on its own", "k", strings.Repeat("x", MaxBytes-1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			values := []string{"a=1,k=old"}
			got, evicted, ok := AppendSetMemberEvicting(nil, values, tt.key, tt.value, "k")
			assert.False(t, ok)
			assert.Zero(t, evicted)
			want, wantOK := AppendSetMember(nil, values, tt.key, tt.value, "k")
			assert.False(t, wantOK)
			assert.Equal(t, string(want), string(got), "out is AppendSetMember's")
		})
	}
	got, evicted, ok := AppendSetMemberEvicting(nil, []string{genMembers(64, 0)}, "k", strings.Repeat("x", MaxBytes-2), "k")
	require.True(t, ok, "a member exactly MaxBytes long fits once everything else is gone")
	assert.Equal(t, 64, evicted)
	assert.Equal(t, member("k", MaxBytes), string(got))
}

func TestMentionedOnceCountsKeyTextAcrossValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   bool
	}{
		{"absent", []string{"a=1"}, true},
		{"one member", []string{"a=1,laneway-shadow=1"}, true},
		{"twice in one value", []string{"laneway-shadow=1,laneway-shadow=1\u00a0"}, false},
		{"once in each of two values", []string{"laneway-shadow=1", "x=laneway-shadow"}, false},
		{"inside another member's value counts", []string{"laneway-shadow=1,a=xlaneway-shadowx"}, false},
		{"no values", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, MentionedOnce(tc.values, "laneway-shadow"))
		})
	}
}

func TestMentionsFindsKeyTextInAnyValue(t *testing.T) {
	assert.True(t, Mentions([]string{"a=1", "x,laneway-tenant=acme"}, "laneway-tenant"))
	assert.True(t, Mentions([]string{"a=xlaneway-tenanty"}, "laneway-tenant"), "text anywhere counts: it is only a pre-check")
	assert.False(t, Mentions([]string{"a=1", "laneway-tenan=t"}, "laneway-tenant"))
	assert.False(t, Mentions(nil, "k"))
}
