package costbench_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/costbench"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// TestInstructionsPerStreamIsExactAndFollowsTheWork counts tenantroute's routed and baseline requests: the count is
// the same on a second VM (nothing in it depends on time or load), and a routed request, which parses the tenant,
// writes the header and clears the route cache, executes more instructions than a baseline one.
func TestInstructionsPerStreamIsExactAndFollowsTheWork(t *testing.T) {
	ctx := context.Background()
	rt := testenvtest.Runtime(t)
	tr := costbench.Contender{Name: "go", Wasm: testenvtest.DistModule(t, "tenantroute")}
	resp := testenv.Headers{{Key: ":status", Value: "200"}}
	routed := costbench.Case{Module: "tenantroute", Request: costbench.PeerRequest("userid=42,laneway-tenant=sbx-1"), Response: resp}
	baseline := costbench.Case{Module: "tenantroute", Request: costbench.PeerRequest("userid=42"), Response: resp}

	r1, err := costbench.InstructionsPerStream(ctx, rt, routed, tr)
	require.NoError(t, err)
	r2, err := costbench.InstructionsPerStream(ctx, rt, routed, tr)
	require.NoError(t, err)
	b, err := costbench.InstructionsPerStream(ctx, rt, baseline, tr)
	require.NoError(t, err)
	assert.Positive(t, b)
	assert.Equal(t, r1, r2, "the same exchange on a fresh VM counts the same")
	assert.Greater(t, r1, b, "a routed request does more than a baseline one")

	chain := costbench.Contender{Name: "chain", Chain: []costbench.Contender{tr, tr}}
	c, err := costbench.InstructionsPerStream(ctx, rt, baseline, chain)
	require.NoError(t, err)
	assert.Equal(t, 2*b, c, "a chain counts every module's instructions")
}
