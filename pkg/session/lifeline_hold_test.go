package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/session/sessiontest"
)

// A lifeline whose attach fails says so; one whose session is interrupted
// while it attaches says that instead; a held one ends when released.
func TestHoldLifeline(t *testing.T) {
	refused := &sessiontest.Streamer{}
	_, err := session.Remote{Streamer: refused}.HoldLifeline(context.Background(), "shop", "web-1", "web", time.Second, 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "attaching to the session's lifeline in container web of pod web-1") {
		t.Errorf("refused attach: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	blocked := &sessiontest.Streamer{Program: func(session.StreamRequest) sessiontest.Program {
		cancel()
		return sessiontest.Block
	}}
	_, err = session.Remote{Streamer: blocked}.HoldLifeline(ctx, "shop", "web-1", "web", time.Minute, 20*time.Second)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "session interrupted") {
		t.Errorf("interrupted attach: %v", err)
	}
	blocked.Wait()

	held := &sessiontest.Streamer{Program: func(session.StreamRequest) sessiontest.Program { return sessiontest.Lifeline }}
	life, err := session.Remote{Streamer: held}.HoldLifeline(context.Background(), "shop", "web-1", "web", time.Minute, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	life.Release()
	held.Wait()
}
