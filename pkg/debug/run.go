package debug

// run.go is the part of debug mode that talks to the cluster: the Pod
// Security pre-check, the wait until the container runs, the exec beside
// the lifeline's attach, and the words of a refusal (admit.go sends the
// container).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
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
		if !strings.HasPrefix(ec.Name, keys.DebugContainerPrefix) || ec.Image != image ||
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
		if e.Name == keys.DebugUserEnv && e.ValueFrom == nil {
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
}

func (s *Session) say(format string, args ...any) {
	session.Note(s.Progress, format, args...)
}

// Open runs the session in ec, a container whose command is a
// shell.LifelineScript that the API server just added to pod (as Add returned
// it): it waits until ec runs, then execs Command in it while it attaches
// to the lifeline (see beside). It returns the remote exit code as a
// *session.ExitError (nil for 0). When this client ends or dies, the
// lifeline ends and the container with every process in it.
func (s *Session) Open(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) error {
	defer s.stays(ec.Name)
	s.say("Added debug container %s (image %s) to pod %s, sharing the processes of container %q",
		ec.Name, ec.Image, pod.Name, ec.TargetContainerName)
	running, err := s.WaitRunning(ctx, pod, ec.Name)
	if err != nil {
		return err
	}
	return s.beside(ctx, running, ec.Name)
}

// Reattach opens another shell in ec, a running container an earlier,
// still-connected session added (see FindReusable): its lifeline is that
// session's, so this one ends with it.
func (s *Session) Reattach(ctx context.Context, pod *corev1.Pod, ec *corev1.EphemeralContainer) error {
	defer s.stays(ec.Name)
	s.say("Opening a shell in debug container %s in pod %s", ec.Name, pod.Name)
	err := s.Remote.Exec(ctx, s.Streams, pod.Namespace, pod.Name, ec.Name, s.Command)
	return s.ended(ctx, err, pod.Name, ec.Name)
}

func (s *Session) stays(name string) {
	s.say("Note: the ephemeral container %s stays in the pod spec until the pod is replaced (ephemeral containers cannot be removed)", name)
}

// held is how the attach to a lifeline ended up.
type held struct {
	life *session.Lifeline
	err  error
}

// beside execs Command in container name of pod, which runs, at once: the
// command does not need the lifeline, only the session's end does. The
// attach to the lifeline runs alongside; a container whose lifeline cannot
// be held ends the exec with the attach's error (the lifeline would end
// the container on its own within the heartbeat bound). A clean end (exit
// 0) counts only once the held lifeline answers a ping (see
// session.Lifeline.Confirm); an interrupt releases the lifeline, which
// ends the container.
func (s *Session) beside(ctx context.Context, pod *corev1.Pod, name string) error {
	execCtx, stopExec := context.WithCancelCause(ctx)
	defer stopExec(nil)
	lifeline := make(chan held, 1)
	go func() {
		life, err := s.Remote.HoldLifeline(ctx, pod.Namespace, pod.Name, name, s.StartTimeout, s.Heartbeat)
		if err != nil {
			stopExec(err)
		}
		lifeline <- held{life, err}
	}()
	err := s.Remote.Exec(execCtx, s.Streams, pod.Namespace, pod.Name, name, s.Command)
	// Waited for even after a non-zero exit: released, the lifeline ends
	// the container now, where one never attached ends it only after the
	// heartbeat bound.
	h := <-lifeline
	if h.life != nil {
		defer h.life.Release()
	}
	var exit *session.ExitError
	switch {
	case ctx.Err() != nil:
	case h.err == nil:
		err = h.life.Confirm(err, s.Heartbeat)
	case errors.As(err, &exit):
		// The command's own exit code, whatever became of the lifeline.
	case err == nil:
		// Without its lifeline, a clean end cannot be told from a cut
		// stream.
		return fmt.Errorf("%w: %w", session.ErrUnconfirmedEnd, h.err)
	default:
		return h.err // what cut the exec, or what failed with it
	}
	return s.ended(ctx, err, pod.Name, name)
}

// ended is how the exec in container name of pod ended: interrupted, a
// stream lost, or the command's exit code.
func (s *Session) ended(ctx context.Context, err error, pod, name string) error {
	return session.Ended(ctx, err, "the shell in debug container "+name+" of pod "+pod,
		fmt.Sprintf("the debug container ends on the server within %s, when its lifeline hears from this client no more", s.Heartbeat))
}

// addError explains why the API server refused the ephemeral container
// built with profile: build makes it with another, so the advice can name
// a profile a dry run showed the server admits (nil build: no such
// advice).
func (s *Session) addError(ctx context.Context, pod *corev1.Pod, profile string, build Builder, err error) error {
	msg := err.Error()
	advice := func() string {
		if build != nil {
			if p := s.suggest(ctx, pod, profile, build); p != "" {
				return fmt.Sprintf("--profile %s is admitted here (checked by a server-side dry run): use it", p)
			}
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
		return fmt.Errorf("the namespace's Pod Security admission rejected the debug container with --profile %s: %w; nothing was added; %s", profile, err, advice())
	case apierrors.IsForbidden(err) && strings.Contains(msg, "cannot patch"):
		return fmt.Errorf("you may not add debug containers here: patch pods/ephemeralcontainers in namespace %q is forbidden (%v); "+
			"ask your cluster admin for it (example Roles are in deploy/rbac/ in the kubectl-eshell repository), or use --mode clone", pod.Namespace, err)
	case apierrors.IsForbidden(err), apierrors.IsInvalid(err):
		// A ValidatingAdmissionPolicy denies as Invalid by default.
		return fmt.Errorf("the API server refused the debug container with --profile %s: %w; nothing was added; %s", profile, err, advice())
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
