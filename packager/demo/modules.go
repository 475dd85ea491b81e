package demo

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/wasmbuild"
)

// Modules returns dist/<name>.wasm under root for each name, building with packager/wasmbuild
// the modules that are missing or older than their Go sources (filters/<name>, the shared
// filter code and the logic package <root>/<name>). stderr gets the Go toolchain's diagnostics and
// progress a line per build step (and a heartbeat while one runs); either may be nil.
func Modules(ctx context.Context, root string, names []string, stderr *os.File, progress io.Writer) (map[string]string, error) {
	out := map[string]string{}
	var stale []string
	for _, n := range names {
		p := filepath.Join(root, "dist", n+".wasm")
		out[n] = p
		st, err := os.Stat(p)
		if err != nil {
			stale = append(stale, n)
			continue
		}
		newest, err := newestSource(root, n)
		if err != nil {
			return nil, err
		}
		if newest.After(st.ModTime()) {
			stale = append(stale, n)
		}
	}
	if len(stale) == 0 {
		return out, nil
	}
	if progress != nil {
		fmt.Fprintf(progress, "Building %s into dist/ (missing or older than their sources; the first build on a machine takes a few minutes)\n", strings.Join(stale, ", "))
	}
	if _, err := wasmbuild.Build(ctx, wasmbuild.Options{Root: root, Filters: stale, Stderr: stderr, Progress: progress}); err != nil {
		return nil, fmt.Errorf("building the demo's filters: %w (try `make build`)", err)
	}
	return out, nil
}

// logicPackages are the root packages a filter module is built from: the module name up to its first '-'
// (shadowtag-compare is the shadowtag package built with more callbacks exported); the combined module runs
// the packages of its three roles.
func logicPackages(name string) []string {
	if name == filterconfig.Combined {
		return filterconfig.Roles
	}
	pkg, _, _ := strings.Cut(name, "-")
	return []string{pkg}
}

// sourceDirs are the directories whose Go files newestSource watches for the filter name.
func sourceDirs(root, name string) []string {
	dirs := []string{filepath.Join(root, "filters"), filepath.Join(root, "packager", "wasmbuild")}
	for _, p := range logicPackages(name) {
		dirs = append(dirs, filepath.Join(root, p))
	}
	return dirs
}

// newestSource is the latest modification time of what a filter module is built from: every Go file under
// filters/ (the mains and every package they share), the filter's logic package, the build recipe with its
// SDK patches (packager/wasmbuild) and go.mod/go.sum. It errs on the side of rebuilding.
func newestSource(root, name string) (time.Time, error) {
	var newest time.Time
	for _, f := range []string{"go.mod", "go.sum"} {
		if info, err := os.Stat(filepath.Join(root, f)); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	for _, d := range sourceDirs(root, name) {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return filepath.SkipDir
				}
				return err
			}
			if e.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			if info.ModTime().After(newest) {
				newest = info.ModTime()
			}
			return nil
		})
		if err != nil {
			return newest, err
		}
	}
	return newest, nil
}

// modulesFor returns given when a caller supplied its modules, else the named filters' modules from the checkout
// at root (found from the working directory when empty), built first where stale. Both demos start this way.
func modulesFor(ctx context.Context, given map[string]string, root string, names []string, progress, stepProgress io.Writer) (map[string]string, error) {
	if given != nil {
		return given, nil
	}
	if root == "" {
		var err error
		if root, err = wasmbuild.CheckoutRoot(); err != nil {
			return nil, err
		}
	}
	stderr, _ := progress.(*os.File)
	return Modules(ctx, root, names, stderr, stepProgress)
}
