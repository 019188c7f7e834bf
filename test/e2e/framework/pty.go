package framework

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// Term is a program running in a pseudo-terminal, driven the way a person
// would: type, read the screen, send a signal, wait for the exit code.
type Term struct {
	f    *F
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
	// read is closed when the terminal has nothing more to read: the
	// program and everything it started have closed it.
	read chan struct{}
	code int
}

// Pty starts the plugin in a terminal of 120x30 in the test namespace.
func (f *F) Pty(args ...string) *Term {
	f.T.Helper()
	return f.PtyCmd(f.Cmd(f.Plugin, append([]string{"-n", f.Namespace}, args...)...))
}

// PtyCmd starts any command in a terminal; it is killed when the test ends.
func (f *F) PtyCmd(cmd *exec.Cmd) *Term {
	f.T.Helper()
	p, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 120})
	if err != nil {
		f.T.Fatalf("starting %v in a pty: %v", cmd.Args, err)
	}
	t := &Term{f: f, cmd: cmd, pty: p, done: make(chan struct{}), read: make(chan struct{})}
	go func() {
		defer close(t.read)
		b := make([]byte, 4096)
		for {
			n, err := p.Read(b)
			t.mu.Lock()
			t.buf.Write(b[:n])
			t.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			t.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.code = 128 + int(ws.Signal())
			}
		}
		close(t.done)
	}()
	f.T.Cleanup(func() {
		select {
		case <-t.done:
		default:
			_ = cmd.Process.Kill()
			<-t.done
		}
		_ = p.Close() // the program has ended; nothing is left to read
		f.T.Logf("terminal of %v:\n%s", cmd.Args, t.Output())
	})
	return t
}

// Type sends keys as typed.
func (t *Term) Type(s string) {
	_, _ = io.WriteString(t.pty, s)
}

// Output is everything the terminal showed so far.
func (t *Term) Output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// Expect waits until the screen output matches re, and returns the match.
func (t *Term) Expect(re string, d time.Duration) []string {
	t.f.T.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(d)
	for {
		if m := rx.FindStringSubmatch(t.Output()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.f.T.Fatalf("terminal never showed %q within %s; it shows:\n%s", re, d, t.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Signal sends sig to the program.
func (t *Term) Signal(sig syscall.Signal) { _ = t.cmd.Process.Signal(sig) }

// Kill SIGKILLs the program and waits for it.
func (t *Term) Kill() {
	_ = t.cmd.Process.Kill()
	<-t.done
}

// Wait returns the exit code, failing the test if it takes longer than d.
func (t *Term) Wait(d time.Duration) int {
	t.f.T.Helper()
	select {
	case <-t.done:
		// The program's last words may still be on their way through the
		// terminal: read them before the caller looks at Output.
		select {
		case <-t.read:
		case <-time.After(2 * time.Second):
		}
		return t.code
	case <-time.After(d):
		t.f.T.Fatalf("program did not exit within %s; terminal shows:\n%s", d, t.Output())
		return -1
	}
}
