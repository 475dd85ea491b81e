package baggage

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// seeds are inputs covering every grammar feature, used by both fuzz targets.
var seeds = []string{
	"", "k=v", " a=1 , b = 2 ;p=1;flag ", "k=a=b", "k=", "k=%41%zz", "k=%E2%82%AC", "k=%FF",
	"k=v;", "k=v;;p", "k=v; ;p", "k=v;=1", "k=1,k=2", "k=1,k=1", "=v", "k", "a=1,,b=2,", "ké=v",
	"k=v\u00a0", "k=v\n", `k="q"`, "k=a b", "laneway-tenant=acme,laneway-tenant=%61cme",
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "b=2", "k", "v")
	}
	f.Add(genMembers(63, 0), "k=1,z=2", "z", "x y")
	f.Add(member("a", 8000), member("b", 191), "b", "")
	f.Fuzz(func(t *testing.T, h1, h2, key, value string) {
		values := []string{h1, h2}
		if h2 == "" {
			values = values[:1]
		}
		b := Parse(values)
		require.LessOrEqual(t, b.Len(), MaxMembers)
		require.GreaterOrEqual(t, b.Dropped(), 0)
		joined := strings.Join(values, ",")
		for i := range b.Len() {
			m := b.At(i)
			require.NotEmpty(t, m.Key)
			require.Equal(t, len(m.Key), skipToken(m.Key, 0), "key %q is a token", m.Key)
			require.True(t, utf8.ValidString(m.Value), "value %q is UTF-8", m.Value)
			require.True(t, validProperties(m.Properties), "properties %q are valid", m.Properties)
			require.Contains(t, joined, m.Key)
			v, ok := Lookup(values, m.Key)
			gv, gok := b.Get(m.Key)
			require.Equal(t, gok, ok, "Lookup agrees with Get on %q", m.Key)
			require.Equal(t, gv, v, "Lookup agrees with Get on %q", m.Key)
		}
		v, ok := Lookup(values, key)
		gv, gok := b.Get(key)
		require.Equal(t, gok, ok, "Lookup agrees with Get on %q", key)
		require.Equal(t, gv, v, "Lookup agrees with Get on %q", key)

		// RemoveKeys keeps every kept member whose key does not read as key (KeyReadsAs), in order, and nothing else,
		// for the keys it is given: tokens, as the filters' configurations hold them. (A key that is not in its own
		// normal form, such as " 0", is outside its contract: ReadsAsAny compares a plain member key by bytes.)
		out, removed := RemoveKeys(values, key)
		rb := Parse([]string{out})
		require.Zero(t, rb.Dropped(), "RemoveKeys output %q is clean", out)
		if validKey(key) {
			var want []Member
			for i := range b.Len() {
				if !KeyReadsAs(b.At(i).Key, key) {
					want = append(want, b.At(i))
				}
			}
			require.Equal(t, len(want) != b.Len() || b.Dropped() > 0, removed, "removed flag")
			require.Equal(t, want, nilIfEmpty(members(&rb)))
			_, ok = Lookup([]string{out}, key)
			require.False(t, ok)
		}
		// AppendWithoutKeys writes the same header after whatever dst holds.
		into, intoRemoved := AppendWithoutKeys([]byte("prefix"), values, key)
		require.Equal(t, "prefix"+out, string(into))
		require.Equal(t, removed, intoRemoved)

		// AppendMember adds a member that re-parses, unless a limit or the key forbids it.
		app, ok := AppendMember(out, key, value)
		// AppendMemberTo agrees, and leaves the header as it was when it refuses.
		to, toOK := AppendMemberTo([]byte(out), key, value)
		require.Equal(t, ok, toOK)
		if ok {
			require.Equal(t, app, string(to))
		} else {
			require.Equal(t, out, string(to))
		}
		validKey := key != "" && skipToken(key, 0) == len(key)
		if !ok {
			fits := len(out)+1+len(key)+1+encodedLen(value) <= MaxBytes && rb.Len() < MaxMembers
			require.False(t, validKey && fits, "AppendMember(%q, %q, %q) refused", out, key, value)
			return
		}
		require.True(t, validKey)
		ab := Parse([]string{app})
		require.Equal(t, rb.Len()+1, ab.Len())
		require.Equal(t, Member{Key: key, Value: perByteFFFD(value), Properties: ""}, ab.At(ab.Len()-1))
		got, ok := Lookup([]string{app}, key)
		require.True(t, ok)
		require.Equal(t, perByteFFFD(value), got)
	})
}

// FuzzAppendSetMemberEvicting: whatever the input, the member travels exactly once in a header that parses
// clean within the limits, after a prefix of the other members Parse keeps; only an invalid key or a member
// longer than MaxBytes on its own is refused.
func FuzzAppendSetMemberEvicting(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "b=2", "k", "v")
	}
	f.Add(genMembers(64, 0), "k=1,z=2", "k", "x y")
	f.Add(genMembers(40, 0), genMembers(30, 40), "m3", "1")
	f.Add(member("a", 8000), member("b", 191), "b", "€€")
	f.Add(member("a", 8188), "b=2,k=v", "k", "vvvv")
	f.Fuzz(func(t *testing.T, h1, h2, key, value string) {
		values := []string{h1, h2}
		if h2 == "" {
			values = values[:1]
		}
		out, evicted, ok := AppendSetMemberEvicting(make([]byte, 0, 16), values, key, value, key)
		validKey := key != "" && skipToken(key, 0) == len(key)
		if !ok {
			require.False(t, validKey && len(key)+1+encodedLen(value) <= MaxBytes, "refused a member that fits alone")
			require.Zero(t, evicted)
			return
		}
		require.True(t, validKey)
		require.LessOrEqual(t, len(out), MaxBytes)
		// The member is kept by a parser applying the limits (so it lies within them), and nothing else is
		// dropped except malformed members AppendSetMember forwards byte for byte when it need not rewrite.
		got := Parse([]string{string(out)})
		require.LessOrEqual(t, got.Len(), MaxMembers)
		if evicted > 0 {
			require.Zero(t, got.Dropped(), "%q is rewritten clean", out)
		}
		last := got.At(got.Len() - 1)
		require.Equal(t, Member{Key: key, Value: perByteFFFD(value)}, last, "the member comes last")
		v, found := Lookup([]string{string(out)}, key)
		require.True(t, found)
		require.Equal(t, perByteFFFD(value), v)

		// The others are a prefix of the members Parse keeps (other than key's), and evicted counts the rest.
		in := Parse(values)
		var others []Member
		for i := range in.Len() {
			if !KeyReadsAs(in.At(i).Key, key) {
				others = append(others, in.At(i))
			}
		}
		kept := members(&got)[:got.Len()-1]
		for _, m := range kept {
			require.False(t, KeyReadsAs(m.Key, key), "the key occurs once, also as other propagators read keys")
		}
		require.LessOrEqual(t, len(kept), len(others))
		require.Equal(t, nilIfEmpty(others[:len(kept)]), nilIfEmpty(kept))
		require.Equal(t, len(others)-len(kept), evicted)

		// When AppendSetMember fits, nothing is evicted and the result is the same.
		plain, plainOK := AppendSetMember(nil, values, key, value, key)
		if plainOK {
			require.Equal(t, string(plain), string(out))
			require.Zero(t, evicted)
		}
	})
}

func nilIfEmpty(m []Member) []Member {
	if len(m) == 0 {
		return nil
	}
	return m
}

// perByteFFFD replaces each byte of s that is not part of valid UTF-8 with U+FFFD.
func perByteFFFD(s string) string {
	var b strings.Builder
	for _, r := range s { // ranging yields RuneError once per invalid byte
		b.WriteRune(r)
	}
	return b.String()
}

// naiveSkipValue is the byte-at-a-time reference for skipValue.
func naiveSkipValue(s string, i int) (int, bool) {
	escaped := false
	for i < len(s) {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i+1])) || !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i+2])) {
				return -1, false
			}
			escaped = true
			i += 3
		case c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\':
			i++
		default:
			return i, escaped
		}
	}
	return i, escaped
}

func TestSkipValueMatchesByteWiseReferenceForEveryByteAndPosition(t *testing.T) {
	for c := range 256 {
		for pos := range 20 {
			for _, tail := range []string{"", "abcdefghijklmnop", ",", "\x00b", "\xffb", "%41", "%4"} {
				s := strings.Repeat("a", pos) + string([]byte{byte(c)}) + tail
				for from := 0; from <= len(s); from++ {
					gi, ge := skipValue(s, from)
					wi, we := naiveSkipValue(s, from)
					require.Equal(t, wi, gi, "end of %q from %d", s, from)
					require.Equal(t, we, ge, "escaped in %q from %d", s, from)
				}
			}
		}
	}
}

func FuzzSkipValue(f *testing.F) {
	f.Add("abcdefgh%41ijklmnop\"q", 0)
	f.Add("k=abcdefgh%41ijklmnop", 2)
	f.Add("abc,defgh", 5)
	f.Fuzz(func(t *testing.T, s string, from int) {
		if from < 0 || from > len(s) {
			from = 0
		}
		gi, ge := skipValue(s, from)
		wi, we := naiveSkipValue(s, from)
		require.Equal(t, wi, gi, "end of %q from %d", s, from)
		require.Equal(t, we, ge, "escaped in %q from %d", s, from)
	})
}
