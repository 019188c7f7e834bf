package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Lifeline is a held attach to a container's shell.Lifeline: while it is
// held, a heartbeat line goes to the lifeline every few seconds and the
// container lives; once it is released, or this process dies (the kubelet
// closes the stdinOnce stream) or stops sending (frozen, or its network
// gone), the container ends.
type Lifeline struct {
	stdin  *io.PipeWriter
	cancel context.CancelFunc
	done   chan error
	// mu orders the heartbeats, the keep line and the close on the stream.
	mu     sync.Mutex
	closed bool
}

var errLifelineEnded = errors.New("the lifeline's stream ended")

// HoldLifeline attaches to the lifeline in container, sends it the gate
// and returns once the lifeline said it is ready, or with an error if the
// attach failed or the lifeline did not answer within timeout. From then
// on it sends the lifeline a heartbeat on the schedule its silence bound
// needs (shell.HeartbeatEvery) until Release.
func (r Remote) HoldLifeline(ctx context.Context, ns, pod, container string, timeout, silence time.Duration) (*Lifeline, error) {
	ctx, cancel := context.WithCancel(ctx)
	in, stdin := io.Pipe()
	ready := &readyWriter{ready: make(chan struct{})}
	l := &Lifeline{stdin: stdin, cancel: cancel, done: make(chan error, 1)}
	s := Streams{IOStreams: genericiooptions.IOStreams{In: in, Out: ready, ErrOut: io.Discard}, Stdin: true, Preamble: shell.Gate(false)}
	go func() { l.done <- r.Attach(ctx, s, ns, pod, container) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ready.ready:
		go func() {
			// Once the attach ended nothing reads the pipe: fail the
			// writes instead of blocking them.
			_ = in.CloseWithError(errors.Join(errLifelineEnded, <-l.done))
		}()
		go l.beat(ctx, shell.HeartbeatEvery(silence))
		return l, nil
	case err := <-l.done:
		interrupted := ctx.Err() != nil // before Release, which ends ctx
		l.Release()
		if interrupted {
			// The executor ends the attach as soon as ctx ends: that
			// is the interrupt, not a failed attach.
			return nil, fmt.Errorf("session interrupted: %w", context.Cause(ctx))
		}
		if err == nil {
			err = errors.New("the lifeline ended before it was ready")
		}
		return nil, fmt.Errorf("attaching to the session's lifeline in container %s of pod %s: %w", container, pod, err)
	case <-t.C:
		l.Release()
		return nil, fmt.Errorf("the session's lifeline in container %s of pod %s did not answer within %s; check the pod with kubectl describe pod %s -n %s", container, pod, timeout, pod, ns)
	case <-ctx.Done():
		l.Release()
		return nil, fmt.Errorf("session interrupted: %w", context.Cause(ctx))
	}
}

// beat writes a heartbeat line every interval until the lifeline is
// released. A write blocks while the stream cannot take it (the pipe has
// no buffer), so a stalled connection stalls the beats, as it should.
func (l *Lifeline) beat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if l.send("\n") != nil {
			return
		}
	}
}

func (l *Lifeline) send(line string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return io.ErrClosedPipe
	}
	_, err := io.WriteString(l.stdin, line)
	return err
}

// Keep tells a --keep clone's lifeline that its clone reached its shell:
// the lifeline stops watching this client and the clone lives until its
// maximum life. It returns once the line was handed to the stream.
func (l *Lifeline) Keep() error {
	return l.send(shell.LifelineKeep + "\n")
}

// Release ends the lifeline's stdin, which ends its container (unless it
// was told to Keep). It does not wait: the kubelet and the API server
// finish it without this client.
func (l *Lifeline) Release() {
	l.cancel()
	// Closing the pipe's write end fails a heartbeat write that is blocked
	// in it, so the lock is taken after.
	_ = l.stdin.Close()
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

// readyWriter closes ready when the lifeline's ready line has been written.
type readyWriter struct {
	mu    sync.Mutex
	seen  bytes.Buffer
	once  sync.Once
	ready chan struct{}
}

func (w *readyWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Only the start of the output matters: the ready line is the
	// lifeline's first and only output.
	if w.seen.Len() < 4*len(shell.LifelineReady) {
		w.seen.Write(b)
		if bytes.Contains(w.seen.Bytes(), []byte(shell.LifelineReady)) {
			w.once.Do(func() { close(w.ready) })
		}
	}
	return len(b), nil
}
