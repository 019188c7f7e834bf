package access

import (
	"errors"
	"fmt"
	"net"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/sberz/kubectl-eshell/pkg/podwatch"
)

// Advise turns API and transport errors into one line that says what
// happened and what to do next. Errors that already say so pass through.
func Advise(err error, server string) error {
	if err == nil {
		return nil
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var startErr *podwatch.StartError
	s := err.Error()
	switch {
	case errors.As(err, &startErr):
		// The kubelet's words: a registry it could not reach is not the
		// cluster this client cannot reach.
		return err
	case errors.As(err, &opErr), errors.As(err, &dnsErr), strings.Contains(s, "connection refused"), strings.Contains(s, "no such host"), strings.Contains(s, "i/o timeout"):
		return fmt.Errorf("cannot reach the cluster at %s (%v): check that its API server is up and reachable from here (network, VPN, proxy) and that the current context is the cluster you mean (`kubectl config current-context`)", server, rootCause(err))
	case !isAPIStatus(err):
		// Wrapped API errors already carry the caller's advice.
		return err
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the cluster at %s rejected your credentials: log in again or check the user of your kubeconfig context: %w", server, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w; ask your cluster admin for access (check with `kubectl auth can-i --list`); example Roles are in %s", err, rbacExamples)
	}
	return err
}

func isAPIStatus(err error) bool {
	_, ok := err.(apierrors.APIStatus)
	return ok
}

func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
