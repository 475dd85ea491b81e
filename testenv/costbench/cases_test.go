package costbench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
)

const routedCase = `{"Name": "tenantroute/sidecar-routed", "Module": "tenantroute", "Config": "", "Props": {},
 "Req": [[":method", "GET"], [":authority", "svc-b.shop.svc.cluster.local:8080"], [":path", "/api/orders/42"], [":scheme", "http"],
  ["baggage", "userid=42,laneway-tenant=sbx-1"]], "Resp": [[":status", "200"]]}`

func TestReadCases(t *testing.T) {
	cases := []struct {
		name, json string
		want       []string // error fragments; none: valid
	}{
		{"valid", `[` + routedCase + `, {"Name": "request only", "Module": "synthetic", "Config": "{}", "Props": {"a.b": "c"}, "Req": [["k", "v"]], "Resp": null}]`, nil},
		{"not JSON", `{`, []string{"expected a JSON list"}},
		{"an object", `{"Name": "x"}`, []string{"expected a JSON list"}},
		{"an unknown field", `[{"Name": "x", "Module": "m", "Req": [["k","v"]], "Headers": []}]`, []string{`unknown field "Headers"`}},
		{"no case", `[]`, []string{"holds no case"}},
		{"no Name", `[{"Module": "m", "Req": [["k","v"]]}]`, []string{"case 0 has no Name"}},
		{"a Name twice", `[` + routedCase + `,` + routedCase + `]`, []string{`the Name "tenantroute/sidecar-routed" is used twice`}},
		{"no Module", `[{"Name": "x", "Req": [["k","v"]]}]`, []string{`case "x": Module is ""`, "expected a module name"}},
		{"a file as Module", `[{"Name": "x", "Module": "tenantroute.wasm", "Req": [["k","v"]]}]`, []string{`Module is "tenantroute.wasm"`}},
		{"a path as Module", `[{"Name": "x", "Module": "dist/tenantroute", "Req": [["k","v"]]}]`, []string{`Module is "dist/tenantroute"`}},
		{"no Req", `[{"Name": "x", "Module": "m"}]`, []string{`case "x" has no Req headers`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cases.json")
			require.NoError(t, os.WriteFile(path, []byte(c.json), 0o644))
			cs, err := ReadCases(path)
			if c.want == nil {
				require.NoError(t, err)
				require.Len(t, cs, 2)
				assert.Equal(t, "tenantroute", cs[0].Module)
				assert.Equal(t, [2]string{"baggage", "userid=42,laneway-tenant=sbx-1"}, cs[0].Req[4])
				assert.Nil(t, cs[1].Resp)
				assert.Equal(t, map[string]string{"a.b": "c"}, cs[1].Props)
				c0, c1 := cs[0].Case(), cs[1].Case()
				assert.Equal(t, testenv.Header{Key: "baggage", Value: "userid=42,laneway-tenant=sbx-1"}, c0.Request[4])
				assert.Equal(t, testenv.Headers{{Key: ":status", Value: "200"}}, c0.Response)
				assert.Nil(t, c0.Properties)
				assert.Nil(t, c1.Response)
				assert.Equal(t, map[string][]byte{"a.b": []byte("c")}, c1.Properties)
				assert.Equal(t, "{}", c1.PluginConfig)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := ReadCases(filepath.Join(t.TempDir(), "absent.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestModuleFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "build-a.wasm")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	cases := []struct {
		name, side, want string
		err              bool
	}{
		{"a folder", dir, filepath.Join(dir, "tenantroute.wasm"), false},
		{"a file, for every case", file, file, false},
		{"absent", filepath.Join(dir, "nope"), "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ModuleFile(c.side, "tenantroute")
			if c.err {
				assert.ErrorIs(t, err, os.ErrNotExist)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}
