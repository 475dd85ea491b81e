// Package filters says where laneway's filter modules live: the module root of a checkout, and the file
// the build writes for each module. It imports nothing but the standard library, so the build, the CLI
// and tests can share it.
package filters

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// FindRoot walks up from dir to the directory whose go.mod declares the laneway module.
func FindRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/laneway/laneway\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no laneway checkout above %s: run the build from inside the laneway repository (the directory with go.mod and filters/)", dir)
		}
	}
}

// ModulePath returns where the build writes the module name in the checkout at root: dist/<name>.wasm.
func ModulePath(root, name string) string { return filepath.Join(root, "dist", name+".wasm") }
