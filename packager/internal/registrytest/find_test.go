package registrytest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindDistributionLooksWhereMakeToolsAndDebianPutIt(t *testing.T) {
	// writeBin creates an executable file at dir/name and returns its path.
	writeBin := func(t *testing.T, dir, name string, mode os.FileMode) string {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), mode))
		return p
	}
	cases := []struct {
		name string
		// setup prepares the module folder and a PATH folder, sets the environment and returns
		// the expected path ("" when nothing must be found).
		setup   func(t *testing.T, module, pathDir, systemDir string) string
		wantErr []string
	}{
		{"LANEWAY_REGISTRY_BIN wins", func(t *testing.T, module, pathDir, systemDir string) string {
			writeBin(t, filepath.Join(module, "bin"), "registry", 0o755)
			p := writeBin(t, t.TempDir(), "my-registry", 0o755)
			t.Setenv("LANEWAY_REGISTRY_BIN", p)
			return p
		}, nil},
		{"LANEWAY_REGISTRY_BIN naming a missing file is an error, not a fallback", func(t *testing.T, module, pathDir, systemDir string) string {
			writeBin(t, filepath.Join(module, "bin"), "registry", 0o755)
			t.Setenv("LANEWAY_REGISTRY_BIN", filepath.Join(module, "nope"))
			return ""
		}, []string{"LANEWAY_REGISTRY_BIN=", "nope", "no such file", "unset it"}},
		{"the module's bin/registry after `make tools` (go install fallback), from a package folder", func(t *testing.T, module, pathDir, systemDir string) string {
			writeBin(t, systemDir, "docker-registry", 0o755)
			return writeBin(t, filepath.Join(module, "bin"), "registry", 0o755)
		}, nil},
		{"Debian's docker-registry on PATH", func(t *testing.T, module, pathDir, systemDir string) string {
			return writeBin(t, pathDir, "docker-registry", 0o755)
		}, nil},
		{"/usr/bin/docker-registry even when PATH lacks it", func(t *testing.T, module, pathDir, systemDir string) string {
			return writeBin(t, systemDir, "docker-registry", 0o755)
		}, nil},
		{"a bin/registry that is not executable is skipped and named", func(t *testing.T, module, pathDir, systemDir string) string {
			writeBin(t, filepath.Join(module, "bin"), "registry", 0o644)
			return ""
		}, []string{filepath.Join("bin", "registry"), "docker-registry on PATH", "make tools"}},
		{"nothing anywhere: the error names the places and the fast install", func(t *testing.T, module, pathDir, systemDir string) string {
			return ""
		}, []string{"distribution registry binary not found", "$LANEWAY_REGISTRY_BIN", "registry on PATH", "docker-registry", "make tools", "apt-get"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			module, pathDir, systemDir := t.TempDir(), t.TempDir(), t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(module, "go.mod"), []byte("module github.com/laneway/laneway\n"), 0o644))
			pkgDir := filepath.Join(module, "packager", "cli")
			require.NoError(t, os.MkdirAll(pkgDir, 0o755))
			t.Chdir(pkgDir)
			t.Setenv("LANEWAY_REGISTRY_BIN", "")
			t.Setenv("PATH", pathDir)
			saved := systemBinaries
			systemBinaries = []string{filepath.Join(systemDir, "docker-registry")}
			t.Cleanup(func() { systemBinaries = saved })
			savedApt := aptAvailable
			aptAvailable = func() bool { return true }
			t.Cleanup(func() { aptAvailable = savedApt })

			want := c.setup(t, module, pathDir, systemDir)
			got, err := FindDistribution()
			if c.wantErr != nil {
				require.Error(t, err)
				for _, s := range c.wantErr {
					assert.Contains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestInstallHintOffersGoInstallOnlyWithoutApt(t *testing.T) {
	withApt := installHint(true)
	assert.Contains(t, withApt, "apt-get install -y docker-registry")
	assert.Contains(t, withApt, "a few seconds")
	assert.NotContains(t, withApt, "go install", "with apt the slow build is not offered")
	withoutApt := installHint(false)
	assert.Contains(t, withoutApt, "go install "+GoInstallPackage)
	assert.Contains(t, withoutApt, "several minutes")
	assert.NotContains(t, withoutApt, "apt-get install")
}
