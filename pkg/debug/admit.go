package debug

// admit.go lets the API server decide --profile auto. Whatever the cluster
// enforces on ephemeral containers (Pod Security admission, a
// ValidatingAdmissionPolicy, Kyverno, Gatekeeper, a webhook) is consulted by
// a server-side dry run of the very patch that would add the container: the
// same permission the session needs anyway (patch pods/ephemeralcontainers),
// and no need to read the namespace, which a namespaced Role cannot grant.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AutoCandidates are the profiles --profile auto chooses among, most
// capable first. netadmin and sysadmin are left out: they grant more than
// a shell next to a service needs, so they are only ever asked for.
func AutoCandidates() []string {
	return []string{ProfileGeneral, ProfileBaseline, ProfileRestricted}
}

// Builder builds the debug container for a concrete profile.
type Builder func(profile string) (*corev1.EphemeralContainer, error)

// Trial is what the API server said to one candidate profile.
type Trial struct {
	Profile string
	// EC is the container built with Profile; nil when it could not be
	// built (Err says why).
	EC *corev1.EphemeralContainer
	// Err is nil when the dry run was admitted.
	Err error
}

// Refused reports whether the server (an admission rule) refused the
// container, as opposed to failing for another reason.
func (t Trial) Refused() bool {
	return t.Err != nil && isAdmissionRefusal(t.Err)
}

// Reason is the rule that refused the trial, as the server words it, or
// the error when the container could not be built or sent.
func (t Trial) Reason() string {
	if t.Err == nil {
		return ""
	}
	return refusalReason(t.Err)
}

// isAdmissionRefusal tells a rejection by admission (Pod Security, a
// policy, a webhook, validation) from a missing permission or a pod that
// is gone, for which no other profile would do better.
func isAdmissionRefusal(err error) bool {
	var notBuilt *buildError
	if errors.As(err, &notBuilt) {
		return true
	}
	if apierrors.IsInvalid(err) {
		return true
	}
	return apierrors.IsForbidden(err) && !strings.Contains(err.Error(), "cannot patch")
}

// buildError is a profile that cannot even be built for this pod (Linux
// settings on a Windows pod): it counts as refused, locally.
type buildError struct{ err error }

func (e *buildError) Error() string { return e.err.Error() }
func (e *buildError) Unwrap() error { return e.err }

// refusalReason cuts the API server's `pods "x" is forbidden: ` preamble,
// which says nothing the user does not know, and keeps the rule.
func refusalReason(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, " is forbidden: "); ok {
		return after
	}
	return msg
}

// DryRun sends the patch that would add ec to pod, with dryRun=All: every
// admission plugin and webhook judges it, nothing is stored. It returns
// the pod as it would be stored.
func (s *Session) DryRun(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) (*corev1.Pod, error) {
	body, err := PatchBody(ec)
	if err != nil {
		return nil, err
	}
	return s.Remote.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, body,
		metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}, "ephemeralcontainers")
}

// Try dry-runs the container of each candidate profile at once, so
// choosing costs one round trip rather than one per candidate, and returns
// the trials in the candidates' order.
func (s *Session) Try(ctx context.Context, pod *corev1.Pod, build Builder, candidates []string) []Trial {
	trials := make([]Trial, len(candidates))
	var wg sync.WaitGroup
	for i, name := range candidates {
		trials[i].Profile = name
		ec, err := build(name)
		if err != nil {
			trials[i].Err = &buildError{err}
			continue
		}
		trials[i].EC = ec
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, trials[i].Err = s.DryRun(ctx, pod, ec)
		}()
	}
	wg.Wait()
	return trials
}

// Choose returns the first trial the server admitted, the notes that say
// which profiles were refused by which rule, and an error when none was
// admitted.
func Choose(pod *corev1.Pod, trials []Trial) (Trial, []string, error) {
	var notes []string
	for _, t := range trials {
		if t.Err == nil {
			return t, notes, nil
		}
		if !t.Refused() {
			// Missing permission, pod gone, server down: no other
			// profile would fare better, so say what happened.
			return Trial{}, notes, t.Err
		}
		notes = append(notes, fmt.Sprintf("--profile %s was refused: %s", t.Profile, t.Reason()))
	}
	return Trial{}, notes, fmt.Errorf("the API server refused a debug container in pod %s with every profile --profile auto tries (%s): %s; nothing was added. "+
		"Ask your cluster admin which policy forbids it, or use --mode clone or --mode exec",
		pod.Name, strings.Join(AutoCandidates(), ", "), strings.Join(notes, "; "))
}

// suggest is the most capable candidate, other than rejected, that the
// server admits for pod; "" when none is. It is asked only once the
// user's own choice was refused, so a successful session pays nothing.
func (s *Session) suggest(ctx context.Context, pod *corev1.Pod, rejected string) string {
	if s.Build == nil {
		return ""
	}
	var others []string
	for _, c := range AutoCandidates() {
		if c != rejected {
			others = append(others, c)
		}
	}
	for _, t := range s.Try(ctx, pod, s.Build, others) {
		if t.Err == nil {
			return t.Profile
		}
	}
	return ""
}
