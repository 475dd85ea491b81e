package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/laneway/laneway/packager/wasmbuild"
)

var filterName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// module is a Wasm file named on the command line.
type module struct {
	// Filter is the filter name (the file's base name without .wasm).
	Filter string
	Path   string
	Bytes  []byte
}

// distDir returns <repo>/dist when run inside a laneway checkout, else ./dist.
func distDir() string {
	if wd, err := os.Getwd(); err == nil {
		if root, err := wasmbuild.FindRoot(wd); err == nil {
			return filepath.Join(root, "dist")
		}
	}
	return "dist"
}

// loadModule reads FILE.wasm, or dist/FILTER.wasm when arg is a filter name.
func loadModule(arg string) (*module, error) {
	path := arg
	if st, err := os.Stat(arg); err != nil || !st.Mode().IsRegular() {
		if !filterName.MatchString(arg) {
			return nil, fmt.Errorf("module %q: not a regular file; expected a .wasm file or a filter name such as tenantroute", arg)
		}
		path = filepath.Join(distDir(), arg+".wasm")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && path != arg {
			return nil, fmt.Errorf("module %q: %s does not exist; expected a built filter: run `laneway build %s` (or `make build`) first, or pass the path of a .wasm file", arg, path, arg)
		}
		return nil, fmt.Errorf("module %q: %w", arg, err)
	}
	return &module{Filter: strings.TrimSuffix(filepath.Base(path), ".wasm"), Path: path, Bytes: b}, nil
}

// readFlagFile reads the file a flag names; a missing file or a folder is reported with the flag, the path
// and what the flag expects.
func readFlagFile(flag, path, expected string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: %s does not exist; expected %s (relative paths start in the current folder)", flag, path, expected)
	case isDir(path):
		return nil, fmt.Errorf("%s: %s is a folder; expected %s", flag, path, expected)
	}
	return nil, fmt.Errorf("%s: %w; expected %s", flag, err, expected)
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
