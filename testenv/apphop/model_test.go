package apphop

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/baggage/appread"
)

// jsForwarded reads the baggage the real JS app injected (encodeURIComponent on key and value,
// properties appended after ';') back into the members it extracted, the later copy of a key winning.
func jsForwarded(t *testing.T, header string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if header == "" {
		return out
	}
	for _, e := range strings.Split(header, ",") {
		kv, _, _ := strings.Cut(e, ";")
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, "the JS app injected a member without '=': %q", header)
		dk, err := url.PathUnescape(k)
		require.NoError(t, err, "key %q", k)
		dv, err := url.PathUnescape(v)
		require.NoError(t, err, "value %q", v)
		out[dk] = dv
	}
	return out
}

// jsModelKeys are raw baggage keys (each sent as KEY=v) on which appread.JS, the model pure-Go tests
// use, must read what the real OpenTelemetry JS app reads: protected keys in every encoding issue 17
// names, escapes that are malformed or not UTF-8, white space JS trims (before it decodes) and does
// not, and bytes Node reads as Latin-1.
var jsModelKeys = []string{
	"laneway-tenant", "laneway%2Dtenant", "laneway%2dtenant", "%6Caneway-tenant", "sd-routing%2Dkey",
	"laneway%2Dshadow", "laneway%2Dsynthetic", "%6c%61%6e%65%77%61%79-tenant",
	"laneway-tenant+", "+laneway-tenant", "laneway-tenant%20", "%20laneway-tenant", "laneway-tenant%09",
	" laneway-tenant ", "\tlaneway-tenant", "laneway-tenant\t ",
	"laneway-tenant%C2%A0", "laneway-tenant%E2%80%A8", "%EF%BB%BFlaneway-tenant",
	"laneway-tenant\xc2\xa0", "laneway-tenant\xa0", "\xa0laneway-tenant", "laneway-t\xe9nant",
	"laneway%", "laneway%2", "laneway%ZZtenant", "laneway-tenant%FF", "laneway-tenant%C3", "laneway-%C3%A9",
	"LANEWAY-TENANT", "laneway_tenant", "a b", "%3D", "%2C", "%3B",
}

// TestJSModelMatchesTheRealJSApp is the differential check of appread.JS against the real Node app:
// for every key of jsModelKeys, and for whole headers where splitting, properties, empty parts and
// repeated keys matter, the members the model reads are the members the app forwards.
func TestJSModelMatchesTheRealJSApp(t *testing.T) {
	app := StartJS(t)
	headers := []string{}
	for _, k := range jsModelKeys {
		headers = append(headers, k+"=v")
	}
	headers = append(headers,
		"laneway-tenant=acme,laneway%2Dtenant=evil", "laneway%2Dtenant=evil,laneway-tenant=acme",
		"a=1,,b=2,", " a = 1 , b=2", "=v,k=", "k= ", "k==v", "k=v;p=1;q", "k=%20v%20", "k=a+b",
		"k=%E2%82", "k=%", "laneway-tenant=acme;laneway%2Dtenant=evil", "a;b=1", "k=v\xe9",
	)
	decided := 0
	for _, h := range headers {
		t.Run(h, func(t *testing.T) {
			out, status := app.Forward(t, http.MethodPost, http.Header{"Baggage": {h}})
			require.Equal(t, http.StatusOK, status, "the JS app calls on")
			got := jsForwarded(t, out.Get("baggage"))
			want := map[string]string{}
			for _, m := range appread.JS(h) {
				want[m.Key] = m.Value
			}
			assert.Equal(t, want, got, "appread.JS(%q) against what the JS app forwards (%q)", h, out.Get("baggage"))
			for k := range got {
				if strings.HasPrefix(k, "laneway-") {
					decided++
				}
			}
		})
	}
	assert.Greater(t, decided, 10, "the table exercises keys the JS app reads as laneway keys")
}

// TestKeysTheRealJSAppReadsAsProtectedAreCaughtByTheFilters: every key of the table that the real JS app
// reads as a protected key is one laneway's trust boundaries remove: either the filters' key normalisation
// (baggage.KeyReadsAs) reads it as that key, or laneway's parser does not keep the member at all (a key
// that is not a token, such as one with a raw Latin-1 no-break space JS trims; the boundaries forward only
// the members it keeps, see baggage.RemoveKeys).
func TestKeysTheRealJSAppReadsAsProtectedAreCaughtByTheFilters(t *testing.T) {
	app := StartJS(t)
	protected := []string{"laneway-tenant", "laneway-shadow", "laneway-synthetic", "sd-routing-key"}
	caught := map[string]int{}
	for _, k := range jsModelKeys {
		out, status := app.Forward(t, http.MethodPost, http.Header{"Baggage": {k + "=v"}})
		require.Equal(t, http.StatusOK, status)
		for got := range jsForwarded(t, out.Get("baggage")) {
			for _, p := range protected {
				if got != p {
					continue
				}
				parsed := baggage.Parse([]string{k + "=v"})
				switch {
				case baggage.KeyReadsAs(baggage.TrimOWS(k), p):
					caught["KeyReadsAs"]++
				case parsed.Len() == 0:
					caught["not kept by the parser"]++
				default:
					t.Errorf("the real JS app reads %q as %s; baggage.KeyReadsAs does not, and laneway's parser keeps the member as %+v", k, p, parsed.At(0))
				}
			}
		}
	}
	assert.Greater(t, caught["KeyReadsAs"], 10, "the table exercises keys the filters normalise: %v", caught)
	assert.Positive(t, caught["not kept by the parser"], "the table exercises keys only the parser drops: %v", caught)
}
