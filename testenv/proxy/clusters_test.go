package proxy

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClustersConfig(t *testing.T) {
	const routes = "\nlisteners: [{name: edge, routes: [{upstream: 127.0.0.1:9}]}]\n"
	c, err := Parse([]byte(`clusters: {"outbound|8080||collector.laneway.svc.cluster.local": 127.0.0.1:7000, local: listener:edge}` + routes))
	require.NoError(t, err)
	assert.Equal(t, Clusters{"outbound|8080||collector.laneway.svc.cluster.local": {"127.0.0.1:7000"}, "local": {"listener:edge"}}, c.Clusters)
	c, err = Parse([]byte(`clusters: {c: [127.0.0.1:7000, 127.0.0.1:7001, listener:edge]}` + routes))
	require.NoError(t, err)
	assert.Equal(t, Clusters{"c": {"127.0.0.1:7000", "127.0.0.1:7001", "listener:edge"}}, c.Clusters)
	for _, tc := range []struct{ name, yaml, field, want string }{
		{"a list instead of an object", `clusters: [a]`, "clusters", "object of cluster names"},
		{"a name with a blank", `clusters: {"a b": 127.0.0.1:1}`, `clusters["a b"]`, "cluster name"},
		{"an upstream that is no host:port", `clusters: {c: nowhere}`, `clusters["c"]`, "host:port"},
		{"an unknown listener", `clusters: {c: "listener:nope"}`, `clusters["c"]`, "naming one of the listeners"},
		{"an empty endpoint list", `clusters: {c: []}`, `clusters["c"]`, "1 to 16 endpoints"},
		{"a bad endpoint in a list", `clusters: {c: [127.0.0.1:1, nowhere]}`, `clusters["c"][1]`, "host:port"},
		{"an endpoint listed twice", `clusters: {c: [127.0.0.1:1, 127.0.0.1:1]}`, `clusters["c"][1]`, "not listed before"},
		{"an unknown listener in a list", `clusters: {c: [127.0.0.1:1, "listener:nope"]}`, `clusters["c"][1]`, "naming one of the listeners"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml + routes))
			require.Error(t, err)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Contains(t, ce.Allowed, tc.want)
		})
	}
}

// A cluster of several endpoints picks one by consistent hash of the call's :authority: one authority always
// reaches one endpoint, authorities spread over all endpoints, and removing an endpoint moves only the
// authorities it had (as Envoy's MAGLEV/RING_HASH clusters do for dispatch_http_call).
func TestPickEndpointHashesTheAuthorityConsistently(t *testing.T) {
	eps := []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"}
	counts := map[string]int{}
	picked := map[string]string{}
	for i := 0; i < 300; i++ {
		a := fmt.Sprintf("%d.collector.laneway:8080", i)
		picked[a] = pickEndpoint(eps, a)
		counts[picked[a]]++
		for k := 0; k < 3; k++ {
			require.Equal(t, picked[a], pickEndpoint(eps, a), "stable")
		}
	}
	for _, e := range eps {
		assert.InDelta(t, 100, counts[e], 35, "endpoint %s gets its share", e)
	}
	for a, e := range picked {
		if e != eps[2] {
			assert.Equal(t, e, pickEndpoint(eps[:2], a), "removing %s moves only its authorities", eps[2])
		}
	}
	assert.Equal(t, "x:1", pickEndpoint([]string{"x:1"}, "anything"))
}
