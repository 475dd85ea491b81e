package proxy

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
)

func TestParseAppliesDefaultsAndReadsEveryField(t *testing.T) {
	c, err := Parse([]byte(`
workers: 3
profile: envoy133
mirrorTimeout: 2s
listeners:
- name: out
  address: 127.0.0.1:15001
  direction: outbound
  filters:
  - {name: tr, wasm: dist/tenantroute.wasm, config: {allow: [sbx-1]}, failStrategy: FAIL_OPEN}
  - {name: raw, wasm: x.wasm, config: "plain text"}
  routes:
  - name: sbx
    match:
    - headers: {x-laneway-tenant: {exact: sbx-1}, x-debug: {}}
      withoutHeaders: {x-skip: {prefix: "y"}}
      uri: {prefix: /api}
    upstream: 127.0.0.1:9002
  - upstream: listener:out
    mirrors: [{upstream: 127.0.0.1:9003, percentage: 12.5, disableShadowHostSuffix: true}]
`))
	require.NoError(t, err)
	assert.Equal(t, 3, c.Workers)
	assert.Equal(t, "envoy133", c.Profile)
	assert.Equal(t, 2*time.Second, c.MirrorTimeout)
	assert.Equal(t, DefaultUpstreamTimeout, c.UpstreamTimeout)
	assert.Equal(t, DefaultTenantHeader, c.TenantHeader)
	l := c.Listeners[0]
	assert.Equal(t, "outbound", l.Direction)
	assert.JSONEq(t, `{"allow":["sbx-1"]}`, string(l.Filters[0].PluginConfig))
	assert.Equal(t, FailOpen, l.Filters[0].FailStrategy)
	assert.Equal(t, "plain text", string(l.Filters[1].PluginConfig))
	assert.Equal(t, FailClose, l.Filters[1].FailStrategy)
	assert.Equal(t, "route-1", l.Routes[1].Name)
	assert.Equal(t, 12.5, l.Routes[1].Mirrors[0].Percentage)
	assert.True(t, l.Routes[1].Mirrors[0].DisableShadowHostSuffix)
}

func TestParseNamesTheFieldOfEveryBadValue(t *testing.T) {
	route := "\n  routes: [{upstream: 127.0.0.1:1}]\n"
	tests := []struct{ name, yaml, field, want string }{
		{"not YAML", "listeners: [", "", "not valid YAML"},
		{"broken JSON, with its position", "{\"listeners\": [\n  {\"name\": \"a\",}]}", "", "invalid JSON at line 2, column 16"},
		{"a repeated key in JSON", `{"listeners":[{"name":"a","name":"b","routes":[{"upstream":"127.0.0.1:1"}]}]}`, "listeners[0].name", "each key once"},
		{"a repeated key in a plugin config", `{"listeners":[{"name":"a","filters":[{"name":"f","wasm":"f.wasm","config":{"mode":"inbound","mode":"edge"}}],"routes":[{"upstream":"127.0.0.1:1"}]}]}`, "listeners[0].filters[0].config.mode", "the key a second time"},
		{"no listeners", "workers: 2\n", "listeners", "at least one listener"},
		{"unknown top-level field", "listenrs: []\n", "listenrs", "one of the fields workers"},
		{"workers out of range", "workers: 0\nlisteners: []\n", "workers", "from 1 to 64"},
		{"unknown profile", "profile: envoy120\nlisteners: []\n", "profile", "envoy133, envoy139"},
		{"bad duration", "mirrorTimeout: 5\nlisteners: []\n", "mirrorTimeout", "a duration"},
		{"listener without name", "listeners:\n- routes: [{upstream: 127.0.0.1:1}]\n", "listeners[0].name", "a name of 1-63"},
		{"duplicate listener", "listeners:\n- name: a" + route + "- name: a" + route, "listeners[1].name", "not used by listeners[0]"},
		{"bad address", "listeners:\n- name: a\n  address: localhost" + route, "listeners[0].address", "host:port"},
		{"bad direction", "listeners:\n- name: a\n  direction: sideways" + route, "listeners[0].direction", "inbound, outbound"},
		{"no routes", "listeners:\n- name: a\n", "listeners[0].routes", "at least one route"},
		{"filter without wasm", "listeners:\n- name: a\n  filters: [{name: f}]" + route, "listeners[0].filters[0].wasm", "make build"},
		{"filter config a number", "listeners:\n- name: a\n  filters: [{name: f, wasm: f.wasm, config: 3}]" + route, "listeners[0].filters[0].config", "an object"},
		{"unknown fail strategy", "listeners:\n- name: a\n  filters: [{name: f, wasm: f.wasm, failStrategy: RETRY}]" + route, "listeners[0].filters[0].failStrategy", "FAIL_CLOSE, FAIL_OPEN, FAIL_RELOAD"},
		{"duplicate filter", "listeners:\n- name: a\n  filters: [{name: f, wasm: f.wasm}, {name: f, wasm: g.wasm}]" + route, "listeners[0].filters[1].name", "once per listener"},
		{"route without upstream", "listeners:\n- name: a\n  routes: [{name: r}]\n", "listeners[0].routes[0].upstream", "listener:<name>"},
		{"upstream to an unknown listener", "listeners:\n- name: a\n  routes: [{upstream: listener:b}]\n", "listeners[0].routes[0].upstream", "naming one of the listeners: a"},
		{"two string matches at once", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, match: [{headers: {x: {exact: a, prefix: b}}}]}]\n", `listeners[0].routes[0].match[0].headers["x"]`, "exactly one of"},
		{"bad regex", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, match: [{uri: {regex: \"(\"}}]}]\n", "listeners[0].routes[0].match[0].uri.regex", "RE2"},
		{"empty uri match", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, match: [{uri: {}}]}]\n", "listeners[0].routes[0].match[0].uri", "exactly one of"},
		{"unknown match field", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, match: [{header: {}}]}]\n", "listeners[0].routes[0].match[0].header", "one of the fields headers"},
		{"mirror percentage too big", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, mirrors: [{upstream: 127.0.0.1:2, percentage: 101}]}]\n", "listeners[0].routes[0].mirrors[0].percentage", "from 0 to 100"},
		{"mirror to an unknown listener", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, mirrors: [{upstream: listener:zz}]}]\n", "listeners[0].routes[0].mirrors[0].upstream", "naming one of"},
		{"upstream on port 0", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:0}]\n", "listeners[0].routes[0].upstream", "host:port"},
		{"properties not a map", "listeners:\n- name: a\n  properties: [x]" + route, "listeners[0].properties", "an object of names to strings"},
		{"property path with a blank segment", "listeners:\n- name: a\n  properties: {source..principal: x}" + route, `listeners[0].properties["source..principal"]`, "dot-separated segments"},
		{"property the proxy derives from direction", "listeners:\n- name: a\n  properties: {xds.listener_direction: x}" + route, `listeners[0].properties["xds.listener_direction"]`, "from the listener's direction"},
		{"property from the stream", "listeners:\n- name: a\n  properties: {request.host: x}" + route, `listeners[0].properties["request.host"]`, "outside request.*"},
		{"property value not a string", "listeners:\n- name: a\n  properties: {source.principal: [x]}" + route, `listeners[0].properties["source.principal"]`, "allowed: a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			require.Error(t, err)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestListenerPropertiesReachEveryFilterVMOfThatListenerOnly(t *testing.T) {
	c, err := Parse([]byte(`
listeners:
- name: mtls
  direction: inbound
  properties: {connection.uri_san_peer_certificate: "spiffe://cluster.local/ns/shop/sa/svc-a", source.principal: "spiffe://cluster.local/ns/shop/sa/svc-a"}
  routes: [{upstream: 127.0.0.1:1}]
- name: plain
  routes: [{upstream: 127.0.0.1:1}]
`))
	require.NoError(t, err)
	want := map[string]string{
		"connection.uri_san_peer_certificate": "spiffe://cluster.local/ns/shop/sa/svc-a",
		"source.principal":                    "spiffe://cluster.local/ns/shop/sa/svc-a",
	}
	assert.Equal(t, want, c.Listeners[0].Properties)
	o := newVMOptions(c, c.Listeners[0], FilterConfig{Name: "f"})
	assert.Equal(t, testenv.StringValue(want["connection.uri_san_peer_certificate"]), o.Properties["connection.uri_san_peer_certificate"])
	assert.Equal(t, testenv.IntValue(1), o.Properties["xds.listener_direction"])
	assert.Equal(t, testenv.StringValue("mtls"), o.Properties["xds.listener_name"])
	plain := newVMOptions(c, c.Listeners[1], FilterConfig{Name: "f"})
	assert.NotContains(t, plain.Properties, "connection.uri_san_peer_certificate", "another listener's connections present no peer identity")
}

func TestLoadFileResolvesWasmPathsAgainstTheConfigFolder(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "mesh.yaml")
	require.NoError(t, os.WriteFile(p, []byte("listeners:\n- name: a\n  filters: [{name: f, wasm: dist/f.wasm}, {name: g, wasm: /abs/g.wasm}]\n  routes: [{upstream: 127.0.0.1:1}]\n"), 0o644))
	c, err := LoadFile(p)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "dist/f.wasm"), c.Listeners[0].Filters[0].Wasm)
	assert.Equal(t, "/abs/g.wasm", c.Listeners[0].Filters[1].Wasm)
}

func TestRoutesMatchLikeIstioFirstMatchWins(t *testing.T) {
	c, err := Parse([]byte(`
listeners:
- name: a
  routes:
  - name: exact
    match: [{headers: {x-laneway-tenant: {exact: sbx-1}}}]
    upstream: 127.0.0.1:1
  - name: prefix-or-regex
    match: [{headers: {x-laneway-tenant: {prefix: pr-}}}, {headers: {x-laneway-tenant: {regex: "re-[0-9]+"}}}]
    upstream: 127.0.0.1:2
  - name: present-without-skip
    match: [{headers: {x-debug: {}}, withoutHeaders: {x-skip: {}}}]
    upstream: 127.0.0.1:3
  - name: api-get
    match: [{uri: {exact: /api}, method: {exact: GET}, authority: {prefix: "svc-b"}}]
    upstream: 127.0.0.1:4
  - name: default
    upstream: 127.0.0.1:5
`))
	require.NoError(t, err)
	routes := c.Listeners[0].Routes
	tests := []struct {
		name string
		h    testenv.Headers
		want string
	}{
		{"an exact tenant picks the exact route", testenv.RequestHeaders("GET", "x", "/", "x-laneway-tenant", "sbx-1"), "exact"},
		{"exact does not match a longer value", testenv.RequestHeaders("GET", "x", "/", "x-laneway-tenant", "sbx-10"), "default"},
		{"a prefix matches", testenv.RequestHeaders("GET", "x", "/", "x-laneway-tenant", "pr-7"), "prefix-or-regex"},
		{"the regex must match the whole value", testenv.RequestHeaders("GET", "x", "/", "x-laneway-tenant", "re-12"), "prefix-or-regex"},
		{"a partial regex match does not count", testenv.RequestHeaders("GET", "x", "/", "x-laneway-tenant", "re-12x"), "default"},
		{"presence matches any value", testenv.RequestHeaders("GET", "x", "/", "x-debug", ""), "present-without-skip"},
		{"withoutHeaders excludes", testenv.RequestHeaders("GET", "x", "/", "x-debug", "1", "x-skip", "1"), "default"},
		{"uri exact ignores the query string", testenv.RequestHeaders("GET", "svc-b:80", "/api?x=1", "a", "b"), "api-get"},
		{"method must match too", testenv.RequestHeaders("POST", "svc-b:80", "/api"), "default"},
		{"first match wins over later routes", testenv.RequestHeaders("GET", "svc-b:80", "/api", "x-laneway-tenant", "sbx-1"), "exact"},
		{"nothing specific falls to the default route", testenv.RequestHeaders("GET", "x", "/"), "default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := selectRoute(routes, tc.h)
			require.GreaterOrEqual(t, i, 0)
			assert.Equal(t, tc.want, routes[i].Name)
		})
	}
}

func TestShadowAuthorityAppendsTheSuffixBeforeThePort(t *testing.T) {
	for in, want := range map[string]string{
		"svc-b:8080":      "svc-b-shadow:8080",
		"svc-b":           "svc-b-shadow",
		"a.b.svc:80":      "a.b.svc-shadow:80",
		"[::1]:8080":      "[::1]-shadow:8080",
		"svc.example.com": "svc.example.com-shadow",
	} {
		assert.Equal(t, want, ShadowAuthority(in), in)
	}
}

func TestParseRefusesARepeatedKeyInYAML(t *testing.T) {
	_, err := Parse([]byte("listeners:\n- name: a\n  filters: [{name: f, wasm: f.wasm, config: {mode: inbound, mode: edge}}]\n  routes: [{upstream: 127.0.0.1:1}]\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"mode" already set in map`)
	assert.Contains(t, err.Error(), "line 3")
}

func TestParseDecodesStrictlyWithOneErrorFormat(t *testing.T) {
	route := "\n  routes: [{upstream: 127.0.0.1:1}]\n"
	tests := []struct{ name, yaml, err string }{
		{"a number where a string goes", "profile: 139\nlisteners: []\n", `mesh config: field "profile": got number 139; allowed: a string`},
		{"a string where an integer goes", "workers: two\nlisteners: []\n", `mesh config: field "workers": got string "two"; allowed: an integer`},
		{"a fraction of a worker", "workers: 1.5\nlisteners: []\n", `mesh config: field "workers": got number 1.5; allowed: an integer`},
		{"a list where a listener goes", "listeners: [[a]]\n", `mesh config: field "listeners[0]": got array ["a"]; allowed: a JSON object with the fields name, address, direction, properties, filters, routes, waypoint, identity`},
		{"a repeated key deep down", `{"listeners":[{"name":"a","routes":[{"upstream":"127.0.0.1:1","mirrors":[{"upstream":"127.0.0.1:2","percentage":1,"percentage":2}]}]}]}`,
			`mesh config: field "listeners[0].routes[0].mirrors[0].percentage": got the key a second time (line 1, column 115); allowed: each key once (YAML and JSON readers would silently keep only the last)`},
		{"an unknown mirror field", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, mirrors: [{upstream: 127.0.0.1:2, percent: 5}]}]\n",
			`mesh config: field "listeners[0].routes[0].mirrors[0].percent": got an unknown field; allowed: one of the fields upstream, percentage, disableShadowHostSuffix`},
		{"an empty listener list", "listeners: []\n", `mesh config: field "listeners": got array []; allowed: a list of at least one listener {name, address, filters, routes}`},
		{"an empty route list", "listeners:\n- name: a\n  routes: []\n", `mesh config: field "listeners[0].routes": got array []; allowed: a list of at least one route {name, match, upstream, mirrors}`},
		{"a timeout of zero", "upstreamTimeout: 0s\nlisteners: []\n", `mesh config: field "upstreamTimeout": got duration 0s; allowed: a duration such as 500ms or 5s, above 0 and at most 10m`},
		{"a reserved tenant header", "tenantHeader: Host\nlisteners: []\n", `mesh config: field "tenantHeader": got string "Host"; allowed: a header name other than host, content-length, transfer-encoding, connection, te, upgrade, keep-alive, proxy-connection (the proxy owns them)`},
		{"a header match given twice in two cases", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, match: [{headers: {X-A: {}, x-a: {exact: b}}}]}]\n",
			`mesh config: field "listeners[0].routes[0].match[0].headers[\"x-a\"]": got "x-a"; allowed: each header name once (names are compared in lower case)`},
		{"a filter config that is a list", "listeners:\n- name: a\n  filters: [{name: f, wasm: f.wasm, config: [1]}]" + route,
			`mesh config: field "listeners[0].filters[0].config": got array [1]; allowed: an object (sent to the filter as JSON, like WasmPlugin.pluginConfig) or a string sent as is`},
		{"a negative mirror percentage", "listeners:\n- name: a\n  routes: [{upstream: 127.0.0.1:1, mirrors: [{upstream: 127.0.0.1:2, percentage: -1}]}]\n",
			`mesh config: field "listeners[0].routes[0].mirrors[0].percentage": got number -1; allowed: a number from 0 to 100 (default 100)`},
		{"the document is a list", "[1]", `mesh config: field "(document)": got array [1]; allowed: a JSON object with the fields workers, profile, tenantHeader, upstreamTimeout, mirrorTimeout, maxBodyBytes, listeners, clusters`},
		{"an empty document", "", `mesh config: field "(document)": got null; allowed: a JSON object with the fields workers, profile, tenantHeader, upstreamTimeout, mirrorTimeout, maxBodyBytes, listeners, clusters`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			require.Error(t, err)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, "mesh", ce.Filter)
			assert.Equal(t, tc.err, err.Error())
		})
	}
}

func TestParseAppliesEachTypesDefaultsAndFoldsHeaderNames(t *testing.T) {
	c, err := Parse([]byte(`
tenantHeader: X-Tenant
listeners:
- name: a
  filters: [{name: f, wasm: f.wasm}]
  routes:
  - upstream: 127.0.0.1:1
    match: [{headers: {X-Debug: {}}, withoutHeaders: {X-Skip: {prefix: "y"}}}]
    mirrors: [{upstream: 127.0.0.1:2}, {upstream: 127.0.0.1:3, percentage: 0}]
`))
	require.NoError(t, err)
	assert.Equal(t, "x-tenant", c.TenantHeader, "upper case is folded, as every laneway header name")
	l := c.Listeners[0]
	assert.Equal(t, DefaultAddress, l.Address)
	assert.Equal(t, FailClose, l.Filters[0].FailStrategy)
	assert.Nil(t, l.Filters[0].PluginConfig, "no config: the filter gets the empty configuration")
	assert.Equal(t, "route-0", l.Routes[0].Name)
	assert.Equal(t, 100.0, l.Routes[0].Mirrors[0].Percentage, "an absent percentage is 100")
	assert.Equal(t, 0.0, l.Routes[0].Mirrors[1].Percentage, "an explicit 0 stays 0")
	assert.Contains(t, l.Routes[0].Match[0].Headers, "x-debug")
	assert.Contains(t, l.Routes[0].Match[0].WithoutHeaders, "x-skip")
	assert.Equal(t, DefaultWorkers, c.Workers)
	assert.Equal(t, DefaultMaxBodyBytes, c.MaxBodyBytes)
}

// FuzzParse: any document parses into a Config that validates, or is refused with a ConfigError; it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"listeners: [{name: a, routes: [{upstream: 127.0.0.1:1}]}]",
		"listeners: [{name: a, filters: [{name: f, wasm: f.wasm, config: {a: 1}}], routes: [{upstream: listener:a, mirrors: [{upstream: 127.0.0.1:2, percentage: 5}], match: [{headers: {x: {regex: a+}}, uri: {prefix: /}}]}]}]",
		"clusters: {c: [127.0.0.1:1, listener:a]}\nlisteners: [{name: a, routes: [{upstream: 127.0.0.1:1}]}]",
		`{"workers":1,"listeners":[{"name":"a","properties":{"source.principal":"x"},"routes":[{"upstream":"127.0.0.1:1"}]}]}`,
		"workers: 1e3", "[", "listeners: [{name: a, name: b}]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := Parse([]byte(doc))
		if err != nil {
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.NotEmpty(t, ce.Got)
			require.NotEmpty(t, ce.Allowed)
			return
		}
		require.NoError(t, c.Validate())
		require.NotEmpty(t, c.Listeners)
	})
}
