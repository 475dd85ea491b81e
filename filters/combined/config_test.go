package combined

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/tenantroute"
)

func TestParseConfigTurnsOnTheRolesItNames(t *testing.T) {
	for _, tc := range []struct {
		config string
		roles  []string
	}{
		{`{"tenantroute":{}}`, []string{"tenantroute"}},
		{`{"shadowtag":{"mode":"inbound"}}`, []string{"shadowtag"}},
		{`{"synthetic":{"mode":"inbound"}}`, []string{"synthetic"}},
		{`{"tenantroute":{"allow":["acme"]},"synthetic":{"mode":"edge","trust":{"principals":["spiffe://x"]}},"shadowtag":{"mode":"edge"}}`,
			[]string{"synthetic", "shadowtag", "tenantroute"}},
		{" \n{\"shadowtag\":{\"mode\":\"outbound\"},\"tenantroute\":{}}\n", []string{"shadowtag", "tenantroute"}},
	} {
		t.Run(tc.config, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.config))
			require.NoError(t, err)
			assert.Equal(t, tc.roles, c.Roles())
			assert.Contains(t, c.Summary(), "laneway: roles ")
		})
	}
}

// Each role's section is exactly what its filter takes alone: the same parse, the same result.
func TestEachRoleIsParsedByItsFiltersOwnParser(t *testing.T) {
	c, err := ParseConfig([]byte(`{"tenantroute":{"allow":["acme"],"header":"x-tenant"},"synthetic":{"mode":"outbound","participants":["orders"]},"shadowtag":{"mode":"outbound","outbound":{"action":"reroute"}}}`))
	require.NoError(t, err)
	tr, err := tenantroute.ParseConfig([]byte(`{"allow":["acme"],"header":"x-tenant"}`))
	require.NoError(t, err)
	assert.Equal(t, tr.Summary(), c.Tenantroute.Summary())
	sy, err := synthetic.ParseConfig([]byte(`{"mode":"outbound","participants":["orders"]}`))
	require.NoError(t, err)
	assert.Equal(t, sy.Summary(), c.Synthetic.Summary())
	st, err := shadowtag.ParseConfig([]byte(`{"mode":"outbound","outbound":{"action":"reroute"}}`))
	require.NoError(t, err)
	assert.Equal(t, st.Summary(), c.Shadowtag.Summary())
}

func TestParseConfigRejectsBadFieldsNamingThem(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		want         []string
	}{
		{"absent", "", []string{"an empty configuration", "tenantroute, shadowtag, synthetic"}},
		{"blank", " \n\t", []string{"an empty configuration", "tenantroute, shadowtag, synthetic"}},
		{"no role", `{}`, []string{"no role", "tenantroute, shadowtag, synthetic"}},
		{"invalid JSON", `{"tenantroute":`, []string{"invalid JSON", "tenantroute, shadowtag, synthetic"}},
		{"not an object", `["tenantroute"]`, []string{"array", "tenantroute, shadowtag, synthetic"}},
		{"unknown key", `{"tenantroute":{},"tenantRoute":{}}`, []string{`field "tenantRoute"`, "an unknown field", "tenantroute, shadowtag, synthetic"}},
		{"duplicate key", `{"tenantroute":{},"tenantroute":{"allow":["b"]}}`, []string{`field "tenantroute"`, "a second time"}},
		{"role not an object", `{"synthetic":"inbound"}`, []string{`field "synthetic"`, `string "inbound"`, "the configuration the synthetic filter takes alone"}},
		{"role null", `{"shadowtag":null}`, []string{`field "shadowtag"`, "null"}},
		{"bad tenantroute field", `{"tenantroute":{"allow":["Not A Label"]}}`, []string{"role tenantroute", "tenantroute config", `"allow[0]"`}},
		{"bad shadowtag field", `{"shadowtag":{"mode":"outbound","outbound":{"action":"drop"}}}`, []string{"role shadowtag", `"outbound.action"`}},
		{"bad synthetic field", `{"synthetic":{"mode":"inbound","ack":{}}}`, []string{"role synthetic", `field "ack"`}},
		{"compare, as plain shadowtag refuses it", `{"shadowtag":{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"collector:8080"}}}}`,
			[]string{"role shadowtag", `field "compare"`, "load the shadowtag-compare module"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			var pe *pluginconfig.Error
			assert.True(t, errors.As(err, &pe), "every refusal is a pluginconfig.Error (a role's inside a RoleError): %T", err)
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"tenantroute":{}}`, `{"shadowtag":{"mode":"inbound"},"synthetic":{"mode":"edge"}}`,
		`{"tenantroute":{"allow":["a"]},"tenantroute":{}}`, `{"synthetic":null}`, `[1]`, `{"shadowtag":{"compare":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if len(c.Roles()) == 0 {
			t.Fatalf("accepted %q without a role", data)
		}
	})
}
