package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Lifeline is a held attach to a container's shell.LifelineScript: while it is
// held, a heartbeat line goes to the lifeline every few seconds and the
// container lives; once it is released, or this process dies (the kubelet
// closes the stdinOnce stream) or stops sending (frozen, or its network
// gone), the container ends.
type Lifeline struct {
	stdin  *io.PipeWriter
	cancel context.CancelFunc
	done   chan error
	// ended is closed once the attach ended, endErr then says how.
	ended  chan struct{}
	endErr error
	out    *lineWatcher
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
	ready := &lineWatcher{ready: make(chan struct{}), pong: make(chan struct{}, 1)}
	l := &Lifeline{stdin: stdin, cancel: cancel, done: make(chan error, 1), ended: make(chan struct{}), out: ready}
	s := Streams{IOStreams: genericiooptions.IOStreams{In: in, Out: ready, ErrOut: io.Discard}, Stdin: true, Preamble: shell.Gate(false)}
	go func() { l.done <- r.Attach(ctx, s, ns, pod, container) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ready.ready:
		go func() {
			// Once the attach ended nothing reads the pipe: fail the
			// writes instead of blocking them.
			l.endErr = errors.Join(errLifelineEnded, <-l.done)
			close(l.ended)
			_ = in.CloseWithError(l.endErr)
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

// ErrUnconfirmedEnd is why Confirm doubts a clean end of a command's stream.
var ErrUnconfirmedEnd = errors.New("the command's stream ended cleanly but the session's lifeline no longer answers, so the command's output and exit code are unknown (a restarted container runtime ends streams this way)")

// Confirm returns err, how the stream of a command running beside this
// lifeline ended, unless it ended without an error (exit 0) and the
// lifeline does not answer a ping within timeout: then the end is not
// taken for the command's, and an error wrapping ErrUnconfirmedEnd says
// so. A stream cut at its source (a restarted container runtime) reaches
// the client through the API server as a clean exit 0, with no way to tell
// it from a real one; the lifeline's own stream, from the same source,
// breaks with it. Costs one round trip per session.
func (l *Lifeline) Confirm(err error, timeout time.Duration) error {
	if err != nil {
		return err
	}
	sent := make(chan error, 1)
	// The write blocks while the stream cannot take it; the timeout
	// bounds that too.
	go func() { sent <- l.send(shell.LifelinePing + "\n") }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-l.out.pong:
			return nil
		case serr := <-sent:
			if serr != nil {
				return fmt.Errorf("%w: %w", ErrUnconfirmedEnd, serr)
			}
			sent = nil
		case <-l.ended:
			return fmt.Errorf("%w: %w", ErrUnconfirmedEnd, l.endErr)
		case <-t.C:
			return fmt.Errorf("%w: no answer within %s", ErrUnconfirmedEnd, timeout)
		}
	}
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

// lineWatcher watches the lifeline's output: it closes ready when the
// ready line has been written, and signals pong for each pong line.
type lineWatcher struct {
	mu    sync.Mutex
	line  bytes.Buffer
	once  sync.Once
	ready chan struct{}
	pong  chan struct{}
}

func (w *lineWatcher) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range b {
		if c != '\n' {
			// The lifeline prints only its own short lines; a longer one
			// is none of them.
			if w.line.Len() < 64 {
				w.line.WriteByte(c)
			}
			continue
		}
		switch strings.TrimSpace(w.line.String()) {
		case shell.LifelineReady:
			w.once.Do(func() { close(w.ready) })
		case shell.LifelinePong:
			select {
			case w.pong <- struct{}{}:
			default:
			}
		}
		w.line.Reset()
	}
	return len(b), nil
}
