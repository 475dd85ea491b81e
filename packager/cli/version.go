package cli

import (
	"runtime"
	"runtime/debug"
)

// Version is laneway's version; release builds set it with
// -ldflags "-X github.com/laneway/laneway/packager/cli.Version=v1.2.3". When empty, the version comes from
// the build info: the module version for `go install ...@version`, else the VCS revision, else "(devel)".
var Version string

// version returns the text `laneway --version` prints after "laneway version ".
func version() string {
	v := Version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
		if v == "" || v == "(devel)" {
			v = "(devel)"
			var rev, modified string
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if rev != "" {
				v += " " + rev
				if modified == "true" {
					v += "-dirty"
				}
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
