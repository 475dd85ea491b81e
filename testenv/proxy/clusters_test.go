package proxy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClustersConfig(t *testing.T) {
	const routes = "\nlisteners: [{name: edge, routes: [{upstream: 127.0.0.1:9}]}]\n"
	c, err := Parse([]byte(`clusters: {"outbound|8080||collector.laneway.svc.cluster.local": 127.0.0.1:7000, local: listener:edge}` + routes))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"outbound|8080||collector.laneway.svc.cluster.local": "127.0.0.1:7000", "local": "listener:edge"}, c.Clusters)
	for _, tc := range []struct{ name, yaml, field, want string }{
		{"a list instead of an object", `clusters: [a]`, "clusters", "object of cluster names"},
		{"a name with a blank", `clusters: {"a b": 127.0.0.1:1}`, "clusters", "cluster name"},
		{"an upstream that is no host:port", `clusters: {c: nowhere}`, "clusters.c", "host:port"},
		{"an unknown listener", `clusters: {c: "listener:nope"}`, "clusters.c", "naming one of the listeners"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml + routes))
			require.Error(t, err)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Contains(t, ce.Want, tc.want)
		})
	}
}
