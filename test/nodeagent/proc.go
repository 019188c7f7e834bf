package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

type containerKind int

const (
	kindInit containerKind = iota
	kindSidecar
	kindApp
	kindEphemeral
)

// containerSpec is the part of a container, init container or ephemeral
// container that the agent acts on.
type containerSpec struct {
	name, image           string
	kind                  containerKind
	command, args         []string
	workingDir            string
	env                   []corev1.EnvVar
	envFrom               []corev1.EnvFromSource
	mounts                []corev1.VolumeMount
	stdin, stdinOnce, tty bool
	resources             corev1.ResourceRequirements
	target                string // ephemeral containers: targetContainerName
}

// hostTools are absolute paths of host programs used to set up a
// container's namespaces; the container's own PATH may not have them.
type hostTools struct {
	unshare, nsenter, sh, mount, mkdir, hostname string
}

func findHostTools() (*hostTools, error) {
	t := &hostTools{}
	for name, dst := range map[string]*string{"unshare": &t.unshare, "nsenter": &t.nsenter, "sh": &t.sh, "mount": &t.mount, "mkdir": &t.mkdir, "hostname": &t.hostname} {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("the node agent needs %s on the host (Debian: util-linux, mount, hostname): %w", name, err)
		}
		*dst = p
	}
	return t, nil
}

type bindMount struct {
	source, target string
	readOnly       bool
}

// launch is everything needed to start one container process.
type launch struct {
	spec     *containerSpec
	argv     []string // argv[0] already resolved to an absolute path
	env      []string
	pathEnv  string
	hostname string
	workDir  string
	mounts   []bindMount
	logPath  string
	tools    *hostTools // nil: run without namespaces (the agent is not root)
}

// subscriber receives a container's output while attached.
type subscriber struct{ out, err io.Writer }

// proc is one running (or finished) container process.
type proc struct {
	l         *launch
	cmd       *exec.Cmd
	pty       *os.File
	stdin     io.WriteCloser
	startedAt time.Time

	mu          sync.Mutex
	subs        map[int]subscriber
	nextSub     int
	stdinClosed bool
	execs       map[*exec.Cmd]struct{}

	done       chan struct{}
	exitCode   int
	finishedAt time.Time
	reason     string
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// command builds the exec.Cmd for a container: with root, a private mount and
// UTS namespace where volumes are bind-mounted at their mountPaths and the
// hostname is the pod's, then exec of the container's program (same PID, so
// it stays the session leader and signals reach it).
func (l *launch) command() *exec.Cmd {
	if l.tools == nil {
		c := exec.Command(l.argv[0], l.argv[1:]...)
		c.Env = l.env
		if st, err := os.Stat(l.workDir); err == nil && st.IsDir() {
			c.Dir = l.workDir
		}
		return c
	}
	t := l.tools
	var b strings.Builder
	b.WriteString("set -e\n")
	fmt.Fprintf(&b, "%s %s\n", t.hostname, shQuote(l.hostname))
	for _, m := range l.mounts {
		fmt.Fprintf(&b, "%s --bind %s %s\n", t.mount, shQuote(m.source), shQuote(m.target))
		if m.readOnly {
			fmt.Fprintf(&b, "%s -o remount,bind,ro %s\n", t.mount, shQuote(m.target))
		}
	}
	fmt.Fprintf(&b, "cd %s\nexec \"$@\"\n", shQuote(l.workDir))
	args := append([]string{"--mount", "--uts", "--propagation", "private", "--", t.sh, "-c", b.String(), "container"}, l.argv...)
	c := exec.Command(t.unshare, args...)
	c.Env = l.env
	return c
}

func startProc(l *launch) (*proc, error) {
	logf, err := os.OpenFile(l.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	p := &proc{l: l, subs: map[int]subscriber{}, execs: map[*exec.Cmd]struct{}{}, done: make(chan struct{})}
	p.cmd = l.command()
	var readers sync.WaitGroup
	if l.spec.tty {
		f, err := pty.StartWithAttrs(p.cmd, &pty.Winsize{Rows: 24, Cols: 80}, &syscall.SysProcAttr{Setsid: true, Setctty: true})
		if err != nil {
			logf.Close()
			return nil, err
		}
		p.pty, p.stdin = f, f
		readers.Add(1)
		go func() { defer readers.Done(); p.pump(f, logf, false) }()
	} else {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		outR, outW, _ := os.Pipe()
		errR, errW, _ := os.Pipe()
		p.cmd.Stdout, p.cmd.Stderr = outW, errW
		var inW *os.File
		if l.spec.stdin {
			var inR *os.File
			inR, inW, _ = os.Pipe()
			p.cmd.Stdin = inR
			defer inR.Close()
			p.stdin = inW
		}
		if err := p.cmd.Start(); err != nil {
			for _, f := range []*os.File{outR, outW, errR, errW, inW} {
				if f != nil {
					f.Close()
				}
			}
			logf.Close()
			return nil, err
		}
		outW.Close()
		errW.Close()
		readers.Add(2)
		go func() { defer readers.Done(); p.pump(outR, logf, false); outR.Close() }()
		go func() { defer readers.Done(); p.pump(errR, logf, true); errR.Close() }()
	}
	p.startedAt = time.Now()
	go func() {
		err := p.cmd.Wait()
		code, reason := exitStatus(err)
		// A container is over when its main process is: like a runtime,
		// kill whatever it left behind, which also ends the output pumps.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		p.killExecs()
		waitTimeout(&readers, 2*time.Second)
		if p.pty != nil {
			p.pty.Close()
		}
		logf.Close()
		p.mu.Lock()
		p.exitCode, p.reason, p.finishedAt = code, reason, time.Now()
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

func exitStatus(err error) (int, string) {
	if err == nil {
		return 0, "Completed"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), "Error"
		}
		return ee.ExitCode(), "Error"
	}
	return 128, "Error"
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(d):
	}
}

// pump copies the container's output to its log and to every attached client.
func (p *proc) pump(r io.Reader, logf io.Writer, stderr bool) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			_, _ = logf.Write(chunk)
			p.mu.Lock()
			subs := make([]subscriber, 0, len(p.subs))
			for _, s := range p.subs {
				subs = append(subs, s)
			}
			p.mu.Unlock()
			for _, s := range subs {
				w := s.out
				if stderr && s.err != nil {
					w = s.err
				}
				if w != nil {
					_, _ = w.Write(chunk)
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// closeStdin ends the container's stdin: EOF on a pipe, a hangup on a tty
// (what a terminal closing does), so a shell whose client went away ends.
func (p *proc) closeStdin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stdinClosed || p.stdin == nil {
		return
	}
	p.stdinClosed = true
	if p.pty == nil {
		p.stdin.Close()
		return
	}
	if pgrp, err := unix.IoctlGetInt(int(p.pty.Fd()), unix.TIOCGPGRP); err == nil && pgrp > 0 {
		_ = syscall.Kill(-pgrp, syscall.SIGHUP)
		_ = syscall.Kill(-pgrp, syscall.SIGCONT)
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGHUP)
}

func forwardResize(f *os.File, resize <-chan remotecommand.TerminalSize, stop <-chan struct{}) {
	for {
		select {
		case s, ok := <-resize:
			if !ok {
				return
			}
			_ = pty.Setsize(f, &pty.Winsize{Rows: s.Height, Cols: s.Width})
		case <-stop:
			return
		}
	}
}

// attach streams the container's output from now on (like a real runtime:
// what was printed before is only in the log) and feeds in to its stdin.
func (p *proc) attach(ctx context.Context, in io.Reader, out, errw io.Writer) error {
	if !p.running() {
		return fmt.Errorf("container %q is not running", p.l.spec.name)
	}
	p.mu.Lock()
	id := p.nextSub
	p.nextSub++
	p.subs[id] = subscriber{out: out, err: errw}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.subs, id)
		p.mu.Unlock()
	}()
	if in != nil && p.stdin != nil {
		go func() {
			_, _ = io.Copy(p.stdin, in)
			if p.l.spec.stdinOnce {
				p.closeStdin()
			}
		}()
	}
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	if p.l.spec.stdinOnce {
		p.closeStdin()
	}
	return nil
}

// exec runs a command inside the container (its namespaces, env and working
// directory). A non-zero exit is returned as an ExitError so the streaming
// server reports the code; a missing program is an error, as with a runtime.
func (p *proc) exec(ctx context.Context, cmdline []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	if !p.running() {
		return fmt.Errorf("container %q is not running", p.l.spec.name)
	}
	if len(cmdline) == 0 {
		return errors.New("no command given")
	}
	abs, err := lookPath(cmdline[0], p.l.pathEnv)
	if err != nil {
		return fmt.Errorf("failed to exec in container: %w", err)
	}
	var c *exec.Cmd
	if t := p.l.tools; t != nil {
		args := append([]string{"--target", fmt.Sprint(p.cmd.Process.Pid), "--mount", "--uts", "--wd", "--", abs}, cmdline[1:]...)
		c = exec.Command(t.nsenter, args...)
	} else {
		c = exec.Command(abs, cmdline[1:]...)
		c.Dir = p.cmd.Dir
	}
	c.Env = p.l.env
	if tty && !hasEnv(c.Env, "TERM") {
		c.Env = append(append([]string{}, c.Env...), "TERM=xterm")
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer close(stop)
	if tty {
		f, err := pty.StartWithAttrs(c, &pty.Winsize{Rows: 24, Cols: 80}, &syscall.SysProcAttr{Setsid: true, Setctty: true})
		if err != nil {
			return fmt.Errorf("failed to exec in container: %w", err)
		}
		defer f.Close()
		go forwardResize(f, resize, stop)
		if in != nil {
			go func() { _, _ = io.Copy(f, in) }()
		}
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = io.Copy(out, f) }()
	} else {
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if out != nil {
			c.Stdout = out
		}
		if errw != nil {
			c.Stderr = errw
		}
		var stdin io.WriteCloser
		if in != nil {
			if stdin, err = c.StdinPipe(); err != nil {
				return err
			}
		}
		if err := c.Start(); err != nil {
			return fmt.Errorf("failed to exec in container: %w", err)
		}
		if stdin != nil {
			// EOF from the client must reach the command (echo x | exec -i cat).
			go func() { _, _ = io.Copy(stdin, in); stdin.Close() }()
		}
	}
	p.mu.Lock()
	p.execs[c] = struct{}{}
	p.mu.Unlock()
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		// The client went away: nothing may keep running on its behalf.
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		werr = <-waited
	}
	_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	p.mu.Lock()
	delete(p.execs, c)
	p.mu.Unlock()
	waitTimeout(&wg, 2*time.Second)
	if werr == nil {
		return nil
	}
	code, _ := exitStatus(werr)
	return utilexec.CodeExitError{Err: werr, Code: code}
}

func (p *proc) killExecs() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.execs {
		if c.Process != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
	}
}

// stop sends SIGTERM, then SIGKILL after grace, and waits for the end.
func (p *proc) stop(grace time.Duration) {
	if !p.running() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func hasEnv(env []string, k string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, k+"=") {
			return true
		}
	}
	return false
}
