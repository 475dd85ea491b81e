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
