package debug

// run.go is the part of debug mode that talks to the cluster: the Pod
// Security pre-check, the update of the pod's ephemeral containers, the wait
// until the container runs, and the attach.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// PodSecurityError is an ephemeral container that the namespace's enforced
// Pod Security level would reject. It is reported before the update is sent:
// a pod that holds one non-compliant ephemeral container has every later
// ephemeral container update rejected, so sending it would break debugging
// that pod for everyone until it is replaced.
type PodSecurityError struct {
	Pod, Namespace string
	Profile        string   // the profile the container was built with
	Level          string   // the enforced level, as enforced (unknown values count as restricted)
	Rules          []string // the violated rules, as Pod Security Admission names them
	Suggested      string   // the profile --profile auto picks for the namespace
}

func (e *PodSecurityError) Error() string {
	msg := fmt.Sprintf("the debug container with --profile %s breaks Pod Security %q, which namespace %q enforces (%s); "+
		"nothing was added to pod %s, since a pod holding one non-compliant ephemeral container rejects every later one",
		e.Profile, e.Level, e.Namespace, strings.Join(e.Rules, ", "), e.Pod)
	if e.Suggested != "" && e.Suggested != e.Profile {
		msg += fmt.Sprintf(": use --profile %s (what --profile auto picks here)", e.Suggested)
	}
	return msg
}

// CheckPodSecurity returns a *PodSecurityError when ec, built with profile,
// breaks the Pod Security level that a namespace with nsLabels enforces as a
// container of pod, and nil otherwise.
func CheckPodSecurity(pod *corev1.Pod, ec *corev1.EphemeralContainer, profile string, nsLabels map[string]string) error {
	level, _, _ := enforcedLevel(nsLabels)
	v := podSecurityViolations(pod, ec, level)
	if len(v) == 0 {
		return nil
	}
	return &PodSecurityError{Pod: pod.Name, Namespace: pod.Namespace, Profile: profile, Level: level, Rules: v,
		Suggested: profileForLevel(level)}
}

// FindReusable returns the newest ephemeral container of pod that eshell
// added for user with image, targeting target, that takes stdin and is still
// running; nil if there is none. Attaching to it instead of adding another
// keeps the pod spec from growing with every session (ephemeral containers
// cannot be removed).
func FindReusable(pod *corev1.Pod, user, image, target string) *corev1.EphemeralContainer {
	for i := len(pod.Spec.EphemeralContainers) - 1; i >= 0; i-- {
		ec := &pod.Spec.EphemeralContainers[i]
		if !strings.HasPrefix(ec.Name, meta.DebugContainerPrefix) || ec.Image != image ||
			ec.TargetContainerName != target || !ec.Stdin || debugUser(ec) != user {
			continue
		}
		if st := Status(pod, ec.Name); st != nil && st.State.Running != nil {
			return ec
		}
	}
	return nil
}

func debugUser(ec *corev1.EphemeralContainer) string {
	for _, e := range ec.Env {
		if e.Name == meta.DebugUserEnv && e.ValueFrom == nil {
			return e.Value
		}
	}
	return ""
}

// Status returns the status of pod's ephemeral container name, or nil.
func Status(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range pod.Status.EphemeralContainerStatuses {
		if pod.Status.EphemeralContainerStatuses[i].Name == name {
			return &pod.Status.EphemeralContainerStatuses[i]
		}
	}
	return nil
}

// Session runs one debug session in a running pod.
type Session struct {
	Remote session.Remote
	// Streams is the local end; its Preamble is set by Run and Reattach.
	Streams session.Streams
	// Progress receives status lines; nil silences them.
	Progress io.Writer
	// StartTimeout bounds the wait for the container to run.
	StartTimeout time.Duration
	// Suggested is the profile to suggest when the API server rejects the
	// container (what --profile auto picks for the namespace).
	Suggested string
	// ExitTimeout bounds the wait for the exit code after the attach ended
	// (default 15s).
	ExitTimeout time.Duration
}

func (s *Session) say(format string, args ...any) {
	if s.Progress != nil {
		fmt.Fprintf(s.Progress, format+"\n", args...)
	}
}

// Run adds ec to pod, waits until it runs, attaches to it and returns the
// remote exit code as a *session.ExitError (nil for 0). ec's command must wait
// for shell.Gate, as shell.Gated does.
func (s *Session) Run(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) error {
	patched, err := s.Add(ctx, pod, ec)
	if err != nil {
		return err
	}
	defer s.stays(ec.Name)
	s.say("Added debug container %s (image %s) to pod %s, sharing the processes of container %q",
		ec.Name, ec.Image, pod.Name, ec.TargetContainerName)
	running, err := s.WaitRunning(ctx, patched, ec.Name)
	if err != nil {
		return err
	}
	return s.attach(ctx, running, ec.Name, ec.TTY, shell.Gate(s.Streams.TTY && ec.TTY))
}

// Reattach attaches to ec, a running container an earlier session added
// (see FindReusable). Whether that session's client ever got to release its
// start gate is unknown, so it sends a newline: it releases the gate, and a
// shell already past it just shows a fresh prompt.
func (s *Session) Reattach(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) error {
	defer s.stays(ec.Name)
	s.say("Attaching to debug container %s in pod %s", ec.Name, pod.Name)
	return s.attach(ctx, pod, ec.Name, ec.TTY, "\n")
}

func (s *Session) stays(name string) {
	s.say("Note: the ephemeral container %s stays in the pod spec until the pod is replaced (ephemeral containers cannot be removed)", name)
}

// Add appends ec to the pod's ephemeral containers and returns the pod as
// the API server stored it. It sends a strategic merge patch of the
// ephemeralcontainers subresource: ephemeral containers merge by name, so
// the ones other debuggers add at the same time are kept, where an update
// of the whole list could drop them.
func (s *Session) Add(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) (*corev1.Pod, error) {
	body, err := PatchBody(ec)
	if err != nil {
		return nil, err
	}
	p, err := s.Remote.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, body,
		metav1.PatchOptions{}, "ephemeralcontainers")
	if err != nil {
		return nil, s.addError(ctx, pod, err)
	}
	return p, nil
}

// PatchBody is the strategic merge patch that appends ec.
func PatchBody(ec *corev1.EphemeralContainer) ([]byte, error) {
	return json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []*corev1.EphemeralContainer{ec}}})
}

// addError explains why the API server refused the ephemeral container.
func (s *Session) addError(ctx context.Context, pod *corev1.Pod, err error) error {
	msg := err.Error()
	suggest := s.Suggested
	if suggest == "" {
		suggest = ProfileRestricted
	}
	switch {
	case apierrors.IsNotFound(err), apierrors.IsMethodNotSupported(err):
		if _, gerr := s.Remote.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); apierrors.IsNotFound(gerr) {
			return fmt.Errorf("pod %s is gone (replaced or deleted since it was chosen); run eshell again to pick a running pod", pod.Name)
		}
		version := ""
		if v, verr := s.Remote.Client.Discovery().ServerVersion(); verr == nil {
			version = ", and this server is " + v.GitVersion
		}
		return fmt.Errorf("this cluster does not support ephemeral containers: the pods/ephemeralcontainers subresource is missing (%v); "+
			"they need Kubernetes 1.25 or later%s. Use --mode clone or --mode exec instead", err, version)
	case apierrors.IsForbidden(err) && strings.Contains(msg, "violates PodSecurity"):
		return fmt.Errorf("the namespace's Pod Security admission rejected the debug container: %w; nothing was added: try --profile %s", err, suggest)
	case apierrors.IsForbidden(err) && strings.Contains(msg, "cannot patch"):
		return fmt.Errorf("you may not add debug containers here: patch pods/ephemeralcontainers in namespace %q is forbidden (%v); "+
			"ask your cluster admin for it (example Roles are in deploy/rbac/), or use --mode clone", pod.Namespace, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server refused the debug container: %w; nothing was added (if a policy forbids its security settings, try --profile %s)", err, suggest)
	case apierrors.IsInvalid(err):
		return fmt.Errorf("the API server rejected the debug container as invalid: %w; nothing was added (if a policy forbids its security settings, try --profile %s)", err, suggest)
	}
	return fmt.Errorf("adding the debug container to pod %s: %w", pod.Name, err)
}

// StartError is a debug container that did not start; Reason is the
// kubelet's (ErrImagePull, CreateContainerConfigError, StartError, ...).
type StartError struct {
	Pod, Container, Reason, Message string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("debug container %s in pod %s did not start: %s", e.Container, e.Pod, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	switch {
	case e.Reason == "ErrImagePull" || e.Reason == "ImagePullBackOff" || e.Reason == "InvalidImageName":
		msg += "; check --image (the node must be able to pull it)"
	case e.Reason == "CreateContainerConfigError":
		msg += "; a ConfigMap or Secret the target's env or mounts refer to is missing: try --copy-env=false or --copy-mounts=false"
	case shell.NoShell(errors.New(e.Message)):
		msg += "; the debug image needs a shell (sh): pick another with --image, e.g. busybox:1.37"
	}
	return msg
}

// waitingFailures are waiting reasons that will not resolve by themselves.
var waitingFailures = []string{
	"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
	"CreateContainerConfigError", "CreateContainerError", "RunContainerError",
}

// WaitRunning watches pod (from the resourceVersion it carries) until its
// ephemeral container name runs, failing as soon as the kubelet reports a
// reason it will not start, or after StartTimeout.
func (s *Session) WaitRunning(ctx context.Context, pod *corev1.Pod, name string) (*corev1.Pod, error) {
	s.say("Waiting for debug container %s to start...", name)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.StartTimeout)
	defer cancel()
	last := ""
	p, err := s.watch(ctx, pod, func(p *corev1.Pod) (bool, error) {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			return false, fmt.Errorf("pod %s is %s, so debug container %s cannot run; run eshell again to pick a running pod",
				p.Name, phase(p), name)
		}
		st := Status(p, name)
		switch {
		case st == nil:
		case st.State.Running != nil:
			return true, nil
		case st.State.Terminated != nil:
			t := st.State.Terminated
			return false, &StartError{Pod: p.Name, Container: name, Reason: orDefault(t.Reason, fmt.Sprintf("exited with code %d", t.ExitCode)), Message: t.Message}
		case st.State.Waiting != nil:
			w := st.State.Waiting
			if slices.Contains(waitingFailures, w.Reason) {
				return false, &StartError{Pod: p.Name, Container: name, Reason: w.Reason, Message: w.Message}
			}
			if w.Reason != last && w.Reason != "" {
				last = w.Reason
				s.say("Waiting for debug container %s: %s", name, w.Reason)
			}
		}
		return false, nil
	})
	switch {
	case err == nil:
		return p, nil
	case parent.Err() != nil:
		return nil, fmt.Errorf("interrupted while waiting for debug container %s to start: %w", name, context.Cause(parent))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("debug container %s in pod %s was not running after %s (last state: %s); raise --pod-running-timeout",
			name, pod.Name, s.StartTimeout, orDefault(last, "no status yet"))
	}
	return nil, err
}

func phase(p *corev1.Pod) string {
	if p.DeletionTimestamp != nil {
		return "terminating"
	}
	return strings.ToLower(string(p.Status.Phase))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// watch calls done with pod and then with every change of it until done
// returns true or an error. It re-establishes the watch when the server ends
// it, from the last version seen.
func (s *Session) watch(ctx context.Context, pod *corev1.Pod, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	pods := s.Remote.Client.CoreV1().Pods(pod.Namespace)
	p := pod
	if ok, err := done(p); ok || err != nil {
		return p, err
	}
	for {
		w, err := pods.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", pod.Name).String(),
			ResourceVersion: p.ResourceVersion,
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("watching pod %s: %w", pod.Name, err)
		}
		p, err = s.drain(ctx, w, p, done)
		w.Stop()
		if p != nil || err != nil {
			return p, err
		}
		// The server closed the watch: fetch the pod again, so a version
		// too old to resume from cannot stall the loop, and continue.
		if p, err = pods.Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("pod %s was deleted", pod.Name)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		if ok, err := done(p); ok || err != nil {
			return p, err
		}
	}
}

// drain reads one watch until done is satisfied or fails (a pod or error is
// returned), or the watch ends (nil, nil).
func (s *Session) drain(ctx context.Context, w watch.Interface, p *corev1.Pod, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, nil
			}
			switch ev.Type {
			case watch.Deleted:
				return nil, fmt.Errorf("pod %s was deleted", p.Name)
			case watch.Error:
				if apierrors.IsResourceExpired(apierrors.FromObject(ev.Object)) || apierrors.IsGone(apierrors.FromObject(ev.Object)) {
					return nil, nil
				}
				return nil, fmt.Errorf("watching pod %s: %w", p.Name, apierrors.FromObject(ev.Object))
			}
			np, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				continue
			}
			if ok, err := done(np); ok || err != nil {
				return np, err
			}
		}
	}
}

// attach connects to the container, sending preamble first, and returns its
// exit code from the pod status (attach itself carries none).
func (s *Session) attach(ctx context.Context, pod *corev1.Pod, name string, tty bool, preamble string) error {
	streams := s.Streams
	streams.TTY = streams.TTY && tty
	streams.Preamble = preamble
	aerr := s.Remote.Attach(ctx, streams, pod.Namespace, pod.Name, name)
	if ctx.Err() != nil {
		return fmt.Errorf("session interrupted: %w", context.Cause(ctx))
	}
	var ee *session.ExitError
	if errors.As(aerr, &ee) || errors.Is(aerr, session.ErrIdle) {
		return aerr
	}
	t := s.terminated(ctx, pod, name)
	switch {
	case t == nil && aerr != nil:
		return fmt.Errorf("the connection to debug container %s was lost: %w; it is still running: reconnect with --reuse, or kubectl attach -it %s -c %s -n %s",
			name, aerr, pod.Name, name, pod.Namespace)
	case t == nil:
		return fmt.Errorf("the session ended but debug container %s is still running; reconnect with --reuse, or kubectl attach -it %s -c %s -n %s",
			name, pod.Name, name, pod.Namespace)
	case aerr != nil:
		// The container was over before the attach was made, or ended
		// while the connection failed: its status tells how.
		s.say("Debug container %s ended: exit code %d (%s)", name, t.ExitCode, orDefault(t.Reason, "no reason given"))
		if t.ExitCode == 0 {
			return fmt.Errorf("attaching to debug container %s, which has ended: %w", name, aerr)
		}
	}
	if t.ExitCode != 0 {
		return &session.ExitError{Code: int(t.ExitCode)}
	}
	return nil
}

// terminated waits (bounded) until the container has terminated, and
// returns that state; nil if it is still running after the bound. It runs
// past the session's cancellation, so a Ctrl+C'd session still reports.
func (s *Session) terminated(ctx context.Context, pod *corev1.Pod, name string) *corev1.ContainerStateTerminated {
	d := s.ExitTimeout
	if d <= 0 {
		d = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	var t *corev1.ContainerStateTerminated
	fresh, err := s.Remote.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	_, _ = s.watch(ctx, fresh, func(p *corev1.Pod) (bool, error) {
		if st := Status(p, name); st != nil && st.State.Terminated != nil {
			t = st.State.Terminated
			return true, nil
		}
		return false, nil
	})
	return t
}
