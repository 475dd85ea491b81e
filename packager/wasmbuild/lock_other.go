//go:build !unix

package wasmbuild

// lockBuild does nothing where flock is unavailable: concurrent builds in one checkout are then the caller's
// to avoid.
func lockBuild(string) (func(), error) { return func() {}, nil }
