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
// held the container lives; once it is released, or this process dies and
// the kubelet closes the stdinOnce stream, the container ends.
type Lifeline struct {
	stdin  *io.PipeWriter
	cancel context.CancelFunc
	done   chan error
}

// HoldLifeline attaches to the lifeline in container, sends it the gate
// and returns once the lifeline said it is ready, or with an error if the
// attach failed or the lifeline did not answer within timeout.
func (r Remote) HoldLifeline(ctx context.Context, ns, pod, container string, timeout time.Duration) (*Lifeline, error) {
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
		return l, nil
	case err := <-l.done:
		l.Release()
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

// Release ends the lifeline's stdin, which ends its container. It does
// not wait: the kubelet and the API server finish it without this client.
func (l *Lifeline) Release() {
	_ = l.stdin.Close()
	l.cancel()
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
