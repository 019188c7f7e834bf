//go:build windows

package session

import (
	"context"
	"time"

	"github.com/moby/term"
	"k8s.io/client-go/tools/remotecommand"
)

// Windows has no SIGWINCH: the size is polled while a session runs.
type sizeQueue struct {
	ch     chan remotecommand.TerminalSize
	cancel context.CancelFunc
}

func newSizeQueue(ctx context.Context, fd uintptr) *sizeQueue {
	ctx, cancel := context.WithCancel(ctx)
	q := &sizeQueue{ch: make(chan remotecommand.TerminalSize, 1), cancel: cancel}
	go func() {
		var last term.Winsize
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if ws, err := term.GetWinsize(fd); err == nil && *ws != last {
				last = *ws
				select {
				case q.ch <- remotecommand.TerminalSize{Width: ws.Width, Height: ws.Height}:
				default:
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return q
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	s, ok := <-q.ch
	if !ok {
		return nil
	}
	return &s
}

func (q *sizeQueue) stop() { q.cancel() }
