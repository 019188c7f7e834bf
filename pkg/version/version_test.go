package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestInfoString(t *testing.T) {
	i := Info{
		Version:  "v0.1.0",
		Commit:   "abc1234def5678901234567890abcdef12345678",
		Date:     "2026-11-23T10:00:00Z",
		ClientGo: "v0.37.2",
		Go:       "go1.26.8",
		Platform: "linux/amd64",
	}
	want := "kubectl-eshell v0.1.0 (commit abc1234, built 2026-11-23T10:00:00Z, client-go v0.37.2, go1.26.8 linux/amd64)"
	if got := i.String(); got != want {
		t.Errorf("String() =\n  %q\nwant\n  %q", got, want)
	}
}

func TestShortCommit(t *testing.T) {
	for in, want := range map[string]string{
		"abc1234def5678901234567890abcdef12345678": "abc1234",
		"abc1234":        "abc1234",
		"unknown":        "unknown",
		"abc12345-dirty": "abc12345-dirty", // not a bare sha: shown as given
	} {
		if got := shortCommit(in); got != want {
			t.Errorf("shortCommit(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveLinkTimeValuesWin(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/sberz/kubectl-eshell", Version: "v9.9.9"},
		Deps:      []*debug.Module{{Path: "k8s.io/client-go", Version: "v0.37.2"}},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "ffffffffffffffffffffffffffffffffffffffff"},
			{Key: "vcs.time", Value: "2000-01-01T00:00:00Z"},
		},
	}
	got := resolve(bi, "v0.1.0", "abc1234", "2026-11-23T10:00:00Z")
	if got.Version != "v0.1.0" || got.Commit != "abc1234" || got.Date != "2026-11-23T10:00:00Z" {
		t.Errorf("link-time values were overridden: %+v", got)
	}
	if got.ClientGo != "v0.37.2" || got.Go != "go1.26.8" {
		t.Errorf("client-go/go = %q/%q, want v0.37.2/go1.26.8", got.ClientGo, got.Go)
	}
}

func TestResolveFallsBackToBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/sberz/kubectl-eshell", Version: "v0.2.0"},
		Deps: []*debug.Module{
			{Path: "k8s.io/api", Version: "v0.37.2"},
			{Path: "k8s.io/client-go", Version: "v0.37.2", Replace: &debug.Module{Path: "../client-go-fork", Version: "v0.37.3-fork"}},
		},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-20T08:00:00Z"},
		},
	}
	got := resolve(bi, "dev", "unknown", "unknown")
	want := Info{
		Version:  "v0.2.0",
		Commit:   "0123456789abcdef0123456789abcdef01234567",
		Date:     "2026-11-20T08:00:00Z",
		ClientGo: "v0.37.3-fork",
		Go:       "go1.26.8",
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if got != want {
		t.Errorf("resolve() =\n  %+v\nwant\n  %+v", got, want)
	}
}

func TestResolveDevelBuild(t *testing.T) {
	// `go build` in a checkout records "(devel)", which says nothing useful.
	bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
	got := resolve(bi, "dev", "unknown", "unknown")
	if got.Version != "dev" || got.ClientGo != "unknown" {
		t.Errorf("resolve() = %+v, want Version dev and ClientGo unknown", got)
	}
	if got := resolve(nil, "dev", "unknown", "unknown"); got.ClientGo != "unknown" {
		t.Errorf("without build info ClientGo = %q, want unknown", got.ClientGo)
	}
}

func TestStringIsOneLineForThisBinary(t *testing.T) {
	s := String()
	if !strings.HasPrefix(s, "kubectl-eshell ") || strings.Contains(s, "\n") {
		t.Errorf("String() = %q, want one line starting with kubectl-eshell", s)
	}
	if !strings.Contains(s, runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("String() = %q, want the platform %s/%s", s, runtime.GOOS, runtime.GOARCH)
	}
}
