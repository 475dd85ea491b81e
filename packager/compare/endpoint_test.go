package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFoldPathFoldsIdentifiersAndStripsTheQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/orders/42", "/orders/{id}"},
		{"/orders/42?verbose=1", "/orders/{id}"},
		{"/orders/42#top", "/orders/{id}"},
		{"/orders", "/orders"},
		{"/orders/", "/orders/"},
		{"/", "/"},
		{"?x=1", "/"},
		{"/users/7/orders/0019", "/users/{id}/orders/{id}"},
		{"/orders/3f2b8c1e-9a4d-4c2e-8f1a-0b6d5e7c9a21/items", "/orders/{id}/items"},
		{"/orders/3F2B8C1E-9A4D-4C2E-8F1A-0B6D5E7C9A21", "/orders/{id}"},
		{"/blobs/9f86d081884c7d659a2feaa0c55ad015", "/blobs/{id}"},
		{"/blobs/9f86d081884c7d6", "/blobs/9f86d081884c7d6"}, // 15 hex digits: a word, not an id
		{"/v2/orders", "/v2/orders"},
		{"/orders/abc-42", "/orders/abc-42"},
		{"/orders/decade", "/orders/decade"},
		{"/a//42", "/a//{id}"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, FoldPath(tc.in))
		})
	}
}

func TestEndpointKeyRoundTrips(t *testing.T) {
	e := EndpointOf(&Capture{Service: "orders", Method: "get", Path: "/orders/42?x"})
	assert.Equal(t, Endpoint{Service: "orders", Method: "GET", Path: "/orders/{id}"}, e)
	assert.Equal(t, "orders GET /orders/{id}", e.Key())
	back, ok := ParseEndpointKey(e.Key())
	require.True(t, ok)
	assert.Equal(t, e, back)
	for _, bad := range []string{"", "orders", "orders GET", "orders GET orders", " GET /"} {
		_, ok := ParseEndpointKey(bad)
		assert.False(t, ok, bad)
	}
}

func FuzzFoldPath(f *testing.F) {
	for _, s := range []string{"/orders/42?x=1", "/a/3f2b8c1e-9a4d-4c2e-8f1a-0b6d5e7c9a21", "", "/", "//", "/x#y?z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := FoldPath(p)
		require.NotContains(t, got, "?")
		require.NotContains(t, got, "#")
		require.Equal(t, got, FoldPath(got), "folding is idempotent")
		stripped := strings.SplitN(strings.SplitN(p, "?", 2)[0], "#", 2)[0]
		if stripped == "" {
			require.Equal(t, "/", got)
			return
		}
		require.Equal(t, strings.Count(stripped, "/"), strings.Count(got, "/"), "segments are kept")
	})
}
