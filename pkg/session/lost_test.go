package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestLost(t *testing.T) {
	ws := errors.New("error reading from error stream: next reader: websocket: close 1006 (abnormal closure): unexpected EOF")
	err := Lost(ws, "the shell in clone pod web-eshell-x", "the clone was removed")
	var le *LostError
	if !errors.As(err, &le) {
		t.Fatalf("Lost = %v, want a *LostError", err)
	}
	want := "lost the connection to the shell in clone pod web-eshell-x (" + ws.Error() + "); the clone was removed; exit code 255"
	if got := err.Error(); got != want || strings.Contains(got, "\n") {
		t.Errorf("Lost = %q, want %q on one line", got, want)
	}
	for _, kept := range []error{nil, &ExitError{Code: 3}, fmt.Errorf("x: %w", ErrIdle),
		apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New("no"))} {
		if got := Lost(kept, "x", "y"); got != kept {
			t.Errorf("Lost(%v) = %v, want it unchanged", kept, got)
		}
	}
}

// A request retried through an API server restart: refused connections,
// then the Forbidden of an authorizer that is still starting, then success.
func TestRetryOutlastsARestart(t *testing.T) {
	answers := []error{errors.New("dial tcp 127.0.0.1:16443: connect: connection refused"),
		apierrors.NewForbidden(schema.GroupResource{Resource: "jobs"}, "j", errors.New("no")), nil}
	tries, told := 0, 0
	err := Retry(context.Background(), func(context.Context) error { tries++; return answers[tries-1] }, func(error) { told++ })
	if err != nil || tries != 3 || told != 1 {
		t.Errorf("Retry = %v after %d tries (told %d times), want success after 3, told once", err, tries, told)
	}
	// Without an outage first, a refusal is final.
	tries = 0
	answers = answers[1:]
	if err := Retry(context.Background(), func(context.Context) error { tries++; return answers[tries-1] }, nil); !apierrors.IsForbidden(err) || tries != 1 {
		t.Errorf("Retry = %v after %d tries, want the refusal at once", err, tries)
	}
}
