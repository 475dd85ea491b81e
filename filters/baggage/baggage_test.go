package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// members returns every kept member of b.
func members(b *Baggage) []Member {
	out := make([]Member, b.Len())
	for i := range out {
		out[i] = b.At(i)
	}
	return out
}

func TestParseGrammar(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    []Member
		dropped int
	}{
		{"no header yields no members", nil, []Member{}, 0},
		{"an empty header yields no members", []string{""}, []Member{}, 0},
		{"a single member is parsed", []string{"k=v"}, []Member{{"k", "v", ""}}, 0},
		{"members keep wire order", []string{"b=2,a=1,c=3"}, []Member{{"b", "2", ""}, {"a", "1", ""}, {"c", "3", ""}}, 0},
		{"OWS around members is trimmed", []string{" \t a=1 \t, \tb=2\t "}, []Member{{"a", "1", ""}, {"b", "2", ""}}, 0},
		{"OWS around the equals sign is trimmed", []string{"k \t= \tv"}, []Member{{"k", "v", ""}}, 0},
		{"an empty value is legal", []string{"k=,j= ,l=;p"}, []Member{{"k", "", ""}, {"j", "", ""}, {"l", "", "p"}}, 0},
		{"equals signs inside a value are kept", []string{"k=a=b=="}, []Member{{"k", "a=b==", ""}}, 0},
		{"a value is percent-decoded", []string{"k=a%2Cb%3B%20c%25"}, []Member{{"k", "a,b; c%", ""}}, 0},
		{"lower-case hex escapes are decoded", []string{"k=%e2%82%ac"}, []Member{{"k", "€", ""}}, 0},
		{"plus is not a space", []string{"k=a+b"}, []Member{{"k", "a+b", ""}}, 0},
		{"an invalid UTF-8 byte becomes U+FFFD", []string{"k=a%FFb"}, []Member{{"k", "a\uFFFDb", ""}}, 0},
		{"each byte of a truncated sequence becomes U+FFFD", []string{"k=%E2%82"}, []Member{{"k", "\uFFFD\uFFFD", ""}}, 0},
		{"all baggage-octets are allowed raw", []string{"k=!#$&'()*+-./0:<=>?@AZ[]^_`az{|}~"}, []Member{{"k", "!#$&'()*+-./0:<=>?@AZ[]^_`az{|}~", ""}}, 0},
		{"all token characters are allowed in keys", []string{"!#$%&'*+-.^_`|~09azAZ=v"}, []Member{{"!#$%&'*+-.^_`|~09azAZ", "v", ""}}, 0},
		{"keys are case-sensitive", []string{"K=1,k=2"}, []Member{{"K", "1", ""}, {"k", "2", ""}}, 0},
		{"properties are kept raw after the first semicolon", []string{"k=v;p=1;flag"}, []Member{{"k", "v", "p=1;flag"}}, 0},
		{"OWS around properties is allowed", []string{"k=v ; p = 1 ; flag "}, []Member{{"k", "v", " p = 1 ; flag"}}, 0},
		{"property values may contain escapes and equals signs", []string{"k=v;p=%41=b"}, []Member{{"k", "v", "p=%41=b"}}, 0},
		{"blank property elements are tolerated", []string{"k=v;,j=w;;p; ;q;"}, []Member{{"k", "v", ""}, {"j", "w", ";p; ;q;"}}, 0},
		{"empty list elements are ignored and not counted", []string{",a=1,, ,b=2,"}, []Member{{"a", "1", ""}, {"b", "2", ""}}, 0},
		{"several headers are combined in order", []string{"a=1", "b=2, c=3", "d=4"}, []Member{{"a", "1", ""}, {"b", "2", ""}, {"c", "3", ""}, {"d", "4", ""}}, 0},
		{"empty headers among others are ignored", []string{"", "a=1", " ", ""}, []Member{{"a", "1", ""}}, 0},
		{"a member without equals sign is dropped", []string{"a=1,k,b=2"}, []Member{{"a", "1", ""}, {"b", "2", ""}}, 1},
		{"a member without key is dropped", []string{"=v,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a key with a non-token character is dropped", []string{"k:x=1,k(=2,k@=3,ké=4,b=2"}, []Member{{"b", "2", ""}}, 4},
		{"a key containing a space is dropped", []string{"a b=1,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a value containing a space is dropped", []string{"k=a b,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a value containing a double quote is dropped", []string{`k="q",b=2`}, []Member{{"b", "2", ""}}, 1},
		{"a value containing a backslash is dropped", []string{`k=a\b,b=2`}, []Member{{"b", "2", ""}}, 1},
		{"a value containing a control character is dropped", []string{"k=a\x01,j=a\x7f,b=2"}, []Member{{"b", "2", ""}}, 2},
		{"a value with a non-ASCII byte is dropped", []string{"k=é,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a bad escape drops the member", []string{"k=%zz,j=%4,l=%,m=%4g,b=2"}, []Member{{"b", "2", ""}}, 4},
		{"white space other than OWS is not trimmed", []string{"k=v\n,j=v\r,l=\vv,b=2"}, []Member{{"b", "2", ""}}, 3},
		{"a property without key drops the member", []string{"k=v;=1,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a property with a bad escape drops the member", []string{"k=v;p=%zz,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a property with a bad character drops the member", []string{`k=v;p="x",j=v;p q,b=2`}, []Member{{"b", "2", ""}}, 2},
		{"garbage after the value drops the member", []string{"k=v w,b=2"}, []Member{{"b", "2", ""}}, 1},
		{"a malformed member in one header keeps the other headers", []string{"a=1", "bad", "b=2"}, []Member{{"a", "1", ""}, {"b", "2", ""}}, 1},
		{"duplicate keys are all kept", []string{"k=1,k=2"}, []Member{{"k", "1", ""}, {"k", "2", ""}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Parse(tt.values)
			assert.Equal(t, tt.want, members(&b))
			assert.Equal(t, tt.dropped, b.Dropped(), "dropped")
			for _, m := range tt.want {
				v, ok := Lookup(tt.values, m.Key)
				gv, gok := b.Get(m.Key)
				assert.Equal(t, gv, v, "Lookup agrees with Get for %q", m.Key)
				assert.Equal(t, gok, ok, "Lookup agrees with Get for %q", m.Key)
			}
		})
	}
}

func TestGetAndLookup(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		key    string
		want   string
		found  bool
	}{
		{"a present key is found", []string{"a=1,laneway-tenant=acme;x"}, "laneway-tenant", "acme", true},
		{"an absent key is not found", []string{"a=1"}, "b", "", false},
		{"a key is matched case-sensitively", []string{"Tenant=acme"}, "tenant", "", false},
		{"an empty value is found", []string{"k="}, "k", "", true},
		{"an encoded value is returned decoded", []string{"k=%61cme"}, "k", "acme", true},
		{"a key in a later header is found", []string{"a=1", "k=v"}, "k", "v", true},
		{"a malformed occurrence is ignored", []string{"k=a b,k=v"}, "k", "v", true},
		{"identical duplicates yield the value", []string{"k=v,k=v"}, "k", "v", true},
		{"duplicates equal once decoded yield the value", []string{"k=acme", "k=%61cme"}, "k", "acme", true},
		{"conflicting duplicates are reported absent", []string{"k=acme,k=evil"}, "k", "", false},
		{"a conflicting duplicate in an appended header is reported absent", []string{"k=acme", "k=evil"}, "k", "", false},
		{"a conflict among encoded values is reported absent", []string{"k=%61,k=%62"}, "k", "", false},
		{"a conflicting duplicate beyond the member limit is ignored", []string{"k=acme," + genMembers(63, 0) + ",k=evil"}, "k", "acme", true},
		{"a key beyond the member limit is not found", []string{genMembers(64, 0) + ",k=v"}, "k", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Parse(tt.values)
			v, ok := b.Get(tt.key)
			assert.Equal(t, tt.found, ok, "Get found")
			assert.Equal(t, tt.want, v, "Get value")
			v, ok = Lookup(tt.values, tt.key)
			assert.Equal(t, tt.found, ok, "Lookup found")
			assert.Equal(t, tt.want, v, "Lookup value")
		})
	}
}

// genMembers returns n comma-separated members "m<i>=<pad>" numbered from first.
func genMembers(n, first int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "m" + itoa(first+i) + "=x"
	}
	return strings.Join(parts, ",")
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestZeroBaggageIsEmpty(t *testing.T) {
	var b Baggage
	assert.Equal(t, 0, b.Len())
	assert.Equal(t, 0, b.Dropped())
	_, ok := b.Get("k")
	assert.False(t, ok)
}

func TestParseDoesNotAliasDecodedValues(t *testing.T) {
	b := Parse([]string{"a=%41,b=x,c=%43%44,d=%FF"})
	require.Equal(t, 4, b.Len())
	assert.Equal(t, []Member{{"a", "A", ""}, {"b", "x", ""}, {"c", "CD", ""}, {"d", "\uFFFD", ""}}, members(&b))
}

func TestTrimOWSRemovesOnlySpacesAndTabsAtBothEnds(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" \t ", ""},
		{"a", "a"},
		{" \ta=b \t", "a=b"},
		{"a b", "a b"},
		{"\na\r", "\na\r"}, // only SP and HTAB are OWS
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, TrimOWS(tt.in), "TrimOWS(%q)", tt.in)
	}
}
