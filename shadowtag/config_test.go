package shadowtag

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfigAppliesDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(`{"mode":"outbound"}`))
	require.NoError(t, err)
	assert.Equal(t, ModeOutbound, c.Mode)
	assert.True(t, c.HostSuffix)
	assert.False(t, c.ShadowWorkload)
	assert.True(t, c.Baggage)
	assert.False(t, c.RestoreHost)
	assert.Equal(t, []string{"POST", "PUT", "PATCH", "DELETE"}, c.Methods)
	assert.Empty(t, c.Allow)
	assert.Equal(t, ActionSuppress, c.Action)
	assert.Equal(t, uint32(202), c.Response.Status)
	assert.JSONEq(t, DefaultResponseBody, string(c.Response.Body), "the default body is valid JSON")
	assert.Equal(t, "x-laneway-shadow-route", c.RerouteHeader)
	assert.Equal(t, "test-double", c.RerouteValue)
}

func TestParseConfigAcceptsValidFields(t *testing.T) {
	c, err := ParseConfig([]byte(`{
		"mode": "auto",
		"detect": {"hostSuffix": false, "shadowWorkload": true,
			"markerHeaders": [{"name": "X-Mirror"}, {"name": "x-traffic", "value": "shadow"}]},
		"inbound": {"restoreHost": true, "baggage": false},
		"outbound": {"mutatingMethods": ["post", "PURGE"], "allow": ["Audit", "*.stubs.local", "[fd00::1]"],
			"action": "reroute",
			"response": {"status": 299, "headers": {"Content-Type": "text/plain"}, "body": ""},
			"reroute": {"header": "x-stub", "value": "hoverfly"}}
	}`))
	require.NoError(t, err)
	assert.Equal(t, ModeAuto, c.Mode)
	assert.False(t, c.HostSuffix)
	assert.True(t, c.ShadowWorkload)
	assert.Equal(t, []MarkerHeaderMatch{{Name: "x-mirror"}, {Name: "x-traffic", Value: "shadow"}}, c.MarkerHeaders)
	assert.True(t, c.RestoreHost)
	assert.False(t, c.Baggage)
	assert.Equal(t, []string{"POST", "PURGE"}, c.Methods)
	assert.Equal(t, []string{"audit", "*.stubs.local", "[fd00::1]"}, c.Allow)
	assert.Equal(t, ActionReroute, c.Action)
	assert.Equal(t, uint32(299), c.Response.Status)
	assert.Equal(t, [][2]string{{"content-type", "text/plain"}}, c.Response.Headers)
	assert.Empty(t, c.Response.Body)
	assert.Equal(t, "x-stub", c.RerouteHeader)
	assert.Equal(t, "hoverfly", c.RerouteValue)
}

func TestParseConfigRejectsBadFieldsNamingThem(t *testing.T) {
	for _, tc := range []struct {
		name, json, field string
		mentions          []string // text the message must contain besides the field
	}{
		{"invalid JSON", `{"mode":`, "", []string{"not valid JSON", "a JSON object"}},
		{"a JSON array", `[]`, "", []string{"JSON object"}},
		{"an unknown mode", `{"mode":"sideways"}`, "mode", []string{`"sideways"`, `"inbound", "outbound", "edge", "auto", "waypoint"`}},
		{"a mode that is not a string", `{"mode":1}`, "mode", []string{"got number 1"}},
		{"an unknown top-level field", `{"mode":"edge","strip":true}`, "strip", []string{"unknown", "mode, detect, inbound, outbound"}},
		{"a repeated field", `{"mode":"edge","mode":"inbound"}`, "mode", []string{"at most once"}},
		{"an unknown detect field", `{"mode":"edge","detect":{"suffix":true}}`, "detect.suffix", []string{"hostSuffix, shadowWorkload, markerHeaders"}},
		{"a string for a bool", `{"mode":"inbound","detect":{"hostSuffix":"yes"}}`, "detect.hostSuffix", []string{`"yes"`, "true or false"}},
		{"a marker header that is a string", `{"mode":"inbound","detect":{"markerHeaders":["x-a"]}}`, "detect.markerHeaders[0]", []string{`"x-a"`, "JSON object"}},
		{"a marker header without name", `{"mode":"inbound","detect":{"markerHeaders":[{"value":"1"}]}}`, "detect.markerHeaders[0].name", []string{"required"}},
		{"a marker header with a bad name", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x a"}]}}`, "detect.markerHeaders[0].name", []string{"token"}},
		{"a pseudo-header marker", `{"mode":"inbound","detect":{"markerHeaders":[{"name":":authority"}]}}`, "detect.markerHeaders[0].name", []string{"pseudo-header"}},
		{"laneway's own header as marker", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"X-Laneway-Shadow"}]}}`, "detect.markerHeaders[0].name", []string{"baggage, x-laneway-shadow (the filter sets them itself)"}},
		{"baggage as marker", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"baggage"}]}}`, "detect.markerHeaders[0].name", []string{"baggage, x-laneway-shadow (the filter sets them itself)"}},
		{"a repeated marker header", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-a"},{"name":"X-A"}]}}`, "detect.markerHeaders[1].name", []string{"not listed before"}},
		{"a marker value with a newline", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x-a","value":"a\nb"}]}}`, "detect.markerHeaders[0].value", []string{"visible ASCII"}},
		{"too many marker headers", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},{"name":"e"},{"name":"f"},{"name":"g"},{"name":"h"},{"name":"i"}]}}`, "detect.markerHeaders", []string{"at most 8"}},
		{"an unknown inbound field", `{"mode":"inbound","inbound":{"restore":true}}`, "inbound.restore", []string{"restoreHost, baggage"}},
		{"an empty method list", `{"mode":"outbound","outbound":{"mutatingMethods":[]}}`, "outbound.mutatingMethods", []string{"non-empty"}},
		{"a method that is not a token", `{"mode":"outbound","outbound":{"mutatingMethods":["PO ST"]}}`, "outbound.mutatingMethods[0]", []string{`"PO ST"`, "HTTP method"}},
		{"a repeated method", `{"mode":"outbound","outbound":{"mutatingMethods":["POST","post"]}}`, "outbound.mutatingMethods[1]", []string{`"post"`, "at most once"}},
		{"too many methods", `{"mode":"outbound","outbound":{"mutatingMethods":[` + strings.TrimSuffix(strings.Repeat(`"POST",`, 17), ",") + `]}}`, "outbound.mutatingMethods", []string{"17 entries", "at most 16 entries"}},
		{"too many allow entries", `{"mode":"outbound","outbound":{"allow":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 65), ",") + `]}}`, "outbound.allow", []string{"65 entries", "at most 64 entries"}},
		{"an allow entry with a port", `{"mode":"outbound","outbound":{"allow":["audit:8080"]}}`, "outbound.allow[0]", []string{`"audit:8080"`, "without port"}},
		{"an allow entry with the mirror suffix", `{"mode":"outbound","outbound":{"allow":["audit-shadow"]}}`, "outbound.allow[0]", []string{"-shadow"}},
		{"an allow entry with an inner wildcard", `{"mode":"outbound","outbound":{"allow":["a.*.b"]}}`, "outbound.allow[0]", []string{"DNS name"}},
		{"an unknown action", `{"mode":"outbound","outbound":{"action":"drop"}}`, "outbound.action", []string{`"drop"`, `"suppress", "reroute"`}},
		{"a status below 200", `{"mode":"outbound","outbound":{"response":{"status":100}}}`, "outbound.response.status", []string{"got number 100", "200 to 599"}},
		{"a fractional status", `{"mode":"outbound","outbound":{"response":{"status":200.5}}}`, "outbound.response.status", []string{"200.5"}},
		{"a status given as a string", `{"mode":"outbound","outbound":{"response":{"status":"200"}}}`, "outbound.response.status", []string{`"200"`}},
		{"a response header with a number value", `{"mode":"outbound","outbound":{"response":{"headers":{"x-a":1}}}}`, "outbound.response.headers.x-a", []string{"got number 1"}},
		{"a response pseudo-header", `{"mode":"outbound","outbound":{"response":{"headers":{":status":"200"}}}}`, "outbound.response.headers.:status", []string{"pseudo-header"}},
		{"a repeated response header", `{"mode":"outbound","outbound":{"response":{"headers":{"x-a":"1","X-A":"2"}}}}`, "outbound.response.headers.X-A", []string{"at most once"}},
		{"a body that is not a string", `{"mode":"outbound","outbound":{"response":{"body":{"a":1}}}}`, "outbound.response.body", []string{"string"}},
		{"an empty reroute value", `{"mode":"outbound","outbound":{"reroute":{"value":""}}}`, "outbound.reroute.value", []string{"1 to 256 visible ASCII"}},
		{"an unknown reroute field", `{"mode":"outbound","outbound":{"reroute":{"cluster":"x"}}}`, "outbound.reroute.cluster", []string{"header, value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			require.Error(t, err)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "a *ConfigError, got %T", err)
			assert.Equal(t, tc.field, ce.Field)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "shadowtag config: field "), msg)
			for _, m := range tc.mentions {
				assert.Contains(t, msg, m)
			}
		})
	}
}

func TestSummaryDescribesTheConfigurationForTheStartupLog(t *testing.T) {
	c, err := ParseConfig([]byte(`{"mode":"auto","detect":{"shadowWorkload":true,"markerHeaders":[{"name":"x-mirror","value":"1"}]},"outbound":{"allow":["audit"],"action":"reroute"}}`))
	require.NoError(t, err)
	s := c.Summary()
	for _, part := range []string{"mode=auto", "shadow workload", "header x-mirror=1", "-shadow host suffix", "restoreHost=false", "methods=POST,PUT,PATCH,DELETE", "allow=[audit]", "action=reroute", "x-laneway-shadow-route:test-double"} {
		assert.Contains(t, s, part)
	}
	assert.NotContains(t, s, "\n")

	e, err := ParseConfig([]byte(`{"mode":"edge","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`))
	require.NoError(t, err)
	assert.Contains(t, e.Summary(), "strips=[x-laneway-shadow, laneway-shadow baggage, x-mirror, x-laneway-shadow-route]")
}

func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		`{"mode":"inbound"}`, `{"mode":"auto","detect":{"markerHeaders":[{"name":"x","value":"y"}]}}`,
		`{"mode":"outbound","outbound":{"allow":["*.a","[::1]"],"response":{"status":200,"headers":{"a":"b"},"body":"x"}}}`,
		`{"mode":"edge","mode":"edge"}`, `[1,2]`, `{"detect":{"markerHeaders":[{}]}}`, `"x"`, `{"mode":"outbound","outbound":{"response":{"status":1e3}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Allowed == "" || ce.Got == "" {
				t.Fatalf("error without field details: %v", err)
			}
			return
		}
		if c.Mode < ModeInbound || c.Mode > ModeWaypoint || len(c.Methods) == 0 || len(c.MarkerHeaders) > MaxMarkerHeaders ||
			c.Response.Status < 200 || c.Response.Status > 599 || c.RerouteHeader == "" || c.RerouteValue == "" {
			t.Fatalf("accepted an invalid config %+v from %q", c, data)
		}
		_ = c.Summary()
	})
}
