package session

import (
	"context"
	"errors"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// CleanupBound is how long a cleanup request (removing a clone, writing
// the end Event) is retried while the API server cannot be reached: long
// enough for an API server to restart.
const CleanupBound = 45 * time.Second

// Unreachable reports whether err is a failure to reach the API server
// (refused, reset, timed out, no route): a restart or a short outage, after
// which the same request may succeed, not an answer of the server.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		// The server answered; only its "try again later" answers are an
		// outage (one that is starting or shutting down gives them).
		return apierrors.IsServerTimeout(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsTooManyRequests(err) || apierrors.IsTimeout(err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	s := err.Error()
	for _, m := range []string{"connection refused", "connection reset", "broken pipe", "EOF", "no route to host", "i/o timeout", "http2: server sent GOAWAY", "TLS handshake timeout"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// CleanupContext is the context of a cleanup that outlives a short outage:
// it ends after CleanupBound, or at once when the user presses Ctrl+C
// again (or a SIGTERM or SIGHUP comes): waiting for the cluster must never
// hold a user who wants out.
func CleanupContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), CleanupBound)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	return ctx, func() { stop(); cancel() }
}

// Retry calls do until it succeeds, fails with an answer of the server, or
// ctx ends, waiting between tries with a growing backoff (0.5 s to 4 s)
// while the API server cannot be reached (and while one that came back
// still refuses, see below). onRetry, when set, is told of the
// first failed try, so the user learns why the wait is.
func Retry(ctx context.Context, do func(context.Context) error, onRetry func(error)) error {
	wait := 500 * time.Millisecond
	outage := false
	for try := 0; ; try++ {
		// Each try gets its own bound: a request to a server that
		// vanished mid-answer must not use up the whole wait.
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := do(tctx)
		cancel()
		// An API server that has just started answers Forbidden for a
		// few seconds, until its authorizer has read the RBAC rules
		// (measured on the local cluster): after an outage, a refusal
		// is tried again too.
		if err == nil || !Unreachable(err) && !(outage && apierrors.IsForbidden(err)) {
			return err
		}
		outage = true
		if try == 0 && onRetry != nil {
			onRetry(err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 4*time.Second)
	}
}
