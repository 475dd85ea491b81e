package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage/appread"
)

// keyCases are member keys as a client may send them, with whether some common propagator reads them as
// laneway-tenant, and which one.
var keyCases = []struct {
	raw  string
	want bool
	who  string
}{
	{"laneway-tenant", true, "every SDK"},
	{"laneway%2Dtenant", true, "JS decodeURIComponent, Python unquote_plus"},
	{"laneway%2dtenant", true, "hex digits of either case"},
	{"%6Caneway-tenant", true, "any character may be escaped"},
	{"%6c%61%6e%65%77%61%79%2d%74%65%6e%61%6e%74", true, "every character escaped"},
	{"laneway-tenant+", true, "Python: '+' is a space, then strip()"},
	{"+laneway-tenant", true, "Python"},
	{"laneway-tenant%20", true, "Python: strip() after decoding"},
	{"%09laneway-tenant%0A", true, "Python: tab and newline are white space"},
	{"laneway-tenant%C2%A0", true, "Python: U+00A0 is white space"},
	{"laneway-tenant%E2%80%83", true, "Python: U+2003 EM SPACE"},
	{"laneway-tenant%1F", true, "Python: \\x1f is white space to str.isspace"},
	{"laneway-tenant%EF%BB%BF", true, "U+FEFF, trimmed by JavaScript's trim (before decoding, so conservative)"},
	{"laneway%2Btenant", false, "decodes to laneway+tenant, another key"},
	{"laneway+tenant", false, "Python: laneway tenant"},
	{"laneway-tenant%2", false, "a malformed escape stays literal"},
	{"laneway-tenantx", false, "a longer key"},
	{"Laneway-tenant", false, "keys are case-sensitive"},
	{"laneway-tenant%E2%80%8B", false, "U+200B is not white space to any SDK"},
	{"laneway%252Dtenant", false, "decoded once only: every SDK re-encodes what it decoded"},
}

func TestKeyReadsAsFollowsEveryPropagatorsDecoding(t *testing.T) {
	for _, tt := range keyCases {
		t.Run(tt.raw, func(t *testing.T) {
			assert.Equal(t, tt.want, KeyReadsAs(tt.raw, "laneway-tenant"), tt.who)
			assert.Equal(t, tt.want, ReadsAsAny(tt.raw, []string{"sd-routing-key", "laneway-tenant"}), "ReadsAsAny")
			norm := string(AppendNormalizedKey(nil, tt.raw))
			assert.Equal(t, tt.want, norm == "laneway-tenant", "AppendNormalizedKey gives %q", norm)
			assert.True(t, MayHoldKeys([]string{"a=1," + tt.raw + "=x"}, "laneway-tenant") || !tt.want, "MayHoldKeys never misses one")
		})
	}
}

// readers are the application-side readings of a member key whose SDK reads keys from the wire.
func readers(raw string) map[string]string {
	out := map[string]string{"python": appread.PythonText(raw), "go/java": raw}
	if k, ok := appread.JSDecode(strings.TrimSpace(raw)); ok {
		out["js"] = k
	}
	return out
}

func TestKeyReadsAsCoversThePythonAndJSModels(t *testing.T) {
	for _, tt := range keyCases {
		for who, k := range readers(tt.raw) {
			if k == "laneway-tenant" {
				assert.True(t, KeyReadsAs(tt.raw, "laneway-tenant"), "%s reads %q as laneway-tenant", who, tt.raw)
			}
		}
	}
}

func TestHeaderKeyReadsAsIgnoresASCIICase(t *testing.T) {
	assert.True(t, HeaderKeyReadsAs("LANEWAY-TENANT", "laneway-tenant"))
	assert.True(t, HeaderKeyReadsAs("Laneway%2dTenant", "laneway-tenant"))
	assert.False(t, HeaderKeyReadsAs("laneway-tenants", "laneway-tenant"))
}

func TestMayHoldKeysAndHasEscapedKeys(t *testing.T) {
	assert.False(t, MayHoldKeys([]string{"userid=42,session=a%20b+c"}, "laneway-tenant"), "escapes in values only")
	assert.True(t, MayHoldKeys([]string{"userid=42", "x%41=1"}, "laneway-tenant"), "an escape in a key")
	assert.True(t, MayHoldKeys([]string{"a=laneway-tenant"}, "laneway-tenant"), "the key's text anywhere")
	assert.False(t, HasEscapedKeys([]string{"a=%41,b=c+d"}))
	assert.True(t, HasEscapedKeys([]string{"a=1", " k+=1"}))
}

func TestKeyMatchingDoesNotAllocate(t *testing.T) {
	values := []string{"userid=42,laneway%2Dtenant=evil,%09laneway-tenant%C2%A0=evil,laneway-tenant=acme"}
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		_ = KeyReadsAs("%6Caneway-tenant%20", "laneway-tenant")
		_ = MayHoldKeys(values, "laneway-tenant")
		buf, _ = AppendWithoutKeys(buf[:0], values, "laneway-tenant", "sd-routing-key")
		buf, _ = AppendSetKeys(buf[:0], values, []string{"laneway-tenant", "sd-routing-key"}, "acme")
	})
	assert.Zero(t, allocs)
}

func TestAppendSetKeysKeepsOneExactCopyPerKeyHoldingTheValue(t *testing.T) {
	keys := []string{"laneway-tenant", "sd-routing-key"}
	for _, tt := range []struct {
		name   string
		values []string
		want   string
		set    uint64
	}{
		{"nothing to do is forwarded verbatim", []string{"a=1 , b=2"}, "a=1 , b=2", 0},
		{"an exact copy with the value stays verbatim", []string{"a=1,laneway-tenant=acme"}, "a=1,laneway-tenant=acme", 1},
		{"another value is replaced in place", []string{"laneway-tenant=evil,a=1"}, "laneway-tenant=acme,a=1", 1},
		{"properties go", []string{"laneway-tenant=acme;p=1"}, "laneway-tenant=acme", 1},
		{"later and encoded copies go", []string{"sd-routing-key=x,laneway%2Dtenant=e", "laneway-tenant=a,sd-routing-key=y"}, "sd-routing-key=acme,laneway-tenant=acme", 3},
		{"empty elements are cleaned", []string{"", "a=1,"}, "a=1", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, set := AppendSetKeys(nil, tt.values, keys, "acme")
			assert.Equal(t, tt.want, string(out))
			assert.Equal(t, tt.set, set)
		})
	}
}

func TestAddingAMemberNeverLeavesAnEmptyMember(t *testing.T) {
	for _, values := range [][]string{{"a=1,"}, {"", "a=1"}, {" , a=1 ,, b=2 , "}, {","}, {""}, {"a=1", ""}} {
		out, ok := AppendSetMember(nil, values, "k", "v", "k")
		require.True(t, ok)
		assert.True(t, Clean([]string{string(out)}), "%q gives %q", values, out)
		b := Parse([]string{string(out)})
		assert.Zero(t, b.Dropped(), "%q", out)
	}
}

// FuzzKeyReadsAs holds the matcher to its definition (AppendNormalizedKey) and to the propagator models:
// whatever a Python, JS, Java or Go app reads as the key, KeyReadsAs says so.
func FuzzKeyReadsAs(f *testing.F) {
	for _, tt := range keyCases {
		f.Add(tt.raw, "laneway-tenant")
	}
	f.Add("a+b", "a%20b")
	f.Fuzz(func(t *testing.T, raw, key string) {
		got := KeyReadsAs(raw, key)
		want := string(AppendNormalizedKey(nil, raw)) == string(AppendNormalizedKey(nil, key))
		require.Equal(t, want || raw == key, got, "KeyReadsAs(%q, %q)", raw, key)
		if key == "" || !validKey(key) {
			return
		}
		for who, k := range readers(raw) {
			if k == key {
				require.True(t, got, "%s reads %q as %q", who, raw, key)
			}
		}
		if validKey(raw) && got {
			require.True(t, MayHoldKeys([]string{raw + "=v"}, key), "MayHoldKeys misses %q", raw)
		}
	})
}

func TestHasEscape(t *testing.T) {
	for _, v := range []string{"", "%", "+", "a", "abcdefg", "abcdefg%", "%abcdefgh", "abcdefgh+", "abcdefghi",
		"abcdefghijklmno+", "abcdefghijklmnop", "laneway-tenant=acme,sd-routing-key=abc123", "k=v%2C", "a+b=c,d=e"} {
		assert.Equal(t, strings.ContainsAny(v, "%+"), hasEscape(v), "%q", v)
	}
}

func FuzzHasEscape(f *testing.F) {
	for _, v := range []string{"", "%", "abcdefgh+", "laneway-tenant=acme,sd-routing-key=abc123%", "\x80\xff%+"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := hasEscape(v), strings.ContainsAny(v, "%+"); got != want {
			t.Fatalf("hasEscape(%q) = %v, want %v", v, got, want)
		}
	})
}

// mayHoldKeysLoops is MayHoldKeys before its one-value, one-key path: the generic loops only.
func mayHoldKeysLoops(values []string, keys ...string) bool {
	for _, v := range values {
		for _, k := range keys {
			if strings.Contains(v, k) {
				return true
			}
		}
		if hasEscape(v) && escapedKeyText(v) {
			return true
		}
	}
	return false
}

// FuzzMayHoldKeys holds MayHoldKeys, with one key or two and one value or two, to the generic loops.
func FuzzMayHoldKeys(f *testing.F) {
	for _, s := range []string{"userid=42,laneway-tenant=sbx-1", "a=laneway-synthetic", "x%41=1", "a=1,b+=2", "laneway-tenan", ""} {
		f.Add(s, "laneway-tenant", "k")
	}
	f.Add("k=1", "k", "")
	f.Fuzz(func(t *testing.T, v, k1, k2 string) {
		for _, c := range []struct {
			values, keys []string
		}{{[]string{v}, []string{k1}}, {[]string{v, k2}, []string{k1}}, {[]string{v}, []string{k1, k2}}} {
			if got, want := MayHoldKeys(c.values, c.keys...), mayHoldKeysLoops(c.values, c.keys...); got != want {
				t.Fatalf("MayHoldKeys(%q, %q) = %v, loops say %v", c.values, c.keys, got, want)
			}
		}
	})
}
