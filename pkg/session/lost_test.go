package session

import (
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
