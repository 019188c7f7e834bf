package shell

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// run executes argv with stdin, as the container would.
func run(t *testing.T, argv []string, stdin string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return string(out)
}

func TestGatedWaitsForTheGateThenRunsTheCommand(t *testing.T) {
	argv := Gated([]string{"sh", "-c", `echo "args:$1" ; cat`, "x", "it's quoted"}, 0)
	// The gate line is consumed; what follows is the command's stdin.
	got := run(t, argv, Gate(false)+"payload\n")
	if got != "args:it's quoted\npayload\n" {
		t.Fatalf("got %q", got)
	}
}

func TestGatedDetectsAShell(t *testing.T) {
	got := run(t, Gated(nil, 0), Gate(false)+"echo shell-ran\n")
	if got != "shell-ran\n" {
		t.Fatalf("got %q", got)
	}
}

func TestGatedBoundsTheLifetime(t *testing.T) {
	start := time.Now()
	cmd := exec.Command(Gated([]string{"sleep", "30"}, time.Second)[0], Gated([]string{"sleep", "30"}, time.Second)[1:]...)
	cmd.Stdin = strings.NewReader(Gate(false))
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("a bounded command must be killed, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the watchdog took %s to end a 1s-bounded command", d)
	}
}

func TestDetectPrefersBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine")
	}
	if got := run(t, Detect(), `echo "${BASH_VERSION:+bash}"`+"\n"); got != "bash\n" {
		t.Fatalf("got %q, want bash", got)
	}
}

func TestNoShell(t *testing.T) {
	for msg, want := range map[string]bool{
		`exec: "sh": executable file not found in $PATH`:                   true,
		`OCI runtime exec failed: stat /bin/sh: no such file or directory`: true,
		"command terminated with exit code 1":                              false,
	} {
		if got := NoShell(errors.New(msg)); got != want {
			t.Errorf("NoShell(%q) = %v, want %v", msg, got, want)
		}
	}
	if NoShell(nil) {
		t.Error("NoShell(nil)")
	}
}

func TestQuote(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{[]string{"python", "manage.py", "shell_plus"}, "python manage.py shell_plus"},
		{[]string{"sh", "-c", "echo $HOME; ls"}, `sh -c 'echo $HOME; ls'`},
		{[]string{"echo", "it's"}, `echo 'it'\''s'`},
		{[]string{"printf", ""}, "printf ''"},
	} {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
