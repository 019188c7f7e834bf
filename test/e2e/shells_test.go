package e2e

// Shell choice end to end: --shell and the config's shells: list, in an
// image that has the shell (ash in busybox, zsh in zsh:5.9) and one that
// has not (zsh in busybox), so the fallback to sh is shown too.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestShellChoice(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: busybox:1.37, command: [sleep, infinity]}
`)
	f.Rollout("deploy/web")

	// Without a terminal the chosen shell runs the script and no note
	// is printed: busybox names the shell it runs as in $0.
	t.Run("FlagPiped", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		r := f.Eshell("echo $0\n", "deploy/web", "--mode", "exec", "--shell", "ash")
		r.Want(t, 0, "ash\n")
		if strings.Contains(r.Stderr, "eshell: starting") {
			t.Errorf("a session without a terminal should not note the shell; stderr: %s", r.Stderr)
		}
	})

	// busybox has no zsh: the session falls back to sh and says so.
	t.Run("ZshOrFallback", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		term := f.Pty("deploy/web", "--mode", "exec", "--shell", "zsh")
		term.Expect(regexp.QuoteMeta("eshell: starting sh (not in the image: zsh)"), 30*time.Second)
		term.Expect(framework.Prompt, 20*time.Second)
		term.Type("echo shell=$0; exit 4\r")
		term.Expect(`shell=sh`, 10*time.Second)
		if code := term.Wait(15 * time.Second); code != 4 {
			t.Fatalf("eshell exited %d after `exit 4`, want 4", code)
		}
	})

	// The config's list is tried in order, in clone mode too.
	t.Run("ConfigListInClone", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		cfg := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(cfg, []byte("shells: [zsh, fish, ash, sh]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		term := f.Pty("deploy/web", "--config", cfg)
		term.Expect(regexp.QuoteMeta("eshell: starting ash (not in the image: zsh fish)"), 60*time.Second)
		term.Expect(framework.Prompt, 20*time.Second)
		term.Type("echo shell=$0; exit\r")
		term.Expect(`shell=ash`, 10*time.Second)
		if code := term.Wait(30 * time.Second); code != 0 {
			t.Fatalf("eshell exited %d, want 0", code)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		r := f.Eshell("", "deploy/web", "--mode", "exec", "--shell", "zsh", "--", "ls")
		if r.Code != 1 || !strings.Contains(r.Stderr, "error: --shell chooses the shell started when no command is given") {
			t.Errorf("--shell with a command: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}

// zsh where the image has it (zsh:5.9, Debian's static zsh on busybox):
// --shell zsh starts zsh for real, the start note says so, and an attach
// to a kept clone chooses its shell the same way.
func TestShellZsh(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(idleWeb(`
containers:
- {name: web, image: "zsh:5.9", command: [sleep, infinity]}
`))
	term := f.Pty("deploy/web", "--shell", "zsh")
	term.Expect(regexp.QuoteMeta("eshell: starting zsh"), 60*time.Second)
	term.Expect(framework.Prompt, 20*time.Second)
	term.Type("echo zsh=$ZSH_VERSION; exit 3\r")
	term.Expect(`zsh=5\.9`, 10*time.Second)
	if code := term.Wait(30 * time.Second); code != 3 {
		t.Fatalf("eshell exited %d after `exit 3`, want 3", code)
	}
	if strings.Contains(term.Output(), "not in the image") {
		t.Errorf("zsh is in the image, yet the note says something is missing:\n%s", term.Output())
	}

	// attach: --shell, and the config's shells:, as a session.
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	defer f.Eshell("", "end", id)
	r := f.Eshell("echo \"zsh=$ZSH_VERSION\"\n", "attach", id, "--shell", "zsh")
	r.Want(t, 0, "zsh=5.9\n")
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("shells: [fish, zsh]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := f.Pty("attach", id, "--config", cfg)
	at.Expect(regexp.QuoteMeta("eshell: starting zsh (not in the image: fish)"), 30*time.Second)
	at.Expect(framework.Prompt, 20*time.Second)
	at.Type("exit\r")
	if code := at.Wait(30 * time.Second); code != 0 {
		t.Fatalf("attach exited %d, want 0", code)
	}
}
