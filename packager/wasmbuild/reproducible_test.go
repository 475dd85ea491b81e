package wasmbuild_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters"
	"github.com/laneway/laneway/packager/ociimage"
	"github.com/laneway/laneway/packager/wasmbuild"
	"github.com/laneway/laneway/packager/wasmbuild/filterid"
)

// reproducibleFilters are built in both folders: noop is the smallest module, tenantroute uses all three
// replaced modules (the SDK copy and the patched gjson and pretty copies).
var reproducibleFilters = []string{"noop", "tenantroute"}

// TestSameCommitGivesSameModulesAndImageDigestsInAnyFolder copies the checkout's tracked files into two
// temporary folders of different depth and name length, one a plain copy (as from a source tarball), the
// other a fresh git repository built with VCS stamping allowed by the environment, builds two filters in
// each and requires identical module bytes, identical image digests and no folder path in any module.
func TestSameCommitGivesSameModulesAndImageDigestsInAnyFolder(t *testing.T) {
	root := repoRoot(t)
	files := trackedFiles(t, root)
	a := filepath.Join(t.TempDir(), "a")
	b := filepath.Join(t.TempDir(), "a-much-longer-folder-name", "laneway")
	copyFiles(t, root, a, files)
	copyFiles(t, root, b, files)
	gitRepository(t, b)

	modsA := build(t, a)
	// Folder b: the go command stamps VCS data (revision, time, modified) into a module built in a git
	// repository when asked to; ask through GOFLAGS, as an environment might, to show the build itself
	// turns it off.
	t.Setenv("GOFLAGS", "-buildvcs=true")
	modsB := build(t, b)

	for _, f := range reproducibleFilters {
		ma, mb := modsA[f], modsB[f]
		require.NotEmpty(t, ma)
		assert.True(t, bytes.Equal(ma, mb), "%s: %d bytes in %s, %d bytes in %s: the same commit must give the same module", f, len(ma), a, len(mb), b)
		ia, err := ociimage.Build(ma, ociimage.BuildOptions{})
		require.NoError(t, err)
		ib, err := ociimage.Build(mb, ociimage.BuildOptions{})
		require.NoError(t, err)
		assert.Equal(t, ia.ManifestDigest(), ib.ManifestDigest(), "%s: image digest differs between the folders", f)
		t.Logf("%s: %d bytes, image %s in both folders", f, len(ma), ia.ManifestDigest())
		for _, dir := range []string{a, b, root} {
			assert.False(t, bytes.Contains(ma, []byte(dir)) || bytes.Contains(mb, []byte(dir)), "%s: module holds the local path %s", f, dir)
		}
		assert.False(t, bytes.Contains(ma, []byte("\nbuild\tvcs")) || bytes.Contains(mb, []byte("\nbuild\tvcs")), "%s: module holds a VCS stamp", f)
	}
}

// TestShippedModulesHoldNoLocalPath checks every module make build wrote to dist/ for the checkout's path.
func TestShippedModulesHoldNoLocalPath(t *testing.T) {
	root := repoRoot(t)
	mods, err := filepath.Glob(filepath.Join(root, "dist", "*.wasm"))
	require.NoError(t, err)
	require.NotEmpty(t, mods, "no dist/*.wasm: run `make build` first")
	for _, p := range mods {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.False(t, bytes.Contains(b, []byte(root)), "%s holds the checkout's path %s: rebuild with `make build`", p, root)
		assert.False(t, bytes.Contains(b, []byte("\n=>\t/")), "%s records a module replacement by an absolute path", p)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := wasmbuild.CheckoutRoot()
	require.NoError(t, err)
	return root
}

// trackedFiles lists the checkout's files as git does, or, without git, every file outside the build output.
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		var files []string
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if _, err := os.Stat(filepath.Join(root, f)); err == nil { // deleted but not yet committed
				files = append(files, f)
			}
		}
		return files
	}
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (rel == ".git" || rel == "dist" || rel == ".build" || rel == "bin") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	}))
	return files
}

func copyFiles(t *testing.T, from, to string, files []string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(from, f))
		require.NoError(t, err)
		dst := filepath.Join(to, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, b, 0o644))
	}
}

// gitRepository turns dir into a git repository with one commit, when git is installed.
func gitRepository(t *testing.T, dir string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Log("git not installed: the second folder stays a plain copy")
		return
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=laneway test", "-c", "user.email=test@laneway.invalid", "commit", "-q", "-m", "copy"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
}

func build(t *testing.T, root string) map[string][]byte {
	t.Helper()
	arts, err := wasmbuild.Build(context.Background(), wasmbuild.Options{Root: root, Filters: reproducibleFilters, Fixtures: true})
	require.NoError(t, err, "building in %s", root)
	mods := map[string][]byte{}
	for _, a := range arts {
		b, err := os.ReadFile(a.Path)
		require.NoError(t, err)
		mods[a.Filter] = b
	}
	return mods
}

// TestShippedModulesNameTheirFilter checks the laneway.filter section make build appends to each module.
func TestShippedModulesNameTheirFilter(t *testing.T) {
	root := repoRoot(t)
	for _, n := range append(filters.Shipped(), filters.Fixtures()...) {
		b, err := os.ReadFile(filters.ModulePath(root, n))
		require.NoError(t, err, "run `make build` first")
		got, err := filterid.Read(b)
		require.NoError(t, err)
		assert.Equal(t, n, got, "%s must name its filter", filters.ModulePath(root, n))
	}
}
