package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// ErrIdle ends a session that saw no input and no output for its idle
// timeout. Callers treat it as a normal exit: cleanup runs, exit code 0.
var ErrIdle = errors.New("session ended: idle")

// activity remembers when bytes last moved in either direction.
type activity struct{ last atomic.Int64 }

func (a *activity) touch() { a.last.Store(time.Now().UnixNano()) }

func (a *activity) idleFor() time.Duration { return time.Since(time.Unix(0, a.last.Load())) }

type activeReader struct {
	r io.Reader
	a *activity
}

func (r activeReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if n > 0 {
		r.a.touch()
	}
	return n, err
}

type activeWriter struct {
	w io.Writer
	a *activity
}

func (w activeWriter) Write(b []byte) (int, error) {
	w.a.touch()
	return w.w.Write(b)
}

// idleWarning is how long before the end the user is warned.
func idleWarning(timeout time.Duration) time.Duration {
	if timeout > 2*time.Minute {
		return time.Minute
	}
	return timeout / 2
}

// watchIdle cancels the session once nothing moved for timeout, warning
// first. Messages end in \r\n because the terminal may be in raw mode.
func watchIdle(ctx context.Context, a *activity, timeout time.Duration, notice io.Writer, cancel context.CancelCauseFunc) {
	warnAt := timeout - idleWarning(timeout)
	warned := false
	tick := time.NewTicker(min(time.Second, timeout/10))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		idle := a.idleFor()
		switch {
		case idle >= timeout:
			fmt.Fprintf(notice, "\r\neshell: no input or output for %s (--idle-timeout); ending the session\r\n", timeout)
			cancel(ErrIdle)
			return
		case idle >= warnAt && !warned:
			warned = true
			fmt.Fprintf(notice, "\r\neshell: idle for %s; the session ends in %s unless there is input or output\r\n", idle.Round(time.Second), (timeout - idle).Round(time.Second))
		case idle < warnAt:
			warned = false
		}
	}
}
