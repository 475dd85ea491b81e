package wasmbuild_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/wasmbuild"
)

// TestCheckoutRootIsTheCheckoutAroundTheWorkingDirectory pins the one way the repository is found: from
// any folder inside the checkout it is the folder whose go.mod declares laneway, and outside one it is an
// error saying where to run.
func TestCheckoutRootIsTheCheckoutAroundTheWorkingDirectory(t *testing.T) {
	root, err := wasmbuild.CheckoutRoot()
	require.NoError(t, err)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "module github.com/laneway/laneway\n")

	for _, tc := range []struct {
		name, dir string
		want      string
	}{
		{"the root itself", root, root},
		{"a nested folder", filepath.Join(root, "packager", "cli", "testdata"), root},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(tc.dir)
			got, err := wasmbuild.CheckoutRoot()
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("outside a checkout", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		_, err := wasmbuild.CheckoutRoot()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no laneway checkout above "+dir)
		assert.Contains(t, err.Error(), "inside the laneway repository")
	})
}
