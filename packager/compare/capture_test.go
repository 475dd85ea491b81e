package compare

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodCapture = `{"id":"r1","role":"primary","service":"orders","method":"GET","path":"/orders/42?verbose=1","status":200,` +
	`"headers":{"content-type":"application/json"},"body":"eyJhIjoxfQ==","bodyBytes":7,"truncated":false,"ts":1733550000000}`

func TestDecodeBatchReadsTheWireFormat(t *testing.T) {
	caps, err := DecodeBatch(strings.NewReader(`{"captures":[` + goodCapture + `,{"id":"r1","role":"candidate","service":"orders","method":"GET","path":"/orders/42","status":503,"body":"eyJh","bodyBytes":7,"truncated":true}]}`))
	require.NoError(t, err)
	require.Len(t, caps, 2)
	assert.Equal(t, Capture{ID: "r1", Role: Primary, Service: "orders", Method: "GET", Path: "/orders/42?verbose=1", Status: 200,
		Headers: map[string]string{"content-type": "application/json"}, Body: []byte(`{"a":1}`), BodyBytes: 7, TS: 1733550000000}, caps[0])
	assert.Equal(t, Candidate, caps[1].Role)
	assert.True(t, caps[1].Truncated)
	assert.Equal(t, []byte(`{"a`), caps[1].Body)

	again, err := EncodeBatch(caps)
	require.NoError(t, err)
	back, err := DecodeBatch(strings.NewReader(string(again)))
	require.NoError(t, err)
	assert.Equal(t, caps, back, "EncodeBatch writes what DecodeBatch reads")
}

func TestDecodeBatchRefusesMalformedCapturesNamingIndexAndField(t *testing.T) {
	with := func(old, new string) string {
		return `{"captures":[` + goodCapture + `,` + strings.Replace(goodCapture, old, new, 1) + `]}`
	}
	tests := []struct {
		name, body   string
		index        int
		field, inMsg string
	}{
		{"an empty body", ``, -1, "captures", "empty body"},
		{"not JSON", `{"captures":[`, -1, "captures", "not valid JSON"},
		{"no captures member", `{}`, -1, "captures", "missing"},
		{"an unknown batch member", `{"captures":[],"extra":1}`, -1, "extra", "unknown field"},
		{"two objects", `{"captures":[]} {}`, -1, "captures", "data after"},
		{"captures not an array", `{"captures":{}}`, -1, "captures", "expected an array"},
		{"a null capture", `{"captures":[` + goodCapture + `,null]}`, 1, "captures", "got null"},
		{"an unknown capture field", with(`"ts":`, `"tsx":`), 1, "tsx", "unknown field"},
		{"no id", with(`"id":"r1",`, ``), 1, "id", "missing"},
		{"no role", with(`"role":"primary",`, ``), 1, "role", "missing"},
		{"no service", with(`"service":"orders",`, ``), 1, "service", "missing"},
		{"no method", with(`"method":"GET",`, ``), 1, "method", "missing"},
		{"no path", with(`"path":"/orders/42?verbose=1",`, ``), 1, "path", "missing"},
		{"no status", with(`"status":200,`, ``), 1, "status", "missing"},
		{"an empty id", with(`"id":"r1"`, `"id":""`), 1, "id", `got ""`},
		{"an id with a space", with(`"id":"r1"`, `"id":"r 1"`), 1, "id", "printable ASCII"},
		{"an unknown role", with(`"primary"`, `"canary"`), 1, "role", `got "canary", expected primary, secondary or candidate`},
		{"a role of the wrong type", with(`"primary"`, `1`), 1, "role", "expected a string"},
		{"a method with a space", with(`"GET"`, `"G T"`), 1, "method", "HTTP method"},
		{"a relative path", with(`"/orders/42?verbose=1"`, `"orders"`), 1, "path", "starting with /"},
		{"a status below 100", with(`200`, `99`), 1, "status", "got 99, expected the response :status, 100-599"},
		{"a status as a string", with(`200`, `"200"`), 1, "status", "expected an integer"},
		{"an upper-case header name", with(`"content-type"`, `"Content-Type"`), 1, "headers", "lower-case"},
		{"a header value not a string", with(`"application/json"`, `1`), 1, "headers", "expected a string"},
		{"a body not base64", with(`"eyJhIjoxfQ=="`, `"{not base64}"`), 1, "body", "standard base64"},
		{"bodyBytes below the body sent", with(`"bodyBytes":7`, `"bodyBytes":3`), 1, "bodyBytes", "fewer than the 7 body bytes"},
		{"truncated without more bytes", with(`"truncated":false`, `"truncated":true`), 1, "truncated", "expected true exactly when"},
		{"more bytes but not truncated", with(`"bodyBytes":7`, `"bodyBytes":70`), 1, "truncated", "expected true exactly when"},
		{"a negative ts", with(`1733550000000`, `-1`), 1, "ts", "unix milliseconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeBatch(strings.NewReader(tc.body))
			var ce *CaptureError
			require.True(t, errors.As(err, &ce), "got %v", err)
			assert.Equal(t, tc.index, ce.Index)
			assert.Equal(t, tc.field, ce.Field)
			assert.Contains(t, ce.Error(), tc.inMsg)
			if tc.index >= 0 {
				assert.Contains(t, ce.Error(), "capture 1: field ")
			}
		})
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(`{"captures":[` + goodCapture + `]}`)
	f.Add(`{"captures":[{"id":"x","role":"secondary","service":"s","method":"POST","path":"/","status":599,"body":""}]}`)
	f.Add(`{"captures":[null]}`)
	f.Fuzz(func(t *testing.T, in string) {
		caps, err := DecodeBatch(strings.NewReader(in))
		if err != nil {
			var ce *CaptureError
			require.True(t, errors.As(err, &ce), "every refusal is a CaptureError: %v", err)
			return
		}
		for _, c := range caps {
			require.NotEmpty(t, c.ID)
			require.True(t, strings.HasPrefix(c.Path, "/"))
			require.True(t, c.Status >= 100 && c.Status <= 599)
			require.Equal(t, c.Truncated, c.BodyBytes > int64(len(c.Body)))
		}
		out, err := EncodeBatch(caps)
		require.NoError(t, err)
		back, err := DecodeBatch(strings.NewReader(string(out)))
		require.NoError(t, err, "a batch DecodeBatch accepted re-encodes to one it accepts")
		require.Len(t, back, len(caps))
	})
}
