package clone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"k8s.io/klog/v2"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/podwatch"
	"github.com/sberz/kubectl-eshell/pkg/session"
)

// Session runs one clone: create its Job, wait (watching, not polling)
// until the pod's lifeline runs, hold the lifeline and exec the command
// beside it, side by side, and delete the Job on every exit path this
// process lives through.
// The paths it does not live through (SIGKILL, a lost machine) end the
// lifeline, and the cluster removes the rest.
type Session struct {
	Remote  session.Remote
	Streams session.Streams
	// Command is what runs in the clone through exec.
	Command []string
	// Progress receives status lines; nil silences them.
	Progress io.Writer
	// Keep leaves the clone running at the end and says how to reach it.
	Keep bool
	// StartTimeout bounds the wait for the container to run.
	StartTimeout time.Duration
	// Heartbeat is the lifeline's silence bound (--heartbeat-timeout).
	Heartbeat time.Duration
	// Audit records the start of the session in the clone's pod, once it
	// is known, and returns what records its end; nil records nothing.
	Audit func(pod string) (end func(error))
	// Warn prints a warning line ("warning: ..."), even with --quiet.
	Warn func(format string, args ...any)
	// Spinner animates the wait on Progress; set it when Progress is a terminal.
	Spinner bool
	// Prepare, when set, creates what must exist before the clone's pod
	// starts and is owned by its Job (the NetworkPolicy copies, the env
	// Secret): the Job's pod waits at a scheduling gate while Prepare runs,
	// then it is released.
	Prepare func(ctx context.Context, job *batchv1.Job) error
	// Image is the image --set-image gave the container, for the words of
	// its failure to start; "" is the template's.
	Image string
	// Tools is the image the static shell was copied from (--static-shell,
	// or an image known to have no sh); "" when the image's own sh runs.
	Tools string

	// notes writes to Progress: made on first use, as a Session is built
	// as a literal.
	notesOnce sync.Once
	notes     *session.Notes
}

// warn prints a warning, even when Progress is silenced.
func (s *Session) warn(format string, args ...any) {
	if s.Warn != nil {
		s.Warn(format, args...)
		return
	}
	s.say("warning: "+format, args...)
}

func (s *Session) say(format string, args ...any) {
	s.notesOnce.Do(func() { s.notes = &session.Notes{Out: s.Progress} })
	s.notes.Say(format, args...)
}

// spin shows a spinner with what the wait is on until stop is closed.
func (s *Session) spin(pod, state func() string, stop <-chan struct{}) {
	s.notesOnce.Do(func() { s.notes = &session.Notes{Out: s.Progress} })
	s.notes.Spin(func(waited time.Duration) string {
		return fmt.Sprintf("Starting %s: %s (%.0fs)", pod(), state(), waited.Seconds())
	}, stop)
}

// Run creates job, whose pod's container runs a shell.LifelineScript, and runs
// the session in container. The Job is deleted before Run returns, whether
// the session ended normally, with an error, by a signal (ctx cancelled)
// or a lost connection; with Keep, a clone that reached its shell stays,
// and one that failed before it is removed as without Keep.
func (s *Session) Run(ctx context.Context, job *batchv1.Job, container string) (err error) {
	ns, name := job.Namespace, job.Name
	// The audit Events name the clone's pod, once the Job controller made
	// it; a session that ends before that is recorded without a pod. The
	// end is recorded after the removal, with the session's outcome.
	var end func(error)
	if s.Audit != nil {
		defer func() {
			if end == nil {
				end = s.Audit("")
			}
			end(err)
		}()
	}
	// The name was chosen before the request, so the removal can be
	// registered before it: a create whose response was lost (a timeout,
	// a dropped connection) still made a Job that must go.
	sent := false
	reached := false // the clone reached its shell: --keep keeps it
	defer func() {
		if !sent {
			return
		}
		if reached {
			var lost *session.LostError
			if errors.As(err, &lost) && lost.Fate == "" {
				lost.Fate = "the clone is kept (--keep)"
			}
			id := job.Labels[keys.SessionLabel]
			s.say("Keeping clone job %s (--keep) until its --max-duration ends. Open another shell: kubectl eshell attach %s -n %s; remove it: kubectl eshell end %s -n %s (or kubectl delete job %s -n %s)",
				name, id, ns, id, ns, name, ns)
			return
		}
		cerr := s.remove(ns, name)
		var lost *session.LostError
		if errors.As(err, &lost) && lost.Fate == "" {
			lost.Fate = "the clone was removed"
			if cerr != nil {
				lost.Fate = fmt.Sprintf("the clone ends on the server within %s (its lifeline hears no heartbeat)", s.Heartbeat)
			}
			return
		}
		if cerr != nil {
			// The session's own outcome (the command's exit code) stands:
			// the server finishes the cleanup by itself.
			s.warn("%s", s.leftBehind(ns, name, cerr))
		}
	}()
	// The start window is bounded on the server: the Job starts with a
	// short deadline that this client renews while the clone starts, and
	// gets the session's bound once the lifeline holds the clone. A client
	// killed before, at any instant, leaves a Job the Job controller ends
	// within startLease (and the TTL controller then removes).
	job = job.DeepCopy()
	final := job.Spec.ActiveDeadlineSeconds
	job.Spec.ActiveDeadlineSeconds = new(ceilSeconds(startLease))
	if s.Prepare != nil {
		// What must exist before the pod starts (NetworkPolicy copies, the
		// env Secret) is made while the pod waits at a scheduling gate. A
		// suspended Job would wait too, but its deadline would not run.
		job.Spec.Template.Spec.SchedulingGates = append(job.Spec.Template.Spec.SchedulingGates, corev1.PodSchedulingGate{Name: PrepareGate})
	}
	began := time.Now() // no later than the Job's startTime, from which its deadline counts
	sent = true
	createdJob, err := s.Remote.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		if apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
			sent = false // refused: nothing of this session exists (a Job of that name is someone else's)
		}
		return createError(err)
	}
	s.say("Created clone job %s", name)
	// The command's context: the lifeline's failure, or the lease's, ends
	// the command with the session.
	cmdCtx, stopCmd := context.WithCancelCause(ctx)
	defer stopCmd(nil)
	lease := s.renewLease(ctx, ns, name, began, stopCmd)
	defer lease.stop()
	if s.Prepare != nil {
		if err := s.Prepare(ctx, createdJob); err != nil {
			return err
		}
	}
	running, err := s.waitRunning(ctx, ns, name, job.Labels[keys.SessionLabel], createdJob.UID, container, func(p *corev1.Pod) {
		if s.Audit != nil {
			end = s.Audit(p.Name)
		}
	})
	if err != nil {
		return s.startError(err, container)
	}
	// The command starts as soon as the container runs, beside the attach
	// to the lifeline (which it does not need), and the lifeline still
	// decides: one that does not become ready ends the command and fails
	// the session, a clean end counts only once it answers (Confirm), and
	// --keep keeps only a clone whose lifeline holds.
	holding := make(chan held, 1)
	go func() {
		h := s.hold(ctx, running.Name, name, container, lease, final)
		if h.err != nil {
			stopCmd(h.err)
		}
		holding <- h
	}()
	err = s.Remote.Exec(cmdCtx, s.Streams, ns, running.Name, container, s.Command)
	h := <-holding
	if h.life != nil {
		defer h.life.Release()
	}
	reached = h.kept
	if h.err != nil {
		return h.err
	}
	if cause := context.Cause(cmdCtx); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
		// The lease could not give the Job its session's deadline.
		return cause
	}
	return s.ended(ctx, running.Name, err, h.life)
}

// held is how the hold of a clone's lifeline went: the lifeline, whether
// it was told to keep the clone (--keep), or why it failed.
type held struct {
	life *session.Lifeline
	kept bool
	err  error
}

// hold attaches to the lifeline of pod and, once it holds the clone, gives
// Job name its session's deadline through lease and, with Keep, tells the
// lifeline to keep the clone.
func (s *Session) hold(ctx context.Context, pod, name, container string, lease *lease, final *int64) held {
	ns := lease.ns
	life, err := s.Remote.HoldLifeline(ctx, ns, pod, container, s.StartTimeout, s.Heartbeat)
	if err != nil {
		return held{err: err}
	}
	if !s.Keep {
		// From now on the lifeline bounds the clone. The Job gets the
		// session's own deadline back at the lease's next turn; a session
		// that ended before has no use for it.
		lease.settle(final)
		return held{life: life}
	}
	// A kept clone outlives this client: its Job's deadline must be the
	// session's before the lifeline stops watching the client.
	lease.stop()
	if err := s.setDeadline(context.WithoutCancel(ctx), ns, name, final); err != nil {
		return held{life: life, err: fmt.Errorf("giving clone job %s its --max-duration: %w", name, err)}
	}
	// The clone reached its shell: only now does its lifeline stop
	// watching this client, so a failed start keeps nothing.
	if err := life.Keep(); err != nil {
		return held{life: life, err: fmt.Errorf("telling the clone's lifeline to keep it (--keep): %w; the clone ends on the server by itself", err)}
	}
	return held{life: life, kept: true}
}

// Admit has the API server judge the clone's pod in a server-side dry run
// before anything is created: the Job controller creates the real pod
// later, and what admission (Pod Security, quota, policy) says about it
// would otherwise reach the user only as a timeout.
func (s *Session) Admit(ctx context.Context, job *batchv1.Job) error {
	dry := &corev1.Pod{ObjectMeta: job.Spec.Template.ObjectMeta, Spec: job.Spec.Template.Spec}
	dry.Name, dry.Namespace = job.Name, job.Namespace
	if _, err := s.Remote.Client.CoreV1().Pods(job.Namespace).Create(ctx, dry, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		return createError(err)
	}
	return nil
}

// Reattach opens another shell (or runs Command) in container of pod, the
// running clone of a live session (`kubectl eshell attach`), beside its
// lifeline as Run does. The lifeline is not this client's: a kept clone's
// ignores its client, any other's is held by the session that made it, so
// the clone outlives this shell, and a shell of a session that ends goes
// with its clone.
func (s *Session) Reattach(ctx context.Context, pod *corev1.Pod, container string) error {
	s.say("Opening a shell in clone pod %s, container %s", pod.Name, container)
	err := s.exec(ctx, pod.Namespace, pod.Name, container)
	var lost *session.LostError
	if errors.As(err, &lost) {
		lost.Fate = "the clone lives on, as long as its own session or --keep says"
	}
	return err
}

// exec runs Command in the clone, without a lifeline of this client's
// (see ended).
func (s *Session) exec(ctx context.Context, ns, pod, container string) error {
	err := s.Remote.Exec(ctx, s.Streams, ns, pod, container, s.Command)
	return s.ended(ctx, pod, err, nil)
}

// ended says how Command in pod ended, from the exec's err: exec returns
// its exit code itself. A stream lost on the way is a *session.LostError
// whose fate Run fills in once it knows whether the clone was removed. A
// clean end is confirmed with life, the lifeline this client holds (nil:
// none).
func (s *Session) ended(ctx context.Context, pod string, err error, life *session.Lifeline) error {
	if life != nil && ctx.Err() == nil {
		err = life.Confirm(err, s.Heartbeat)
	}
	return session.Ended(ctx, err, "the shell in clone pod "+pod, "")
}

// startError says what failed to start in the words of the flag that
// chose the image.
func (s *Session) startError(err error, container string) error {
	var se *podwatch.StartError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Container == ToolsContainer:
		return fmt.Errorf("copying a static shell out of %s into the clone failed: %w; set debugImage in the config to an image the node can pull that holds a static busybox (e.g. busybox:1.37)", s.Tools, err)
	case se.Reason == "StartError" && se.MissingProgram() && s.Tools != "":
		return fmt.Errorf("the static shell copied from %s did not start in container %q: %w; set debugImage in the config to an image with a static busybox (e.g. busybox:1.37)", s.Tools, container, err)
	case se.Reason == "StartError" && se.MissingProgram() && s.Image != "":
		return fmt.Errorf("the image %s given with --set-image has no shell (sh), which the clone's lifeline needs to end with its client; pass --static-shell to bring one from the debug image, or pick an image with sh (e.g. busybox:1.37 or bash:5.2)", s.Image)
	case se.Reason == "StartError" && se.MissingProgram():
		return fmt.Errorf("the image of container %q has no shell (sh), which the clone's lifeline needs to end with its client; pass --static-shell to bring one from the debug image, or use --mode debug", container)
	case se.ImagePull() && s.Image != "":
		return fmt.Errorf("%w; the image %s was given with --set-image", err, s.Image)
	}
	return err
}

// before names the init container whose failure is the start's: the copy
// of a shell-less clone's shell.
func (s *Session) before() []string {
	if s.Tools == "" {
		return nil
	}
	return []string{ToolsContainer}
}

// waitRunning waits, in one watch, until the Job controller created the
// clone's pod (the pod the Job, by UID, controls, never another that
// carries the session's label) and until its container runs, showing the
// wait as progress lines or, on a terminal, a spinner. found is told the
// pod once it is known; a pod waiting at PrepareGate is released then.
func (s *Session) waitRunning(ctx context.Context, ns, job, id string, uid types.UID, container string, found func(*corev1.Pod)) (*corev1.Pod, error) {
	var state, name atomic.Value
	state.Store("waiting to be scheduled")
	name.Store(job)
	if s.Spinner && s.Progress != nil {
		stop := make(chan struct{})
		defer close(stop)
		go s.spin(func() string { return name.Load().(string) }, func() string { return state.Load().(string) }, stop)
	}
	sel := labels.SelectorFromSet(labels.Set{keys.SessionLabel: id}).String()
	p, err := podwatch.Wait{
		Client: s.Remote.Client, Mode: mode.Clone, Timeout: s.StartTimeout, ScaleUpGrace: scaleUpGrace, Before: s.before(),
		OnScheduled: func(node string) {
			state.Store("scheduled")
			s.say("Scheduled %s on node %s", name.Load(), node)
		},
		OnWaiting: func(reason string) {
			state.Store(reason)
			s.say("Waiting for %s: %s", name.Load(), reason)
		},
	}.ForControlled(ctx, ns, sel, uid, container, func(ctx context.Context, p *corev1.Pod) (*corev1.Pod, error) {
		name.Store(p.Name)
		s.say("Clone pod %s", p.Name)
		found(p)
		if s.Prepare == nil {
			return p, nil
		}
		released, err := s.Remote.Client.CoreV1().Pods(ns).Patch(ctx, p.Name, types.MergePatchType, []byte(`{"spec":{"schedulingGates":null}}`), metav1.PatchOptions{})
		if err != nil {
			return nil, fmt.Errorf("releasing clone pod %s after what it needs was in place: %w", p.Name, err)
		}
		return released, nil
	})
	switch {
	case err == nil:
		return p, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("session interrupted: %w", context.Cause(ctx))
	case errors.Is(err, podwatch.ErrNoPod):
		return nil, fmt.Errorf("the Job controller created no pod for clone job %s within %s; see why with kubectl describe job %s -n %s", job, s.StartTimeout, job, ns)
	}
	return nil, err
}

func createError(err error) error {
	err = priorityHint(err)
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("the API server refused the clone: %w; a ResourceQuota, Pod Security level or RBAC rule forbids it (nothing was created)", err)
	case apierrors.IsInvalid(err):
		return fmt.Errorf("the clone is invalid: %w (nothing was created)", err)
	}
	return fmt.Errorf("creating the clone: %w", err)
}

// remove deletes the clone's Job; its pod and the NetworkPolicy copies go
// with it through the garbage collector (background propagation). No
// request of its own deletes the pod: a released lifeline has already
// ended its container, and the collector's delete of the pod does what
// this client's would, about a second later on the local cluster (a busy
// collector's queue may take longer). It does not wait
// until they are gone: the end of the session must not wait on the
// cluster's housekeeping, and once the exec returned the exit code is
// already known. It runs on a fresh context because the session's may be
// cancelled by a signal, and retries while the API server cannot be reached
// (a restart), up to session.CleanupBound or until the user presses Ctrl+C
// again.
func (s *Session) remove(ns, name string) error {
	ctx, cancel := session.CleanupContext()
	defer cancel()
	err := session.Retry(ctx, func(ctx context.Context) error {
		err := s.Remote.Client.BatchV1().Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: new(metav1.DeletePropagationBackground)})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}, func(err error) {
		s.say("Cannot reach the API server to remove clone job %s (%v); retrying for up to %s (Ctrl+C stops)", name, err, session.CleanupBound)
	})
	if err != nil {
		return err
	}
	s.say("Removed clone job %s", name)
	return nil
}

// leftBehind is the warning for a clone that could not be removed: the
// cluster removes it by itself, and when.
func (s *Session) leftBehind(ns, name string, err error) string {
	return fmt.Sprintf("could not remove clone job %s (%v); the cluster removes it by itself: its lifeline ends it within %s of this client's end (--max-duration bounds it in any case), and the Job and its pod are deleted %s after; to remove it now: kubectl delete job %s -n %s",
		name, err, s.Heartbeat, FinishedTTL, name, ns)
}

// Start window: a Job's deadline while its clone starts, and how often the
// client renews it. A client killed in the start window leaves a Job that
// ends within startLease; the TTL controller removes it FinishedTTL later.
const (
	startLease      = 30 * time.Second
	startLeaseRenew = 10 * time.Second
)

// scaleUpGrace is how long an Unschedulable clone looks for a sign that an
// autoscaler adds a node for it before it fails as Unschedulable:
// cluster-autoscaler writes its TriggeredScaleUp Event within seconds.
const scaleUpGrace = 5 * time.Second

// PrepareGate holds a clone's pod until what it needs beside it exists.
const PrepareGate = "eshell.kubectl.io/prepare"

type lease struct {
	ns, name string
	cancel   context.CancelFunc
	done     chan struct{}
	// final, once set, is the session's deadline (itself nil: none) that
	// the next turn gives the Job in place of a renewal.
	final chan *int64
}

// stop ends the renewals and returns once none is in flight.
func (l *lease) stop() {
	l.cancel()
	<-l.done
}

// settle has the next turn give the Job final, the session's deadline,
// and end the renewals: the lifeline holds the clone from now on. A
// session that ends before that turn sends no request for it.
func (l *lease) settle(final *int64) {
	l.final <- final
}

// renewLease moves the Job's deadline to startLease from now every
// startLeaseRenew, counting from began, until stopped or settled. A
// renewal that fails (an API server restart) is tried again at the next
// one. The session's deadline, once settled, is retried within startLease;
// if it cannot be set, fail is told why (the Job would end at the start's
// deadline).
func (s *Session) renewLease(ctx context.Context, ns, name string, began time.Time, fail func(error)) *lease {
	ctx, cancel := context.WithCancel(ctx)
	l := &lease{ns: ns, name: name, cancel: cancel, done: make(chan struct{}), final: make(chan *int64, 1)}
	go func() {
		defer close(l.done)
		t := time.NewTicker(startLeaseRenew)
		defer t.Stop()
		settled, final := false, (*int64)(nil)
		for {
			select {
			case <-ctx.Done():
				return
			case final = <-l.final:
				settled = true
				continue
			case <-t.C:
			}
			if settled {
				if err := s.setDeadline(ctx, ns, name, final); err != nil && ctx.Err() == nil {
					fail(fmt.Errorf("giving clone job %s its --max-duration: %w", name, err))
				}
				return
			}
			deadline := ceilSeconds(time.Since(began) + startLease)
			body := fmt.Sprintf(`{"spec":{"activeDeadlineSeconds":%d}}`, deadline)
			if _, err := s.Remote.Client.BatchV1().Jobs(ns).Patch(ctx, name, types.MergePatchType, []byte(body), metav1.PatchOptions{}); err != nil {
				klog.V(2).Infof("renewing the start deadline of clone job %s: %v", name, err)
			}
		}
	}()
	return l
}

// setDeadline gives the Job its deadline for the session (nil: none). It
// retries while the API server cannot be reached, within startLease.
func (s *Session) setDeadline(ctx context.Context, ns, name string, seconds *int64) error {
	body := `{"spec":{"activeDeadlineSeconds":null}}`
	if seconds != nil {
		body = fmt.Sprintf(`{"spec":{"activeDeadlineSeconds":%d}}`, *seconds)
	}
	ctx, cancel := context.WithTimeout(ctx, startLease)
	defer cancel()
	return session.Retry(ctx, func(ctx context.Context) error {
		_, err := s.Remote.Client.BatchV1().Jobs(ns).Patch(ctx, name, types.MergePatchType, []byte(body), metav1.PatchOptions{})
		return err
	}, nil)
}
