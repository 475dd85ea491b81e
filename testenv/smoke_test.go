package testenv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSmokeNoop(t *testing.T) {
	ctx := context.Background()
	rt, err := NewRuntime(ctx, RuntimeOptions{})
	require.NoError(t, err)
	defer rt.Close(ctx)
	for _, p := range []Profile{Envoy133, Envoy139} {
		vm, err := rt.LoadVM(ctx, DistModule(t, "noop"), VMOptions{Profile: p})
		require.NoError(t, err)
		s := vm.NewHTTPStream()
		require.Equal(t, ActionContinue, s.RequestHeaders(RequestHeaders("GET", "a", "/"), true))
		require.Equal(t, ActionContinue, s.ResponseHeaders(Headers{{":status", "200"}}, true))
		s.Complete()
		require.NoError(t, vm.Err())
		t.Log(vm.Logs())
	}
}
