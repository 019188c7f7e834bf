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

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
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
	t := podwatch.Terminated(ctx, s.Remote.Client, running, container, podwatch.DefaultExitTimeout)
	if t == nil {
		if aerr != nil {
			return fmt.Errorf("the connection to the clone was lost: %w", aerr)
		}
		return errors.New("the session ended but the clone's container is still running; it will be removed")
	}
	if t.ExitCode != 0 {
		return &session.ExitError{Code: int(t.ExitCode)}
	}
	return nil
}

// waitRunning waits until container runs, showing the wait as progress
// lines or, on a terminal, a spinner.
func (s *Session) waitRunning(ctx context.Context, pod *corev1.Pod, container string) (*corev1.Pod, error) {
	var state atomic.Value
	state.Store("waiting to be scheduled")
	if s.Spinner && s.Progress != nil {
		stop := make(chan struct{})
		defer close(stop)
		go s.spin(pod.Name, func() string { return state.Load().(string) }, stop)
	}
	return podwatch.Wait{
		Client: s.Remote.Client, Mode: mode.Clone, Timeout: s.StartTimeout,
		OnScheduled: func(node string) {
			state.Store("scheduled")
			s.say("Scheduled %s on node %s", pod.Name, node)
		},
		OnWaiting: func(reason string) {
			state.Store(reason)
			s.say("Waiting for %s: %s", pod.Name, reason)
		},
	}.ForContainer(ctx, pod, container)
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
