package session

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// ExitLost is the exit code of a session whose stream was lost before the
// remote command's exit code arrived (a restarted kubelet, API server or
// container runtime, a network gone): 255, as ssh uses, so it is told apart
// from any code of the remote program (which ends at 255 only by choice).
const ExitLost = 255

// LostError is a stream lost mid-session: What names the stream, Fate
// says what becomes of the session (removed now, or ends on the server
// within a bound), Err is the transport's error.
type LostError struct {
	What, Fate string
	Err        error
}

func (e *LostError) Error() string {
	msg := fmt.Sprintf("lost the connection to %s (%v)", e.What, e.Err)
	if e.Fate != "" {
		msg += "; " + e.Fate
	}
	return msg + fmt.Sprintf("; exit code %d", ExitLost)
}

func (e *LostError) Unwrap() error { return e.Err }

// Lost wraps err, an error that ended a stream, as a *LostError about
// what, unless the stream did not end by a loss: the remote command's exit
// code, an idle timeout, or an answer of the API server (a refusal before
// the stream began) are returned as they are.
func Lost(err error, what, fate string) error {
	var ee *ExitError
	var status apierrors.APIStatus
	if err == nil || errors.As(err, &ee) || errors.Is(err, ErrIdle) || errors.As(err, &status) {
		return err
	}
	return &LostError{What: what, Fate: fate, Err: err}
}

// Ended is how a session's stream ended: interrupted when ctx ended (a
// signal, --max-duration), else as Lost says.
func Ended(ctx context.Context, err error, what, fate string) error {
	if ctx.Err() != nil && !errors.Is(err, ErrIdle) {
		return fmt.Errorf("session interrupted: %w", context.Cause(ctx))
	}
	return Lost(err, what, fate)
}
