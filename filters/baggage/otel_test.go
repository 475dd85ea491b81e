package baggage

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode"

	otelbaggage "go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prop is one parsed property, for comparing with otel's.
type prop struct {
	Key, Value string
	HasValue   bool
}

// ourProps parses raw Properties text the way the grammar reads it, skipping blank elements.
func ourProps(t *testing.T, raw string) []prop {
	var out []prop
	for _, el := range strings.Split(raw, ";") {
		s, e := trimOWS(el, 0, len(el))
		el = el[s:e]
		if el == "" {
			continue
		}
		k := skipToken(el, 0)
		require.Positive(t, k, "property %q has a key", el)
		p := prop{Key: el[:k]}
		if i := skipOWS(el, k); i < len(el) {
			require.Equal(t, byte('='), el[i])
			p.HasValue = true
			p.Value = decodeValue(rawMember{value: el[skipOWS(el, i+1):], escaped: true})
		}
		out = append(out, p)
	}
	return out
}

func otelProps(m otelbaggage.Member) []prop {
	var out []prop
	for _, p := range m.Properties() {
		v, ok := p.Value()
		out = append(out, prop{Key: p.Key(), Value: v, HasValue: ok})
	}
	return out
}

// hasNonOWSSpace reports whether s holds white space that otel trims but the grammar does not allow.
func hasNonOWSSpace(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != ' ' && r != '\t' })
}

// hasBlankProperty reports whether the member text has a property element made only of OWS.
func hasBlankProperty(s string) bool {
	_, props, ok := strings.Cut(s, ";")
	if !ok {
		return false
	}
	for _, el := range strings.Split(props, ";") {
		if el != "" && strings.Trim(el, " \t") == "" {
			return true
		}
	}
	return false
}

// compareMember checks one list element against otel and reports whether both
// parsers agree exactly (false for a documented difference).
func compareMember(t *testing.T, el string) bool {
	s, e := trimOWS(el, 0, len(el))
	if s == e {
		return true // both ignore blank elements (otel also reports an error)
	}
	ours, ok := parseMember(el[s:e])
	theirs, err := otelbaggage.Parse(el)
	otelOK := err == nil && theirs.Len() == 1
	switch {
	case ok && otelOK:
		m := theirs.Member(ours.key)
		require.Equal(t, m.Key(), ours.key, "key of %q", el)
		require.Equal(t, m.Value(), decodeValue(ours), "value of %q", el)
		require.Equal(t, otelProps(m), ourProps(t, ours.props), "properties of %q", el)
		return true
	case otelOK:
		require.True(t, hasNonOWSSpace(el), "otel accepts %q, we reject it without a documented reason", el)
		return false
	case ok:
		require.True(t, hasBlankProperty(el), "we accept %q, otel rejects it without a documented reason: %v", el, err)
		return false
	}
	return true
}

func FuzzOtelDifferential(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2048 {
			return // keeps otel's re-encoded byte count (up to 3x) away from its limit
		}
		same := true
		elements := strings.Split(s, ",")
		for _, el := range elements {
			same = compareMember(t, el) && same
		}
		b := Parse([]string{s})
		if !same || len(elements) > MaxMembers {
			return
		}
		keys := map[string]bool{}
		for i := range b.Len() {
			if keys[b.At(i).Key] {
				return // duplicate keys: documented difference
			}
			keys[b.At(i).Key] = true
		}
		theirs, _ := otelbaggage.Parse(s)
		require.Equal(t, theirs.Len(), b.Len(), "member count of %q", s)
		for i := range b.Len() {
			m := b.At(i)
			o := theirs.Member(m.Key)
			require.Equal(t, o.Value(), m.Value, "value of %q in %q", m.Key, s)
			v, ok := Lookup([]string{s}, m.Key)
			require.True(t, ok)
			require.Equal(t, o.Value(), v)
		}
	})
}

func TestDifferencesFromOtel(t *testing.T) {
	sixtyFiveWithDuplicate := "k=1,k=1," + genMembers(63, 0)
	tests := []struct {
		name      string
		header    string
		key       string
		otelValue string
		otelFound bool
		ourValue  string
		ourFound  bool
	}{
		{"both skip only a malformed member and keep the others", "a=1,bad member,k=v", "k", "v", true, "v", true},
		{"otel trims a trailing no-break space, we drop the member", "k=v\u00a0", "k", "v", true, "", false},
		{"otel trims a trailing newline, we drop the member", "k=v\n", "k", "v", true, "", false},
		{"otel trims a leading vertical tab, we drop the member", "\vk=v", "k", "v", true, "", false},
		{"both accept an empty property element", "k=v;;p", "k", "v", true, "v", true},
		{"otel rejects a blank trailing property, we accept it", "k=v; ", "k", "", false, "v", true},
		{"otel rejects a blank property element, we accept it", "k=v; ;p", "k", "", false, "v", true},
		{"otel keeps the last of conflicting duplicates, we report the key absent", "k=acme,k=evil", "k", "evil", true, "", false},
		{"both return a duplicated key whose occurrences agree", "k=acme,k=acme", "k", "acme", true, "acme", true},
		{"otel drops a header over 8192 bytes, we keep the members that fit", "k=v," + member("big", 8189), "k", "", false, "v", true},
		{"otel counts distinct keys towards 64 members, we count occurrences", sixtyFiveWithDuplicate, "m62", "x", true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ob, _ := otelbaggage.Parse(tt.header)
			m := ob.Member(tt.key)
			assert.Equal(t, tt.otelFound, m.Key() != "", "otel found")
			assert.Equal(t, tt.otelValue, m.Value(), "otel value")
			b := Parse([]string{tt.header})
			v, ok := b.Get(tt.key)
			assert.Equal(t, tt.ourFound, ok, "our Get found")
			assert.Equal(t, tt.ourValue, v, "our Get value")
			v, ok = Lookup([]string{tt.header}, tt.key)
			assert.Equal(t, tt.ourFound, ok, "our Lookup found")
			assert.Equal(t, tt.ourValue, v, "our Lookup value")
		})
	}
}

func TestOtelPropagatorDropsOversizedCombinationWhileWeKeepWholeMembers(t *testing.T) {
	values := []string{member("a", 4096), member("b", 4096)}
	h := http.Header{"Baggage": values}
	ob := otelbaggage.FromContext(propagation.Baggage{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
	assert.Equal(t, 0, ob.Len(), "otel drops all baggage when the combination exceeds 8192 bytes")
	b := Parse(values)
	require.Equal(t, 1, b.Len())
	assert.Equal(t, "a", b.At(0).Key, "we keep the whole members that end within 8192 bytes")
	assert.Equal(t, 1, b.Dropped())
}
