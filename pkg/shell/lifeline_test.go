package shell

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runLifeline runs the lifeline script with the local sh, feeding it what
// in gives, and returns its exit code, its output and how long it ran.
func runLifeline(t *testing.T, argv []string, in func(w io.WriteCloser)) (int, string, time.Duration) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	// ContainerArgv doubled every $ for the kubelet; undo it for a local run.
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "$$", "$")
	}
	cmd := exec.Command(args[0], args[1:]...)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A file, not a pipe: the background sleeps outlive the script here
	// (in a container its end kills them) and would hold a pipe open.
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = out.Close() }()
	cmd.Stdout = out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go in(w)
	err = cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b), took
}

func TestLifeline(t *testing.T) {
	t.Parallel()
	hold := func(d time.Duration) func(w io.WriteCloser) {
		return func(w io.WriteCloser) {
			_, _ = io.WriteString(w, Gate(false))
			time.Sleep(d)
			_ = w.Close()
		}
	}
	silent := func(w io.WriteCloser) { time.Sleep(3 * time.Second); _ = w.Close() }
	for _, tc := range []struct {
		name    string
		argv    []string
		in      func(w io.WriteCloser)
		code    int
		ready   bool
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"client ends", Lifeline(time.Minute, time.Hour, false), hold(500 * time.Millisecond), LifelineClientGone, true, 400 * time.Millisecond, 2 * time.Second},
		{"no client", Lifeline(time.Second, time.Hour, false), silent, LifelineNoClient, false, 900 * time.Millisecond, 2500 * time.Millisecond},
		{"max life", Lifeline(time.Minute, time.Second, false), hold(3 * time.Second), LifelineMaxLife, true, 900 * time.Millisecond, 2500 * time.Millisecond},
		{"keep ignores EOF", Lifeline(time.Minute, 2*time.Second, true), hold(100 * time.Millisecond), LifelineMaxLife, true, 1900 * time.Millisecond, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, took := runLifeline(t, tc.argv, tc.in)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (output %q)", code, tc.code, out)
			}
			if got := strings.Contains(out, LifelineReady); got != tc.ready {
				t.Errorf("ready printed: %v, want %v (output %q)", got, tc.ready, out)
			}
			if took < tc.atLeast || took > tc.atMost {
				t.Errorf("ran %s, want between %s and %s", took, tc.atLeast, tc.atMost)
			}
		})
	}
}
