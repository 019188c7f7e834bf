package debug

// admit.go lets the API server decide --profile auto. Whatever the cluster
// enforces on ephemeral containers (Pod Security admission, a
// ValidatingAdmissionPolicy, Kyverno, Gatekeeper, a webhook) judges the very
// patch that adds the container, most capable profile first: a refused
// patch adds nothing, so the first one admitted is the session's, and a
// namespace that enforces nothing costs no request beyond the patch itself.
// It needs the permission the session needs anyway (patch
// pods/ephemeralcontainers), and no read of the namespace, which a
// namespaced Role cannot grant.

import (
	"context"
	"encoding/json"
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

// Builder builds the debug container for a concrete profile. The
// warnings say what of the target could not be carried over, which can
// depend on the profile (mounts only a privileged container may have).
type Builder func(profile string) (ec *corev1.EphemeralContainer, warnings []string, err error)

// Sender sends the patch that adds ec to pod (or dry-runs it) and returns
// the pod as the API server stored it (or would).
type Sender func(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) (*corev1.Pod, error)

// Trial is what the API server said to one candidate profile.
type Trial struct {
	Profile string
	// EC is the container built with Profile; nil when it could not be
	// built (Err says why).
	EC *corev1.EphemeralContainer
	// Warnings are the builder's for Profile.
	Warnings []string
	// Pod is the pod as the API server stored it with EC (or, for a dry
	// run, would); nil unless admitted.
	Pod *corev1.Pod
	// Err is nil when the patch was admitted.
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

// patch sends the strategic merge patch that appends ec to the pod's
// ephemeral containers: they merge by name, so the ones other debuggers
// add at the same time are kept, where an update of the whole list could
// drop them. dryRun asks every admission plugin and webhook to judge it
// and stores nothing.
func (s *Session) patch(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer, dryRun bool) (*corev1.Pod, error) {
	body, err := PatchBody(ec)
	if err != nil {
		return nil, err
	}
	opts := metav1.PatchOptions{}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return s.Remote.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, body, opts, "ephemeralcontainers")
}

func (s *Session) send(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) (*corev1.Pod, error) {
	return s.patch(ctx, pod, ec, false)
}

func (s *Session) dryRun(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) (*corev1.Pod, error) {
	return s.patch(ctx, pod, ec, true)
}

// PatchBody is the strategic merge patch that appends ec.
func PatchBody(ec *corev1.EphemeralContainer) ([]byte, error) {
	return json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []*corev1.EphemeralContainer{ec}}})
}

// Add adds the container build makes with profile to pod; for
// ProfileAuto, with the first of AutoCandidates the API server admits.
// The notes say which profiles were refused by which rule, for the user.
// A refusal says what to do next (see addError).
func (s *Session) Add(ctx context.Context, pod *corev1.Pod, profile string, build Builder) (Trial, []string, error) {
	return s.admit(ctx, pod, profile, build, s.send)
}

// DryRun is Add with dryRun=All: nothing is stored, and the trial's Pod is
// the pod as the API server would store it (--dry-run=server).
func (s *Session) DryRun(ctx context.Context, pod *corev1.Pod, profile string, build Builder) (Trial, []string, error) {
	return s.admit(ctx, pod, profile, build, s.dryRun)
}

func (s *Session) admit(ctx context.Context, pod *corev1.Pod, profile string, build Builder, send Sender) (Trial, []string, error) {
	candidates := []string{profile}
	if IsAuto(profile) {
		candidates = AutoCandidates()
	}
	chosen, notes, err := First(ctx, pod, build, candidates, send)
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		// The API server's answer, in words of what to do next; a
		// container that could not be built, or that every candidate
		// was refused, already says so.
		return chosen, notes, s.addError(ctx, pod, chosen.Profile, build, err)
	}
	return chosen, notes, err
}

// First sends the container of each candidate profile in turn, most
// capable first, until the API server admits one, and returns that trial
// and the notes that say which profiles were refused by which rule. A
// failure other than a refusal (a missing permission, a pod that is gone,
// a server down) ends the search: no other profile would fare better.
// On an error the trial names the profile the error is about.
func First(ctx context.Context, pod *corev1.Pod, build Builder, candidates []string, send Sender) (Trial, []string, error) {
	var notes []string
	var last Trial
	for _, profile := range candidates {
		last = Trial{Profile: profile}
		ec, warnings, err := build(profile)
		if err != nil {
			if len(candidates) == 1 {
				return last, notes, err
			}
			last.Err = &buildError{err}
		} else {
			last.EC, last.Warnings = ec, warnings
			last.Pod, last.Err = send(ctx, pod, ec)
		}
		if last.Err == nil {
			return last, notes, nil
		}
		if !last.Refused() || len(candidates) == 1 {
			return last, notes, last.Err
		}
		notes = append(notes, fmt.Sprintf("--profile %s was refused: %s", profile, last.Reason()))
	}
	return last, notes, fmt.Errorf("the API server refused a debug container in pod %s with every profile --profile auto tries (%s): %s; nothing was added. "+
		"Ask your cluster admin which policy forbids it, or use --mode clone or --mode exec",
		pod.Name, strings.Join(candidates, ", "), strings.Join(notes, "; "))
}

// tryAll dry-runs the container of each candidate profile at once, so the
// advice after a refusal costs one round trip rather than one per
// candidate, and returns the trials in the candidates' order.
func tryAll(ctx context.Context, pod *corev1.Pod, build Builder, candidates []string, dryRun Sender) []Trial {
	trials := make([]Trial, len(candidates))
	var wg sync.WaitGroup
	for i, name := range candidates {
		trials[i].Profile = name
		ec, _, err := build(name)
		if err != nil {
			trials[i].Err = &buildError{err}
			continue
		}
		trials[i].EC = ec
		wg.Go(func() { trials[i].Pod, trials[i].Err = dryRun(ctx, pod, ec) })
	}
	wg.Wait()
	return trials
}

// suggest is the most capable candidate, other than rejected, that the
// server admits for pod; "" when none is. It is asked only once the
// user's own choice was refused, so a successful session pays nothing.
func (s *Session) suggest(ctx context.Context, pod *corev1.Pod, rejected string, build Builder) string {
	var others []string
	for _, c := range AutoCandidates() {
		if c != rejected {
			others = append(others, c)
		}
	}
	for _, t := range tryAll(ctx, pod, build, others, s.dryRun) {
		if t.Err == nil {
			return t.Profile
		}
	}
	return ""
}
