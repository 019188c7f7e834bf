// Package podwatch follows one container of one pod through the API server:
// until it runs, and until it has ended. Every engine waits through it, so
// clone, debug and exec agree on which states are failures, on how an
// expired watch is resumed, and on how a failure is explained.
package podwatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/mode"
	"github.com/sberz/kubectl-eshell/pkg/session"
	"github.com/sberz/kubectl-eshell/pkg/shell"
)

// Status returns the status of the container name of pod, whatever kind of
// container it is (app, init or ephemeral); nil when there is none yet.
func Status(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// waitingFailures are waiting reasons that will not resolve by themselves.
var waitingFailures = []string{
	"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
	"CreateContainerConfigError", "CreateContainerError", "RunContainerError",
}

// Wait says what to wait for and whom to tell.
type Wait struct {
	Client kubernetes.Interface
	// Mode chooses the wording and hints of a StartError.
	Mode mode.Mode
	// Timeout bounds the wait (--pod-running-timeout).
	Timeout time.Duration
	// OnScheduled is told the node once the pod is bound to one.
	OnScheduled func(node string)
	// OnWaiting is told each new waiting reason (ContainerCreating, ...).
	OnWaiting func(reason string)
	// Before names init containers the container waits on whose failure
	// is the start's (a shell-less clone's copy of its shell): a pull that
	// fails or a non-zero exit ends the wait at once, naming that container,
	// instead of a timeout on the container that never gets to start.
	Before []string
	// ScaleUpGrace, when set, lets an Unschedulable pod wait for a node an
	// autoscaler adds: if within it a scale-up is signalled (a
	// cluster-autoscaler TriggeredScaleUp Event on the pod, or a node
	// nominated for it, as Karpenter and preemption do), the wait goes on
	// until Timeout; else the pod fails as Unschedulable.
	ScaleUpGrace time.Duration
}

var errUnschedulable = errors.New("unschedulable")

// ForContainer watches pod, from the resourceVersion it carries, until its
// container runs, and returns the pod as it was then. It fails with a
// *StartError as soon as the kubelet or the scheduler reports a reason the
// container will not start, or when Timeout has passed.
func (w Wait) ForContainer(ctx context.Context, pod *corev1.Pod, container string) (*corev1.Pod, error) {
	return w.forContainer(ctx, pod, container, func(ctx context.Context, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
		return Until(ctx, w.Client, pod, done)
	})
}

// ErrNoPod is why ForControlled failed when no pod of its owner appeared
// within Timeout.
var ErrNoPod = errors.New("no pod of its controller appeared")

// ForControlled waits, in one watch, until ns holds the pod that the
// object with UID owner controls (among those selector matches) and until
// container of that pod runs, and returns the pod as it was then. A pod
// that only carries the same labels is never taken for it. found is told
// the pod once, when it is first seen, and returns the pod to go on from
// (it may release a scheduling gate); an error from it ends the wait. The
// wait fails as ForContainer's does, and with an error wrapping ErrNoPod
// when no such pod appeared within Timeout.
func (w Wait) ForControlled(ctx context.Context, ns, selector string, owner types.UID, container string, found func(context.Context, *corev1.Pod) (*corev1.Pod, error)) (*corev1.Pod, error) {
	// Until the pod is known, a pod of that name: the messages name the
	// owner's pod, not one that does not exist.
	named := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns}}
	p, err := w.forContainer(ctx, named, container, func(ctx context.Context, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
		return w.controlled(ctx, ns, selector, owner, found, named, done)
	})
	if err != nil && named.Name == "" && ctx.Err() == nil {
		var se *StartError
		if errors.As(err, &se) && se.Reason == "Timeout" {
			return nil, fmt.Errorf("%w within %s", ErrNoPod, w.Timeout)
		}
	}
	return p, err
}

// controlled watches the pods selector matches until the one owner
// controls appears, hands it to found and then to done, and goes on with
// that pod's changes on the same watch until done is satisfied or fails.
// Before the pod is found, an ended watch is started again (it begins with
// the pods that exist, so none is missed), and retried while the API
// server cannot be reached; after, Until resumes from the pod's version.
// named gets the found pod's name.
func (w Wait) controlled(ctx context.Context, ns, selector string, owner types.UID, found func(context.Context, *corev1.Pod) (*corev1.Pod, error), named *corev1.Pod, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	pods := w.Client.CoreV1().Pods(ns)
	var mine *corev1.Pod // the owner's pod, once found: its latest version
	for {
		wi, err := pods.Watch(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !session.Unreachable(err) {
				return nil, fmt.Errorf("watching pods (%s): %w", selector, err)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		}
		p, finished, err := selected(ctx, wi, func(ev watch.EventType, p *corev1.Pod) (bool, error) {
			if mine == nil {
				if ev == watch.Deleted {
					return false, nil
				}
				if ref := metav1.GetControllerOf(p); ref == nil || ref.UID != owner {
					return false, nil
				}
				named.Name = p.Name
				fp, err := found(ctx, p)
				if err != nil {
					return false, err
				}
				mine = fp
				return done(fp)
			}
			if p.UID != mine.UID {
				return false, nil
			}
			if ev == watch.Deleted {
				return done(nil)
			}
			mine = p
			return done(p)
		})
		wi.Stop()
		if finished || err != nil {
			return p, err
		}
		if mine != nil {
			// The rest of the wait follows that pod alone, resumed from
			// the version last seen.
			return Until(ctx, w.Client, mine, done)
		}
	}
}

func (w Wait) forContainer(ctx context.Context, pod *corev1.Pod, container string, watchUntil func(context.Context, func(*corev1.Pod) (bool, error)) (*corev1.Pod, error)) (*corev1.Pod, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	fail := func(p *corev1.Pod, reason, msg string) error {
		return &StartError{Mode: w.Mode, Pod: p.Name, Namespace: p.Namespace, Container: container, Reason: reason, Message: msg}
	}
	last, scheduled := "", false
	scaling := false              // a scale-up was signalled: Unschedulable is waited out
	var unschedulable *corev1.Pod // the pod as it was when it was found Unschedulable
	done := func(p *corev1.Pod) (bool, error) {
		if p == nil {
			return false, fail(pod, "Deleted", "the pod was deleted while the container was starting")
		}
		if !scheduled && p.Spec.NodeName != "" {
			scheduled = true
			if w.OnScheduled != nil {
				w.OnScheduled(p.Spec.NodeName)
			}
		}
		for _, name := range w.Before {
			st := Status(p, name)
			if st == nil {
				continue
			}
			if t := st.State.Terminated; t != nil && t.ExitCode != 0 {
				se := fail(p, orDefault(t.Reason, fmt.Sprintf("exited with code %d", t.ExitCode)), t.Message).(*StartError)
				se.Container = name
				return false, se
			}
			if wt := st.State.Waiting; wt != nil && slices.Contains(waitingFailures, wt.Reason) {
				se := fail(p, wt.Reason, wt.Message).(*StartError)
				se.Container = name
				return false, se
			}
		}
		if st := Status(p, container); st != nil {
			switch {
			case st.State.Running != nil:
				return true, nil
			case st.State.Terminated != nil:
				t := st.State.Terminated
				return false, fail(p, orDefault(t.Reason, fmt.Sprintf("exited with code %d", t.ExitCode)), t.Message)
			case st.State.Waiting != nil:
				wt := st.State.Waiting
				if slices.Contains(waitingFailures, wt.Reason) {
					return false, fail(p, wt.Reason, wt.Message)
				}
				if wt.Reason != last && wt.Reason != "" {
					last = wt.Reason
					if w.OnWaiting != nil {
						w.OnWaiting(wt.Reason)
					}
				}
			}
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				switch {
				case scaling:
					if state := "no node fits yet, waiting for one the autoscaler adds: " + c.Message; state != last {
						last = state
						if w.OnWaiting != nil {
							w.OnWaiting(state)
						}
					}
				case w.ScaleUpGrace > 0:
					unschedulable = p
					return false, errUnschedulable
				default:
					return false, fail(p, c.Reason, c.Message)
				}
			}
		}
		switch {
		case p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded:
			return false, fail(p, string(p.Status.Phase), p.Status.Message)
		case p.DeletionTimestamp != nil:
			return false, fail(p, "Terminating", "the pod is being deleted")
		}
		return false, nil
	}
	p, err := watchUntil(ctx, done)
	if errors.Is(err, errUnschedulable) {
		if w.scaleUpSignalled(ctx, unschedulable) {
			scaling = true
			p, err = Until(ctx, w.Client, unschedulable, done)
		} else if ctx.Err() == nil {
			msg := ""
			if c := scheduledCondition(unschedulable); c != nil {
				msg = c.Message
			}
			err = fail(unschedulable, corev1.PodReasonUnschedulable, msg)
		}
	}
	switch {
	case err == nil:
		return p, nil
	case parent.Err() != nil:
		return nil, fmt.Errorf("interrupted while waiting for container %q of pod %s to start: %w", container, pod.Name, context.Cause(parent))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		state := last
		if state == "" {
			state = "no status yet"
			if !scheduled {
				state = "not scheduled yet"
			}
		}
		return nil, fail(pod, "Timeout", fmt.Sprintf("container %q was not running after %s (last state: %s); raise --pod-running-timeout", container, w.Timeout, state))
	}
	return nil, err
}

// scaleUpSignalled polls, for ScaleUpGrace, whether a node is on its way
// for pod: a node nominated for it, or the TriggeredScaleUp Event
// cluster-autoscaler writes on it. Events it may not read count as none.
func (w Wait) scaleUpSignalled(ctx context.Context, pod *corev1.Pod) bool {
	ctx, cancel := context.WithTimeout(ctx, w.ScaleUpGrace)
	defer cancel()
	sel := fields.Set{"involvedObject.uid": string(pod.UID), "reason": "TriggeredScaleUp"}.AsSelector().String()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if p, err := w.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{}); err == nil && p.Status.NominatedNodeName != "" {
			return true
		}
		if l, err := w.Client.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel}); err == nil && len(l.Items) > 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

func scheduledCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodScheduled {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// Until calls done with pod and then with every change of it until done
// returns true or an error; a nil pod tells done the pod was deleted. It
// resumes the watch when the server ends it, and reads the pod afresh when
// the version it had is too old to resume from, so an expired watch never
// stalls or ends the wait. It needs get and watch on pods, nothing more.
func Until(ctx context.Context, c kubernetes.Interface, pod *corev1.Pod, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	pods := c.CoreV1().Pods(pod.Namespace)
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
		np, finished, err := drain(ctx, w, done)
		w.Stop()
		if finished || err != nil {
			return np, err
		}
		if np != nil {
			p = np
		}
		// The watch ended or expired: read the pod again, so a version
		// too old to resume from cannot stall the loop, and go on.
		if p, err = pods.Get(ctx, pod.Name, metav1.GetOptions{}); err != nil {
			if apierrors.IsNotFound(err) {
				_, derr := done(nil)
				return nil, derr
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("reading pod %s: %w", pod.Name, err)
		}
		if ok, err := done(p); ok || err != nil {
			return p, err
		}
	}
}

// drain reads one watch of one pod until done is satisfied or fails
// (finished; a deletion always finishes it), or the watch ends or expires
// (not finished; the last pod seen is returned).
func drain(ctx context.Context, w watch.Interface, done func(*corev1.Pod) (bool, error)) (last *corev1.Pod, finished bool, err error) {
	p, finished, err := selected(ctx, w, func(ev watch.EventType, p *corev1.Pod) (bool, error) {
		if ev == watch.Deleted {
			_, err := done(nil)
			return true, err
		}
		last = p
		return done(p)
	})
	if !finished {
		return last, false, nil
	}
	return p, true, err
}

// selected reads one watch of several pods, handing each event of a pod to
// step, until step is satisfied or fails (finished), or the watch ends or
// expires (not finished).
func selected(ctx context.Context, wi watch.Interface, step func(watch.EventType, *corev1.Pod) (bool, error)) (last *corev1.Pod, finished bool, err error) {
	for {
		select {
		case <-ctx.Done():
			return nil, true, ctx.Err()
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return nil, false, nil
			}
			if ev.Type == watch.Error {
				status := apierrors.FromObject(ev.Object)
				if apierrors.IsResourceExpired(status) || apierrors.IsGone(status) {
					return nil, false, nil
				}
				return nil, true, fmt.Errorf("watching pods: %w", status)
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod || (ev.Type != watch.Added && ev.Type != watch.Modified && ev.Type != watch.Deleted) {
				continue
			}
			if ok, err := step(ev.Type, p); ok || err != nil {
				if ev.Type == watch.Deleted {
					p = nil
				}
				return p, true, err
			}
		}
	}
}

// StartError is a container that did not start; Reason is the kubelet's or
// the scheduler's (ImagePullBackOff, Unschedulable, StartError, ...), or
// Timeout, Deleted, Terminating.
type StartError struct {
	Mode                                       mode.Mode
	Pod, Namespace, Container, Reason, Message string
}

// MissingProgram reports whether the container's program was not found in
// its image: the runtime's words for a missing shell or binary.
func (e *StartError) MissingProgram() bool {
	return shell.NoShell(errors.New(e.Message))
}

// ImagePull reports whether the container's image could not be pulled.
func (e *StartError) ImagePull() bool {
	return e.Reason == "ErrImagePull" || e.Reason == "ImagePullBackOff" || e.Reason == "InvalidImageName" || e.Reason == "ErrImageNeverPull"
}

func (e *StartError) Error() string {
	var b strings.Builder
	switch e.Mode {
	case mode.Clone:
		fmt.Fprintf(&b, "the clone pod %s did not start: %s", e.Pod, e.Reason)
	case mode.Debug:
		fmt.Fprintf(&b, "debug container %s in pod %s did not start: %s", e.Container, e.Pod, e.Reason)
	default:
		fmt.Fprintf(&b, "container %s in pod %s did not start: %s", e.Container, e.Pod, e.Reason)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	b.WriteString(e.hint())
	if e.Mode == mode.Clone {
		b.WriteString(" (the pod was removed)")
	}
	return b.String()
}

// hint says what to do next, in the words of the mode's flags.
func (e *StartError) hint() string {
	image := e.ImagePull()
	switch e.Mode {
	case mode.Clone:
		switch {
		case image:
			return "; check the image name and the pull secrets of the workload"
		case e.Reason == corev1.PodReasonUnschedulable:
			return "; no node can take it (resources, nodeSelector, taints): check with kubectl describe on the workload"
		case e.Reason == "CreateContainerConfigError":
			return "; a ConfigMap or Secret the workload needs is missing in this namespace"
		}
	case mode.Debug:
		switch {
		case image:
			return "; check --image (the node must be able to pull it)"
		case e.Reason == "CreateContainerConfigError":
			return "; a ConfigMap or Secret the target's env or mounts refer to is missing: try --copy-env=false or --copy-mounts=false"
		case e.Reason == "Deleted" || e.Reason == "Terminating" || e.Reason == string(corev1.PodFailed) || e.Reason == string(corev1.PodSucceeded):
			return "; run eshell again to pick a running pod"
		case e.MissingProgram():
			return "; the debug image needs a shell (sh): pick another with --image, e.g. busybox:1.37"
		}
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
