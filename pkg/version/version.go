// Package version reports which build of kubectl-eshell is running. A bug
// report or an audit trail is only useful when it says which binary acted and
// against which client-go, so one line carries all of it.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// These are set at link time by release builds (goreleaser and hack/dist.sh):
//
//	-X github.com/sberz/kubectl-eshell/pkg/version.Version=v0.1.0
//	-X github.com/sberz/kubectl-eshell/pkg/version.Commit=<full sha>
//	-X github.com/sberz/kubectl-eshell/pkg/version.Date=<RFC 3339, UTC>
//
// They stay variables, not constants, because -X can only set variables.
var (
	// Version is the release tag, with its leading "v".
	Version = "dev"
	// Commit is the git commit the binary was built from.
	Commit = "unknown"
	// Date is when the commit was made or the binary built, RFC 3339 in UTC.
	Date = "unknown"
)

const clientGoModule = "k8s.io/client-go"

// Info is the resolved build description that String prints.
type Info struct {
	Version  string
	Commit   string
	Date     string
	ClientGo string
	Go       string
	Platform string
}

// ClientGoVersion is the k8s.io/client-go module version linked into this
// binary, or "unknown" when the binary carries no build information (tests
// run from a non-module directory, stripped builds).
func ClientGoVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return clientGoFrom(bi)
}

func clientGoFrom(bi *debug.BuildInfo) string {
	for _, dep := range bi.Deps {
		if dep.Path != clientGoModule {
			continue
		}
		// A replace directive means the replacement is what got compiled in,
		// and that is the version a skew question has to be answered with.
		if dep.Replace != nil && dep.Replace.Version != "" {
			return dep.Replace.Version
		}
		if dep.Version != "" {
			return dep.Version
		}
	}
	return "unknown"
}

// Get resolves the build description. Link-time values win; without them
// (a plain `go build`, or `go install ...@v0.1.0`) it falls back to what the
// Go toolchain recorded, so users who install with go still get a real
// version instead of "dev".
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(bi, Version, Commit, Date)
}

func resolve(bi *debug.BuildInfo, version, commit, date string) Info {
	info := Info{
		Version:  version,
		Commit:   commit,
		Date:     date,
		ClientGo: "unknown",
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi == nil {
		return info
	}
	info.ClientGo = clientGoFrom(bi)
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && info.Commit == "unknown":
			info.Commit = s.Value
		case s.Key == "vcs.time" && info.Date == "unknown":
			info.Date = s.Value
		}
	}
	if bi.GoVersion != "" {
		info.Go = bi.GoVersion
	}
	return info
}

// String formats the description as one line, e.g.
//
//	kubectl-eshell v0.1.0 (commit abc1234, built 2026-11-23T10:00:00Z, client-go v0.37.2, go1.26.8 linux/amd64)
func (i Info) String() string {
	return fmt.Sprintf("kubectl-eshell %s (commit %s, built %s, client-go %s, %s %s)",
		i.Version, shortCommit(i.Commit), i.Date, i.ClientGo, i.Go, i.Platform)
}

// String is the one-line description of the running binary.
func String() string {
	return Get().String()
}

// shortCommit abbreviates a full hex sha the way git does for humans; the
// full value stays in Commit for anything that needs to be exact.
func shortCommit(c string) string {
	const n = 7
	if len(c) <= n || strings.Trim(c, "0123456789abcdef") != "" {
		return c
	}
	return c[:n]
}
