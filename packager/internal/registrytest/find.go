package registrytest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/laneway/laneway/packager/wasmbuild"
)

// systemBinaries are the registry binaries distribution packages install (Debian's docker-registry).
var systemBinaries = []string{"/usr/bin/docker-registry"}

// aptAvailable reports whether this machine installs packages with apt-get, so the hint can offer
// Debian's docker-registry package (seconds) before the go install path (minutes).
var aptAvailable = func() bool {
	_, err := exec.LookPath("apt-get")
	return err == nil
}

// FindDistribution returns the path of the distribution registry binary. It looks, in order, at
// $LANEWAY_REGISTRY_BIN, the bin/registry of the module the tests run in (where `make tools` builds it
// when it cannot install Debian's package), `registry` and `docker-registry` on PATH,
// /usr/bin/docker-registry, and $(go env GOPATH)/bin/registry. When none exists, the error lists where
// it looked and how to install one.
func FindDistribution() (string, error) {
	if p := os.Getenv("LANEWAY_REGISTRY_BIN"); p != "" {
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("LANEWAY_REGISTRY_BIN=%s: %w; point it at a distribution registry binary or unset it to search the usual places", p, err)
		}
		return p, nil
	}
	var looked []string
	if root, err := wasmbuild.CheckoutRoot(); err == nil {
		p := filepath.Join(root, "bin", "registry")
		if isExecutable(p) == nil {
			return p, nil
		}
		looked = append(looked, p)
	}
	for _, name := range []string{"registry", "docker-registry"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		looked = append(looked, name+" on PATH")
	}
	for _, p := range systemBinaries {
		if isExecutable(p) == nil {
			return p, nil
		}
		looked = append(looked, p)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "registry")
			if isExecutable(p) == nil {
				return p, nil
			}
			looked = append(looked, p)
		}
	}
	return "", fmt.Errorf("distribution registry binary not found (looked at $LANEWAY_REGISTRY_BIN, %s); %s",
		strings.Join(looked, ", "), installHint(aptAvailable()))
}

// installHint says how to get a registry binary: Debian's package where apt exists, else go install.
func installHint(apt bool) string {
	if apt {
		return "run `make tools` (as root it installs Debian's docker-registry package with apt-get, a few seconds; " +
			"or run `sudo apt-get install -y docker-registry` yourself), or set LANEWAY_REGISTRY_BIN to a registry binary"
	}
	return "run `make tools` (no apt-get here, so it builds the registry with `go install " + GoInstallPackage +
		"` into bin/, several minutes on 2 cores), or set LANEWAY_REGISTRY_BIN to a registry binary"
}

// GoInstallPackage is the go install path `make tools` falls back to where Debian's package is not available.
const GoInstallPackage = "github.com/distribution/distribution/v3/cmd/registry@v3.1.2"

// isExecutable reports why p is not a file this process may execute (nil when it is).
func isExecutable(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case fi.Mode().Perm()&0o111 == 0:
		return errors.New("not executable (chmod +x it)")
	}
	return nil
}
