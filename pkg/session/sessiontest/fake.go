// Package sessiontest is a fake of the exec and attach streams, for unit
// tests that drive an engine to the end without a cluster: each request
// runs a Program of the test's, which reads and writes the streams and
// ends as a remote process would be reported.
package sessiontest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// IO is a remote process's end of the streams.
type IO struct {
	Stdin          io.Reader // empty when the request sends no stdin
	Stdout, Stderr io.Writer // Stderr is Stdout on a TTY, as a terminal merges them
}

// Program is a remote process. It returns how its end is reported: nil
// for exit code 0, Exit(n) for another, any other error for a stream that
// failed or was lost. It should return once ctx is done.
type Program func(ctx context.Context, req session.StreamRequest, io IO) error

// Streamer is a session.Streamer that runs Programs. Like the API
// server's executors, it returns ctx's error as soon as ctx is done,
// whatever the program does then.
type Streamer struct {
	// Program picks what runs for a request; nil, or a nil Program, is a
	// request the server would refuse (no such container).
	Program func(req session.StreamRequest) Program

	mu       sync.Mutex
	requests []session.StreamRequest
	running  sync.WaitGroup
}

// Stream implements session.Streamer.
func (f *Streamer) Stream(ctx context.Context, req session.StreamRequest, opts remotecommand.StreamOptions) error {
	f.running.Add(1)
	defer f.running.Done()
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err // no connection is made on an ended context
	}
	var p Program
	if f.Program != nil {
		p = f.Program(req)
	}
	if p == nil {
		return fmt.Errorf("container %s is not valid for pod %s", req.Container, req.Pod)
	}
	pio := IO{Stdin: strings.NewReader(""), Stdout: opts.Stdout, Stderr: opts.Stderr}
	if opts.Stdin != nil {
		pio.Stdin = opts.Stdin
	}
	if opts.Tty || pio.Stderr == nil {
		pio.Stderr = pio.Stdout
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the program ends with its stream
	done := make(chan error, 1)
	f.running.Add(1)
	go func() {
		defer f.running.Done()
		done <- p(ctx, req, pio)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Requests are the requests streamed so far, in order.
func (f *Streamer) Requests() []session.StreamRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]session.StreamRequest(nil), f.requests...)
}

// Wait returns once every stream and program has returned, so a test can read what
// they wrote without a race.
func (f *Streamer) Wait() { f.running.Wait() }

// Ended fails t when a program (a lifeline, above all) still runs 5 s
// after its session ended: the engine did not release it.
func (f *Streamer) Ended(t testing.TB) {
	t.Helper()
	done := make(chan struct{})
	go func() { f.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a remote program still runs after its session ended: its stream (a lifeline's) was not released")
	}
}

// Exit is how the API server's executors report a remote exit code other
// than 0.
func Exit(code int) error {
	return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
}

// ErrLost is a stream the transport lost (a restarted kubelet, a dropped
// connection): no exit code came.
var ErrLost = errors.New("error reading from error stream: read tcp 127.0.0.1:51234->127.0.0.1:6443: read: connection reset by peer")

// Print writes out to stdout and exits with code.
func Print(out string, code int) Program {
	return func(_ context.Context, _ session.StreamRequest, pio IO) error {
		if _, err := io.WriteString(pio.Stdout, out); err != nil {
			return err
		}
		if code != 0 {
			return Exit(code)
		}
		return nil
	}
}

// Lost writes out and then loses the stream.
func Lost(out string) Program {
	return func(_ context.Context, _ session.StreamRequest, pio IO) error {
		_, _ = io.WriteString(pio.Stdout, out)
		return ErrLost
	}
}

// Block runs until its stream is cancelled.
func Block(ctx context.Context, _ session.StreamRequest, _ IO) error {
	<-ctx.Done()
	return ctx.Err()
}

// Lifeline behaves as shell.LifelineScript does for its client: it waits for the
// gate, says it is ready, answers every ping (the client's check that a
// cleanly ended command really ended), and runs until its stdin ends (the
// client released it) or its stream is cancelled.
func Lifeline(ctx context.Context, _ session.StreamRequest, pio IO) error {
	in := bufio.NewReader(pio.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		return nil // released before the gate: the lifeline exits 0
	}
	if _, err := io.WriteString(pio.Stdout, shell.LifelineReady+"\n"); err != nil {
		return err
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			line, err := in.ReadString('\n')
			if strings.TrimSpace(line) == shell.LifelinePing {
				_, _ = io.WriteString(pio.Stdout, shell.LifelinePong+"\n")
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-read:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Exited reports whether err is how an engine's Run ends for a remote
// command that exited with code: nil for 0, else a *session.ExitError
// carrying code.
func Exited(err error, code int) bool {
	if code == 0 {
		return err == nil
	}
	var ee *session.ExitError
	return errors.As(err, &ee) && ee.Code == code
}

// ExecBeforeLifeline returns a shell that prints out and exits 0, and a
// lifeline that becomes ready only once that shell has started: an engine
// that waits for its lifeline before it execs the command fails with the
// lifeline's error after 5 s.
func ExecBeforeLifeline(out string) (shell, lifeline Program) {
	started := make(chan struct{})
	shell = func(ctx context.Context, req session.StreamRequest, pio IO) error {
		close(started)
		return Print(out, 0)(ctx, req, pio)
	}
	lifeline = func(ctx context.Context, req session.StreamRequest, pio IO) error {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			return errors.New("the exec waited for the lifeline to be ready")
		}
		return Lifeline(ctx, req, pio)
	}
	return shell, lifeline
}
