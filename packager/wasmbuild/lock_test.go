package wasmbuild_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/wasmbuild"
)

// TestConcurrentBuildsInOneCheckoutBothSucceed builds the same filter twice at once in this checkout, as
// `make build` and a test package (or two test packages) do: they share the SDK copy under .build/, so
// without the build lock one build deletes files the other is copying or compiling.
func TestConcurrentBuildsInOneCheckoutBothSucceed(t *testing.T) {
	root, err := wasmbuild.CheckoutRoot()
	require.NoError(t, err)
	outs := []string{t.TempDir(), t.TempDir()}
	errs := make([]error, len(outs))
	var wg sync.WaitGroup
	for i, out := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = wasmbuild.Build(context.Background(), wasmbuild.Options{Root: root, OutDir: out, Filters: []string{"tenantroute"}, Stderr: os.Stderr})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "build %d", i)
	}
	a, err := os.ReadFile(filepath.Join(outs[0], "tenantroute.wasm"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(outs[1], "tenantroute.wasm"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(a, b), "both builds wrote the same module")
}
