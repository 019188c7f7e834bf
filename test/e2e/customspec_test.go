package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// capNetAdmin is CAP_NET_ADMIN's bit in /proc/PID/status's CapEff; the
// runtime's default set lacks it, so only --custom can put it there.
const capNetAdmin = 12

// customFile writes a --custom file for the test.
func customFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "custom.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// hasCap reads CapEff from the output of `grep CapEff /proc/self/status`.
func hasCap(t *testing.T, out string, bit uint) bool {
	t.Helper()
	for line := range strings.Lines(out) {
		if hex, ok := strings.CutPrefix(strings.TrimSpace(line), "CapEff:"); ok {
			v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				t.Fatalf("CapEff %q: %v", hex, err)
			}
			return v&(1<<bit) != 0
		}
	}
	t.Fatalf("no CapEff in the output:\n%s", out)
	return false
}

// --custom adding a capability reaches the kernel: the shell's effective
// set holds it, in the debug container and in the clone; without it, it
// does not (which is what makes the check able to fail).
func TestCustomSpecAddsCapability(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	file := customFile(t, "securityContext:\n  capabilities:\n    add: [NET_ADMIN]\n")
	for _, c := range []struct {
		name string
		args []string
		want bool
	}{
		{"debug", []string{"--mode", "debug", "--profile", "general", "--custom", file}, true},
		{"clone", []string{"--mode", "clone", "--custom", file}, true},
		{"clone without --custom", []string{"--mode", "clone"}, false},
	} {
		args := append([]string{"deploy/web", "--no-audit"}, c.args...)
		r := f.Eshell("", append(args, "--", "grep", "CapEff", "/proc/self/status")...)
		if r.Code != 0 {
			t.Fatalf("%s: %+v", c.name, r)
		}
		if got := hasCap(t, r.Stdout, capNetAdmin); got != c.want {
			t.Errorf("%s: NET_ADMIN effective = %v, want %v:\n%s", c.name, got, c.want, r.Stdout)
		}
	}
}

// --run-as sets the shell's uid: a number, root over a pod that asks for
// runAsNonRoot, and target as the target container's user (where the
// debug image alone would run as root).
func TestCustomSpecRunAs(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, true) // the pod runs as 1000, runAsNonRoot
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"debug target", []string{"--mode", "debug", "--profile", "general", "--run-as", "target"}, "1000"},
		{"debug uid", []string{"--mode", "debug", "--profile", "general", "--run-as", "4242"}, "4242"},
		{"clone root", []string{"--mode", "clone", "--run-as", "root"}, "0"},
		{"clone target", []string{"--mode", "clone", "--run-as", "target"}, "1000"},
	} {
		args := append([]string{"deploy/web", "--no-audit"}, c.args...)
		r := f.Eshell("", append(args, "--", "id", "-u")...)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != c.want {
			t.Errorf("%s: id -u = %q, want %s: %+v", c.name, strings.TrimSpace(r.Stdout), c.want, r)
		}
	}
}

// A namespace that enforces the restricted level refuses root: the
// refusal names the field and the flag that set it, and nothing is
// created. In debug mode with --profile restricted, eshell refuses before
// asking (the profile's own promise); with --profile auto, the API
// server's dry runs refuse every profile.
func TestCustomSpecRefusedByRestricted(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	labelNamespace(f, "restricted")
	d := newDebugTarget(f, true)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"clone", []string{"--mode", "clone"}, []string{"securityContext.runAsUser=0 set by --run-as", "refused", `violates PodSecurity "restricted:latest"`}},
		{"debug auto", []string{"--mode", "debug"}, []string{"securityContext.runAsUser=0 set by --run-as", "refused", `violates PodSecurity "restricted:latest"`}},
		{"debug restricted", []string{"--mode", "debug", "--profile", "restricted"}, []string{"securityContext.runAsUser=0 set by --run-as break --profile restricted"}},
	} {
		args := append([]string{"deploy/web", "--no-audit", "--run-as", "0"}, c.args...)
		r := f.Eshell("", append(args, "--", "id", "-u")...)
		if r.Code == 0 {
			t.Fatalf("%s: admitted: %+v", c.name, r)
		}
		t.Logf("%s: %s", c.name, r.Stderr)
		for _, w := range c.want {
			if !strings.Contains(r.Stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.name, w, r.Stderr)
			}
		}
		n := 0
		for line := range strings.Lines(r.Stderr) {
			if strings.HasPrefix(line, "error:") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: want one error line:\n%s", c.name, r.Stderr)
		}
	}
	d.expectCount(0, "after refused sessions")
	if jobs := f.Kubectl("", "get", "jobs", "-o", "name"); strings.TrimSpace(jobs) != "" {
		t.Errorf("a refused clone left jobs: %s", jobs)
	}
}
