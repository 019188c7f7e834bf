//go:build !windows

package session

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/moby/term"
	"k8s.io/client-go/tools/remotecommand"
)

// sizeQueue reports the terminal size once at start and after every
// SIGWINCH, so the remote terminal follows the local window.
type sizeQueue struct {
	ch     chan remotecommand.TerminalSize
	sig    chan os.Signal
	cancel context.CancelFunc
}

func newSizeQueue(ctx context.Context, fd uintptr) *sizeQueue {
	ctx, cancel := context.WithCancel(ctx)
	q := &sizeQueue{ch: make(chan remotecommand.TerminalSize, 1), sig: make(chan os.Signal, 1), cancel: cancel}
	signal.Notify(q.sig, syscall.SIGWINCH)
	send := func() {
		ws, err := term.GetWinsize(fd)
		if err != nil || ws.Width == 0 || ws.Height == 0 {
			return
		}
		select {
		case <-q.ch: // drop a stale size nobody read
		default:
		}
		q.ch <- remotecommand.TerminalSize{Width: ws.Width, Height: ws.Height}
	}
	send()
	go func() {
		defer signal.Stop(q.sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-q.sig:
				send()
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
