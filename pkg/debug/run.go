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
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

// PodSecurityError is an ephemeral container that the namespace's enforced
// Pod Security level, as its labels show it, would reject. Only
// --dry-run=client reports it, as a warning: it cannot ask the API server,
// and the labels are a hint (exemptions and cluster defaults do not show).
type PodSecurityError struct {
	Pod, Namespace string
	Profile        string   // the profile the container was built with
	Level          string   // the enforced level, as enforced (unknown values count as restricted)
	Rules          []string // the violated rules, as Pod Security Admission names them
	Suggested      string   // the profile --profile auto picks for the namespace
}

func (e *PodSecurityError) Error() string {
	msg := fmt.Sprintf("the debug container with --profile %s breaks Pod Security %q, which namespace %q enforces (%s); "+
		"the API server would refuse it for pod %s",
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
		if st := podwatch.Status(pod, ec.Name); st != nil && st.State.Running != nil {
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

// Session runs one debug session in a running pod.
type Session struct {
	Remote session.Remote
	// Streams is the local end of the exec'd Command.
	Streams session.Streams
	// Command is what runs in the debug container, through exec.
	Command []string
	// Progress receives status lines; nil silences them.
	Progress io.Writer
	// StartTimeout bounds the wait for the container to run.
	StartTimeout time.Duration
	// Heartbeat is the lifeline's silence bound (--heartbeat-timeout).
	Heartbeat time.Duration
	// Profile is the profile the container was built with, and Build
	// builds it with another: when the API server refuses the container,
	// the advice names a profile a dry run showed it admits, never the
	// one just refused. A nil Build gives no such advice.
	Profile string
	Build   Builder
}

func (s *Session) say(format string, args ...any) {
	if s.Progress != nil {
		fmt.Fprintf(s.Progress, format+"\n", args...)
	}
}

// Run adds ec, whose command is a shell.Lifeline, to pod, waits until it
// runs, holds its lifeline and execs Command in it; it returns the remote
// exit code as a *session.ExitError (nil for 0). When this client ends or
// dies, the lifeline ends and the container with every process in it.
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
	life, err := s.Remote.HoldLifeline(ctx, pod.Namespace, running.Name, ec.Name, s.StartTimeout, s.Heartbeat)
	if err != nil {
		return err
	}
	defer life.Release()
	return s.exec(ctx, running, ec.Name, life)
}

// Reattach opens another shell in ec, a running container an earlier,
// still-connected session added (see FindReusable): its lifeline is that
// session's, so this one ends with it.
func (s *Session) Reattach(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) error {
	defer s.stays(ec.Name)
	s.say("Opening a shell in debug container %s in pod %s", ec.Name, pod.Name)
	return s.exec(ctx, pod, ec.Name, nil)
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
	advice := func() string {
		if p := s.suggest(ctx, pod, s.Profile); p != "" {
			return fmt.Sprintf("--profile %s is admitted here (checked by a server-side dry run): use it", p)
		}
		return "no profile eshell offers is admitted here: ask your cluster admin which policy forbids it, or use --mode clone or --mode exec"
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
		return fmt.Errorf("the namespace's Pod Security admission rejected the debug container with --profile %s: %w; nothing was added; %s", s.Profile, err, advice())
	case apierrors.IsForbidden(err) && strings.Contains(msg, "cannot patch"):
		return fmt.Errorf("you may not add debug containers here: patch pods/ephemeralcontainers in namespace %q is forbidden (%v); "+
			"ask your cluster admin for it (example Roles are in deploy/rbac/ in the kubectl-eshell repository), or use --mode clone", pod.Namespace, err)
	case apierrors.IsForbidden(err), apierrors.IsInvalid(err):
		// A ValidatingAdmissionPolicy denies as Invalid by default.
		return fmt.Errorf("the API server refused the debug container with --profile %s: %w; nothing was added; %s", s.Profile, err, advice())
	}
	return fmt.Errorf("adding the debug container to pod %s: %w", pod.Name, err)
}

// WaitRunning waits until the ephemeral container name of pod runs (see
// podwatch.Wait.ForContainer), telling Progress of each waiting state.
func (s *Session) WaitRunning(ctx context.Context, pod *corev1.Pod, name string) (*corev1.Pod, error) {
	s.say("Waiting for debug container %s to start...", name)
	return podwatch.Wait{
		Client: s.Remote.Client, Mode: mode.Debug, Timeout: s.StartTimeout,
		OnWaiting: func(reason string) { s.say("Waiting for debug container %s: %s", name, reason) },
	}.ForContainer(ctx, pod, name)
}

// exec runs Command in the container; exec returns the exit code itself.
// A clean end is confirmed with life, the lifeline this client holds (nil:
// none).
func (s *Session) exec(ctx context.Context, pod *corev1.Pod, name string, life *session.Lifeline) error {
	err := s.Remote.Exec(ctx, s.Streams, pod.Namespace, pod.Name, name, s.Command)
	if life != nil && ctx.Err() == nil {
		err = life.Confirm(err, s.Heartbeat)
	}
	if ctx.Err() != nil && !errors.Is(err, session.ErrIdle) {
		return fmt.Errorf("session interrupted: %w", context.Cause(ctx))
	}
	return session.Lost(err, "the shell in debug container "+name+" of pod "+pod.Name,
		fmt.Sprintf("the debug container ends on the server within %s, when its lifeline hears from this client no more", s.Heartbeat))
}
