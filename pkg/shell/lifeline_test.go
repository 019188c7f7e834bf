package shell

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock makes the lifeline's sleeps ten times shorter: a script that
// waits "20" seconds waits 2.0, so the tests exercise the real default
// bounds in seconds. It is a function, not a program in PATH, because
// busybox sh runs its own sleep applet whatever PATH says.
const fakeClock = `sleep() { exec /bin/sleep "${1%?}.${1#${1%?}}"; }; `

// shells are the shells the lifeline must run in; the ones missing here
// are skipped.
var shells = [][]string{{"busybox", "sh"}, {"dash"}, {"bash"}}

// runLifeline runs the lifeline script with sh under the fake clock,
// feeding it what in gives, and returns its exit code, its output and how
// long it ran.
func runLifeline(t *testing.T, sh []string, argv []string, in func(w io.WriteCloser)) (int, string, time.Duration) {
	t.Helper()
	if _, err := exec.LookPath(sh[0]); err != nil {
		t.Skipf("no %s", sh[0])
	}
	if _, err := os.Stat("/bin/sleep"); err != nil {
		t.Skip("no /bin/sleep for the fake clock")
	}
	// ContainerArgv doubled every $ for the kubelet; undo it for a local run.
	args := append([]string{}, sh...)
	for i, a := range argv[1:] {
		a = strings.ReplaceAll(a, "$$", "$")
		if i == 1 { // the script, after -c
			a = fakeClock + a
		}
		args = append(args, a)
	}
	cmd := exec.Command(args[0], args[1:]...)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A file, not a pipe: a reader still blocked when the script ends
	// outlives it here (in a container its end kills it) and would hold a
	// pipe open.
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
	took := time.Since(start)
	_ = w.Close()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b), took
}

// client sends the gate, then lines on the heartbeat's schedule (real
// time: the fake clock makes the script's bound of 20 s last 2 s, so a
// beat every 0.5 s is the client's every 5 s) for beatFor, then the extra
// lines, then either closes stdin or falls silent.
func client(beatFor time.Duration, extra []string, closeIt bool) func(w io.WriteCloser) {
	return func(w io.WriteCloser) {
		_, _ = io.WriteString(w, Gate(false))
		for end := time.Now().Add(beatFor); time.Now().Before(end); {
			time.Sleep(500 * time.Millisecond)
			_, _ = io.WriteString(w, "\n")
		}
		for _, l := range extra {
			_, _ = io.WriteString(w, l+"\n")
		}
		if closeIt {
			_ = w.Close()
		}
	}
}

func TestLifeline(t *testing.T) {
	silentFor := func(d time.Duration) func(w io.WriteCloser) {
		return func(w io.WriteCloser) { time.Sleep(d); _ = w.Close() }
	}
	// Bounds in the script's seconds; the fake clock divides them by ten.
	const bound = DefaultHeartbeatTimeout
	var wg sync.WaitGroup
	for _, tc := range []struct {
		name    string
		argv    []string
		in      func(w io.WriteCloser)
		code    int
		ready   bool
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"client ends", LifelineScript(bound, time.Hour, false), client(3*time.Second, nil, true), LifelineClientGone, true, 2900 * time.Millisecond, 4 * time.Second},
		{"heartbeats hold it past the bound", LifelineScript(bound, 60*time.Second, false), client(10*time.Second, nil, false), LifelineMaxLife, true, 5900 * time.Millisecond, 7 * time.Second},
		{"silence after the gate", LifelineScript(bound, time.Hour, false), client(1*time.Second, nil, false), LifelineSilent, true, 2900 * time.Millisecond, 4 * time.Second},
		{"no client", LifelineScript(bound, time.Hour, false), silentFor(5 * time.Second), LifelineNoClient, false, 1900 * time.Millisecond, 3 * time.Second},
		{"max life", LifelineScript(bound, 10*time.Second, false), client(5*time.Second, nil, false), LifelineMaxLife, true, 900 * time.Millisecond, 2 * time.Second},
		{"keep line without --keep is a heartbeat", LifelineScript(bound, time.Hour, false), client(0, []string{LifelineKeep}, true), LifelineClientGone, true, 0, time.Second},
		{"keep: a kept clone outlives its client", LifelineScript(bound, 30*time.Second, true), client(0, []string{LifelineKeep}, true), LifelineMaxLife, true, 2900 * time.Millisecond, 4 * time.Second},
		{"keep: before the keep line it ends with its client", LifelineScript(bound, time.Hour, true), client(time.Second, nil, true), LifelineClientGone, true, 900 * time.Millisecond, 2 * time.Second},
		{"keep: before the keep line silence ends it", LifelineScript(bound, time.Hour, true), client(0, nil, false), LifelineSilent, true, 1900 * time.Millisecond, 3 * time.Second},
	} {
		for _, sh := range shells {
			// Not t.Parallel: -parallel defaults to the number of CPUs, and
			// these runs only sleep; all of them at once take as long as the
			// longest.
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(tc.name+"/"+sh[0], func(t *testing.T) {
					code, out, took := runLifeline(t, sh, tc.argv, tc.in)
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
			}()
		}
	}
	wg.Wait()
}

func TestHeartbeatEvery(t *testing.T) {
	for timeout, want := range map[time.Duration]time.Duration{
		DefaultHeartbeatTimeout: 5 * time.Second, MinHeartbeatTimeout: 2500 * time.Millisecond, 2 * time.Second: time.Second,
	} {
		if got := HeartbeatEvery(timeout); got != want {
			t.Errorf("HeartbeatEvery(%s) = %s, want %s", timeout, got, want)
		}
	}
}

// A ping is answered with a pong, before and after a --keep clone's keep
// line: a client confirms with it that a clean end of its command's stream
// was the command's.
func TestLifelinePing(t *testing.T) {
	const bound = DefaultHeartbeatTimeout
	for _, tc := range []struct {
		name  string
		argv  []string
		lines []string
		code  int
	}{
		{"answered", LifelineScript(bound, time.Hour, false), []string{LifelinePing}, LifelineClientGone},
		{"answered with keep before the keep line", LifelineScript(bound, time.Hour, true), []string{LifelinePing}, LifelineClientGone},
		{"answered after the keep line", LifelineScript(bound, 10*time.Second, true), []string{LifelineKeep, LifelinePing}, LifelineMaxLife},
	} {
		for _, sh := range shells {
			t.Run(tc.name+"/"+sh[0], func(t *testing.T) {
				t.Parallel()
				code, out, _ := runLifeline(t, sh, tc.argv, client(0, tc.lines, true))
				if code != tc.code {
					t.Errorf("exit code %d, want %d (output %q)", code, tc.code, out)
				}
				if !strings.Contains(out, LifelineReady+"\n") || !strings.Contains(out, LifelinePong+"\n") {
					t.Errorf("want the ready line and a pong, got %q", out)
				}
			})
		}
	}
}
