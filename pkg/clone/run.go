package clone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Session runs one clone: create the pod, wait (watching, not polling)
// until its container runs, attach, and delete the pod on every exit path.
type Session struct {
	Remote  session.Remote
	Streams session.Streams
	// Progress receives status lines; nil silences them.
	Progress io.Writer
	// Keep leaves the pod running at the end and says how to reach it.
	Keep bool
	// StartTimeout bounds the wait for the container to run.
	StartTimeout time.Duration
	// Spinner animates the wait on Progress; set it when Progress is a terminal.
	Spinner bool

	mu      sync.Mutex
	spinner string // the line the spinner currently shows, to clear it
}

func (s *Session) say(format string, args ...any) {
	if s.Progress == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spinner != "" {
		fmt.Fprint(s.Progress, "\r\033[K")
		s.spinner = ""
	}
	fmt.Fprintf(s.Progress, format+"\n", args...)
}

// spin shows a spinner with what the wait is on until stop is closed.
func (s *Session) spin(pod string, state func() string, stop <-chan struct{}) {
	frames := `|/-\`
	start := time.Now()
	t := time.NewTicker(120 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			s.mu.Lock()
			if s.spinner != "" {
				fmt.Fprint(s.Progress, "\r\033[K")
				s.spinner = ""
			}
			s.mu.Unlock()
			return
		case <-t.C:
		}
		s.mu.Lock()
		s.spinner = fmt.Sprintf("%c Starting %s: %s (%.0fs)", frames[i%len(frames)], pod, state(), time.Since(start).Seconds())
		fmt.Fprint(s.Progress, "\r\033[K"+s.spinner)
		s.mu.Unlock()
	}
}

// StartError is a clone that could not start; Reason is the kubelet's or
// scheduler's reason (ImagePullBackOff, Unschedulable, StartError, ...).
type StartError struct {
	Pod, Reason, Message string
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("the clone pod %s did not start: %s", e.Pod, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	switch e.Reason {
	case "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
		msg += "; check the image name and the pull secrets of the workload"
	case "Unschedulable":
		msg += "; no node can take it (resources, nodeSelector, taints): check with kubectl describe on the workload"
	case "CreateContainerConfigError":
		msg += "; a ConfigMap or Secret the workload needs is missing in this namespace"
	}
	return msg + " (the pod was removed)"
}

// Run creates pod and runs the session in container. The pod is deleted
// before Run returns unless Keep is set, whether the session ended
// normally, with an error, by a signal (ctx cancelled) or a lost connection.
func (s *Session) Run(ctx context.Context, pod *corev1.Pod, container string) (err error) {
	pods := s.Remote.Client.CoreV1().Pods(pod.Namespace)
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return createError(err)
	}
	name := created.Name
	s.say("Created clone pod %s", name)
	// The one cleanup path, registered the moment the pod exists.
	defer func() {
		if s.Keep {
			s.say("Keeping pod %s (--keep). Reconnect: kubectl attach -it %s -c %s -n %s; remove: kubectl delete pod %s -n %s",
				name, name, container, pod.Namespace, name, pod.Namespace)
			return
		}
		if cerr := s.cleanup(pod.Namespace, name); cerr != nil && err == nil {
			err = cerr
		}
	}()
	running, err := s.waitRunning(ctx, created, container)
	if err != nil {
		return err
	}
	streams := s.Streams
	streams.Preamble = shell.Gate(streams.TTY)
	aerr := s.Remote.Attach(ctx, streams, pod.Namespace, name, container)
	if errors.Is(aerr, session.ErrIdle) {
		return aerr // the deferred cleanup removes the idle clone
	}
	if ctx.Err() != nil {
		return fmt.Errorf("session interrupted: %w", context.Cause(ctx))
	}
	// Attach carries no exit code: the container's status does.
	code, done := s.exitCode(ctx, running, container)
	if !done {
		if aerr != nil {
			return fmt.Errorf("the connection to the clone was lost: %w", aerr)
		}
		return errors.New("the session ended but the clone's container is still running; it will be removed")
	}
	if code != 0 {
		return &session.ExitError{Code: code}
	}
	return nil
}

func createError(err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server refused the clone pod: %w; a ResourceQuota, Pod Security level or RBAC rule forbids it (nothing was created)", err)
	case apierrors.IsInvalid(err):
		return fmt.Errorf("the clone pod is invalid: %w (nothing was created)", err)
	}
	return fmt.Errorf("creating the clone pod: %w", err)
}

// waitRunning watches the pod until container runs, or fails with the
// real reason as soon as the kubelet or scheduler reports one.
func (s *Session) waitRunning(ctx context.Context, pod *corev1.Pod, container string) (*corev1.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, s.StartTimeout)
	defer cancel()
	w, err := s.Remote.Client.CoreV1().Pods(pod.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", pod.Name).String(),
		ResourceVersion: pod.ResourceVersion,
	})
	if err != nil {
		return nil, fmt.Errorf("watching the clone pod: %w", err)
	}
	defer w.Stop()
	last := ""
	var state atomic.Value
	state.Store("waiting to be scheduled")
	if s.Spinner && s.Progress != nil {
		stop := make(chan struct{})
		defer close(stop)
		go s.spin(pod.Name, func() string { return state.Load().(string) }, stop)
	}
	scheduled := false
	p := pod
	for {
		if !scheduled && p.Spec.NodeName != "" {
			scheduled = true
			state.Store("scheduled")
			s.say("Scheduled %s on node %s", p.Name, p.Spec.NodeName)
		}
		if st := containerStatus(p, container); st != nil {
			switch {
			case st.State.Running != nil:
				return p, nil
			case st.State.Terminated != nil:
				t := st.State.Terminated
				return nil, &StartError{Pod: p.Name, Reason: t.Reason, Message: t.Message}
			case st.State.Waiting != nil:
				wt := st.State.Waiting
				switch wt.Reason {
				case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
					return nil, &StartError{Pod: p.Name, Reason: wt.Reason, Message: wt.Message}
				}
				if wt.Reason != last {
					last = wt.Reason
					state.Store(wt.Reason)
					s.say("Waiting for %s: %s", p.Name, wt.Reason)
				}
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				return nil, &StartError{Pod: p.Name, Reason: c.Reason, Message: c.Message}
			}
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return nil, &StartError{Pod: p.Name, Reason: string(p.Status.Phase), Message: p.Status.Message}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &StartError{Pod: p.Name, Reason: "Timeout", Message: fmt.Sprintf("container %q was not running after %s (last state: %s); raise --pod-running-timeout", container, s.StartTimeout, orNone(last))}
			}
			return nil, fmt.Errorf("interrupted while waiting for the clone to start: %w", ctx.Err())
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, errors.New("the watch on the clone pod ended unexpectedly; try again")
			}
			switch ev.Type {
			case watch.Deleted:
				return nil, &StartError{Pod: p.Name, Reason: "Deleted", Message: "the pod was deleted while starting"}
			case watch.Error:
				return nil, fmt.Errorf("watching the clone pod: %v", apierrors.FromObject(ev.Object))
			}
			if np, ok := ev.Object.(*corev1.Pod); ok {
				p = np
			}
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "not scheduled yet"
	}
	return s
}

func containerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// exitCode watches until the container has terminated (bounded: the
// attach only ends when the process does) and returns its exit code.
func (s *Session) exitCode(ctx context.Context, pod *corev1.Pod, container string) (int, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	w, err := s.Remote.Client.CoreV1().Pods(pod.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", pod.Name).String(),
	})
	if err != nil {
		return 0, false
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		if st := containerStatus(p, container); st != nil && st.State.Terminated != nil {
			return int(st.State.Terminated.ExitCode), true
		}
	}
	return 0, false
}

// cleanup deletes the pod and waits (bounded) until it is gone. It runs on
// a fresh context because the session's may be cancelled by a signal; a
// second Ctrl+C says what is still being removed rather than abandoning it.
func (s *Session) cleanup(ns, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-sigs:
				s.say("Still removing clone pod %s (waiting up to 30s for it to be gone)...", name)
			}
		}
	}()
	pods := s.Remote.Client.CoreV1().Pods(ns)
	w, werr := pods.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err := pods.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		if werr == nil {
			w.Stop()
		}
		return fmt.Errorf("removing clone pod %s failed: %w; remove it with: kubectl delete pod %s -n %s (kubectl eshell gc also finds it)", name, err, name, ns)
	}
	if werr != nil {
		return nil
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("clone pod %s is still terminating after 30s; kubectl eshell gc removes it later", name)
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil
			}
			if ev.Type == watch.Deleted {
				s.say("Removed clone pod %s", name)
				return nil
			}
		}
	}
}
