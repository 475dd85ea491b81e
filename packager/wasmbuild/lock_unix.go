//go:build unix

package wasmbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockBuild takes an exclusive lock on <root>/.build/lock and returns its release. Several processes may build
// in one checkout at once (make build while tests run, or test packages building in parallel); they share
// the SDK copy under .build/ and the temporary module files in the output folder, so one waits for the other.
func lockBuild(root string) (func(), error) {
	dir := filepath.Join(root, ".build")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking the build folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return func() { _ = f.Close() }, nil
}
