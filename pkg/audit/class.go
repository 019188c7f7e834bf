package audit

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// The error classes an End Event may name. An Event is readable by anyone
// who may read Events in the namespace, and an error's text may carry what
// the user typed: "cannot run psql postgres://app:pw@db" quotes every
// argument, client-go's SPDY fallback puts the exec URL (the command, as
// query parameters) in its error, an admission webhook may echo the
// request. So a note never holds error text, only one of these words.
const (
	ClassIdle           = "idle timeout"
	ClassMaxDuration    = "max duration reached"
	ClassInterrupted    = "interrupted"
	ClassTimeout        = "timed out"
	ClassMissingProgram = "program not found"
	ClassPodNotStarted  = "pod did not start"
	ClassForbidden      = "permission refused"
	ClassAdmission      = "refused by admission or validation"
	ClassNotFound       = "object not found"
	ClassConnection     = "connection lost"
	ClassAPI            = "API error"
	ClassOther          = "failed"
)

// kubeletReason is what a StartError's Reason must look like to be named:
// the kubelet's and scheduler's words (ErrImagePull, Unschedulable) are
// single CamelCase words; anything else is left out.
var kubeletReason = regexp.MustCompile(`^[A-Za-z]{1,48}$`)

// Class names what ended a session, for the End Event: one of the Class
// constants, with a kubelet reason for a pod that did not start. ctx is the
// session's: whether it was cancelled or ran out of time says more than the
// error that followed. nil is "".
func Class(ctx context.Context, err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, session.ErrIdle) {
		return ClassIdle
	}
	if ctx != nil {
		switch ctx.Err() {
		case context.DeadlineExceeded:
			return ClassMaxDuration
		case context.Canceled:
			return ClassInterrupted
		}
	}
	var se *podwatch.StartError
	switch {
	case errors.As(err, &se):
		if se.MissingProgram() {
			return ClassMissingProgram
		}
		if kubeletReason.MatchString(se.Reason) {
			return ClassPodNotStarted + " (" + se.Reason + ")"
		}
		return ClassPodNotStarted
	case shell.NoShell(err):
		return ClassMissingProgram
	case errors.Is(err, context.Canceled):
		return ClassInterrupted
	case errors.Is(err, context.DeadlineExceeded), apierrors.IsTimeout(err), apierrors.IsServerTimeout(err):
		return ClassTimeout
	case admissionRefusal(err):
		return ClassAdmission
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return ClassForbidden
	case apierrors.IsNotFound(err):
		return ClassNotFound
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return ClassAPI
	}
	var urlErr *url.Error
	var netErr net.Error
	if errors.As(err, &urlErr) || errors.As(err, &netErr) || strings.Contains(err.Error(), "connection") {
		return ClassConnection
	}
	return ClassOther
}

// admissionRefusal reports whether err is a refusal by an admission
// plugin, a webhook, a ValidatingAdmissionPolicy or validation rather than
// by RBAC, whose refusals read `User "..." cannot <verb> ...`. The text is
// only looked at, never recorded.
func admissionRefusal(err error) bool {
	if apierrors.IsInvalid(err) {
		return true
	}
	msg := err.Error()
	return apierrors.IsForbidden(err) && !(strings.Contains(msg, `User "`) && strings.Contains(msg, " cannot "))
}
