package filterconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
)

func TestEveryFilterValidatesWithItsOwnParseConfig(t *testing.T) {
	tests := []struct {
		filter, valid, invalid string
	}{
		{"tenantroute", `{}`, `{"noSuchField":true}`},
		{"shadowtag", `{"mode":"inbound"}`, `{"mode":"inbound","noSuchField":true}`},
		{"synthetic", `{"mode":"outbound"}`, `{"mode":"outbound","noSuchField":true}`},
		{"shadowtag-compare", `{"mode":"inbound","compare":{"role":"candidate","collector":{"cluster":"c","authority":"collector:8080"}}}`, `{"mode":"inbound","noSuchField":true}`},
	}
	require.Equal(t, []string{"laneway", "shadowtag", "shadowtag-compare", "synthetic", "tenantroute"}, Names(), "every filter with a ParseConfig is registered")
	for _, tc := range tests {
		t.Run(tc.filter+" accepts a minimal config and names an unknown field", func(t *testing.T) {
			f, err := Lookup(tc.filter)
			require.NoError(t, err)
			assert.Equal(t, tc.filter, f.Name)
			assert.NoError(t, f.Validate([]byte(tc.valid)))
			err = f.Validate([]byte(tc.invalid))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "noSuchField")
		})
	}
}

func TestLookupListsTheKnownFilters(t *testing.T) {
	_, err := Lookup("tenant-route")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown filter "tenant-route": expected one of laneway, shadowtag, shadowtag-compare, synthetic, tenantroute`)
	f, err := Lookup("tenantroute")
	require.NoError(t, err)
	assert.Equal(t, "CLIENT", f.MatchMode, "routing happens on the caller side")
}

// TestEveryFilterRefusesARepeatedKeyAtAnyLevel: the filters' own parsers (pluginconfig.Walk, the same code
// in the Wasm build) refuse a key given twice, naming it, so a config that reaches Envoy with one is refused
// at on_configure instead of silently keeping the last.
func TestEveryFilterRefusesARepeatedKeyAtAnyLevel(t *testing.T) {
	for _, tc := range []struct{ filter, config, field string }{
		{"tenantroute", `{"tenantHeader":"x-a","tenantHeader":"x-b"}`, `field "tenantHeader": got the field a second time`},
		{"shadowtag", `{"mode":"inbound","mode":"edge"}`, `field "mode": got the field a second time`},
		{"shadowtag", `{"mode":"inbound","detect":{"hostSuffix":true,"hostSuffix":false}}`, `field "detect.hostSuffix": got the field a second time`},
		{"synthetic", `{"mode":"inbound","mode":"edge"}`, `field "mode": got the field a second time`},
		{"synthetic", `{"mode":"inbound","trust":{"principals":["a"],"principals":["b"]}}`, `field "trust.principals": got the field a second time`},
	} {
		t.Run(tc.filter+" "+tc.config, func(t *testing.T) {
			f, err := Lookup(tc.filter)
			require.NoError(t, err)
			assert.ErrorContains(t, f.Validate([]byte(tc.config)), tc.field)
		})
	}
}

// The plain shadowtag module refuses a compare section, as the module itself does; shadowtag-compare takes it.
func TestShadowtagModulesValidateAsTheyLoad(t *testing.T) {
	const withCompare = `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"collector:8080"},"shards":4}}`
	plain, err := Lookup("shadowtag")
	require.NoError(t, err)
	assert.ErrorContains(t, plain.Validate([]byte(withCompare)), "load the shadowtag-compare module")
	cmp, err := Lookup("shadowtag-compare")
	require.NoError(t, err)
	assert.NoError(t, cmp.Validate([]byte(withCompare)))
	assert.ErrorContains(t, cmp.Validate([]byte(`{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"collector:8080"},"shards":0}}`)), `field "compare.shards"`)
}

func TestTheRegistryHoldsExactlyTheShippedFilters(t *testing.T) {
	var keys []string
	for n := range registry {
		keys = append(keys, n)
	}
	assert.ElementsMatch(t, filters.Shipped(), keys, "filters.Shipped is the one list; the registry describes each entry")
	for _, n := range filters.Fixtures() {
		_, err := Lookup(n)
		require.Error(t, err, "a test fixture is not a filter the CLI deploys")
		assert.Contains(t, err.Error(), "is a test fixture")
		assert.Contains(t, err.Error(), "laneway, shadowtag, shadowtag-compare, synthetic, tenantroute")
	}
}
