package clone

import (
	"context"
	"fmt"
	"io"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/sberz/kubectl-eshell/pkg/escape"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/target"
)

// IsClone reports whether pod is a clone session's pod. The session label is
// required as well because the managed-by value alone is a convention other
// tools could share, and gc must never delete a pod eshell did not make.
func IsClone(pod *corev1.Pod) bool {
	if pod == nil {
		return false
	}
	return pod.Labels[keys.ManagedByLabel] == keys.ManagedByValue && pod.Labels[keys.SessionLabel] != ""
}

// Expired reports whether a clone's session is past its --max-duration.
// A missing or unparsable expiry is not expired: gc deletes what it can prove
// is stale, and activeDeadlineSeconds still ends such a pod.
func Expired(pod *corev1.Pod, now time.Time) bool {
	if pod == nil {
		return false
	}
	return expired(pod.Annotations, now)
}

func expired(annotations map[string]string, now time.Time) bool {
	v, ok := annotations[keys.ExpiresAnnotation]
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return false
	}
	return !now.Before(t)
}

// Leftover is a clone gc removes (a Job, or a pod eshell made before
// clones were Jobs), and why.
type Leftover struct {
	Kind, Namespace, Name, Reason string
}

// Sweep says which leftover clones gc considers.
type Sweep struct {
	// Namespace to look in; "" is every namespace.
	Namespace string
	// User whose clones are considered; "" is everyone's.
	User string
	// DryRun finds the leftovers but deletes nothing.
	DryRun bool
	Now    time.Time
}

// ListAll reads what list returns a page at a time, so a cluster-wide
// list never pulls every object in one response, and keeps the items of
// type T that keep accepts.
func ListAll[T runtime.Object](ctx context.Context, list func(context.Context, metav1.ListOptions) (runtime.Object, error), opts metav1.ListOptions, keep func(T) bool) ([]T, error) {
	var out []T
	err := pager.New(list).EachListItem(ctx, opts, func(obj runtime.Object) error {
		if item, ok := obj.(T); ok && keep(item) {
			out = append(out, item)
		}
		return nil
	})
	return out, err
}

// managed selects what eshell created.
var managed = metav1.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{keys.ManagedByLabel: keys.ManagedByValue}).String()}

// Sessions lists the clone pods of user ("" is everyone's) in namespace
// ("" is every namespace).
func Sessions(ctx context.Context, c kubernetes.Interface, namespace, user string) ([]*corev1.Pod, error) {
	pods := c.CoreV1().Pods(namespace)
	out, err := ListAll(ctx, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return pods.List(ctx, opts)
	}, managed,
		func(p *corev1.Pod) bool {
			return IsClone(p) && (user == "" || p.Annotations[keys.UserAnnotation] == user)
		})
	if err != nil {
		return nil, fmt.Errorf("listing clone pods: %w", err)
	}
	return out, nil
}

// Jobs lists the clone Jobs of user ("" is everyone's) in namespace ("" is
// every namespace).
func Jobs(ctx context.Context, c kubernetes.Interface, namespace, user string) ([]*batchv1.Job, error) {
	jobs := c.BatchV1().Jobs(namespace)
	out, err := ListAll(ctx, func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return jobs.List(ctx, opts)
	}, managed,
		func(j *batchv1.Job) bool {
			return j.Labels[keys.SessionLabel] != "" && (user == "" || j.Annotations[keys.UserAnnotation] == user)
		})
	if err != nil {
		return nil, fmt.Errorf("listing clone jobs: %w", err)
	}
	return out, nil
}

// JobFinished says how a clone's Job ended, from its conditions; "" while
// it runs.
func JobFinished(j *batchv1.Job) string {
	c := target.JobEnd(j)
	switch {
	case c == nil:
		return ""
	case c.Type == batchv1.JobComplete:
		return "finished: its lifeline ended, so its client is gone"
	case c.Reason == batchv1.JobReasonDeadlineExceeded:
		return "finished: past its --max-duration"
	}
	return "finished: failed (" + c.Reason + "), its client is gone or never connected"
}

// StuckSuspended is how long after its creation gc takes a still
// suspended clone Job for one whose client died.
const StuckSuspended = 5 * time.Minute

// Collect finds the clones that are finished, past their expiry, or whose
// client is gone, and deletes them (unless DryRun), telling report of each
// one as it goes. The TTL controller removes finished clone Jobs within
// FinishedTTL on its own; gc covers clusters where it lags and the pods of
// eshell versions before clones were Jobs. It stops at the first clone it
// cannot delete.
func Collect(ctx context.Context, c kubernetes.Interface, s Sweep, report func(Leftover)) error {
	jobs, err := Jobs(ctx, c, s.Namespace, s.User)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		why := JobFinished(j)
		if why == "" && expired(j.Annotations, s.Now) {
			why = "expired at " + j.Annotations[keys.ExpiresAnnotation]
		}
		// A clone waits suspended only while its client copies the
		// NetworkPolicies; still suspended later, its client died in
		// between, and a suspended Job's deadline does not run.
		if why == "" && j.Spec.Suspend != nil && *j.Spec.Suspend && s.Now.Sub(j.CreationTimestamp.Time) > StuckSuspended {
			why = "never started: its client died before the clone's NetworkPolicy copies were in place"
		}
		if why == "" {
			continue
		}
		if !s.DryRun {
			err := c.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: new(metav1.DeletePropagationBackground)})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting clone job %s/%s: %w; delete it with kubectl delete job %s -n %s", j.Namespace, j.Name, err, j.Name, j.Namespace)
			}
		}
		report(Leftover{Kind: "job", Namespace: j.Namespace, Name: j.Name, Reason: why})
	}
	pods, err := Sessions(ctx, c, s.Namespace, s.User)
	if err != nil {
		return err
	}
	for _, p := range pods {
		if metav1.GetControllerOf(p) != nil {
			continue // a Job's pod goes with its Job
		}
		why := leftoverReason(p, s.Now)
		if why == "" {
			continue
		}
		if !s.DryRun {
			if err := c.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
				return fmt.Errorf("deleting clone pod %s/%s: %w; delete it with kubectl delete pod %s -n %s", p.Namespace, p.Name, err, p.Name, p.Namespace)
			}
		}
		report(Leftover{Kind: "pod", Namespace: p.Namespace, Name: p.Name, Reason: why})
	}
	return nil
}

// leftoverReason says why p is left over; "" when it is not.
func leftoverReason(p *corev1.Pod, now time.Time) string {
	switch {
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return "finished: " + string(p.Status.Phase)
	case Expired(p, now):
		return "expired at " + p.Annotations[keys.ExpiresAnnotation]
	}
	return ""
}

// Clean runs Collect and writes a line per leftover to out ("deleted job
// shop/eshell-x7k2p (why)"), or a line to errOut when there is none.
func Clean(ctx context.Context, c kubernetes.Interface, s Sweep, out, errOut io.Writer) error {
	verb := "deleted"
	if s.DryRun {
		verb = "would delete"
	}
	n := 0
	err := Collect(ctx, c, s, func(l Leftover) {
		n++
		fmt.Fprintf(out, "%s %s %s/%s (%s)\n", verb, l.Kind, l.Namespace, escape.Line(l.Name), escape.Line(l.Reason))
	})
	if err == nil && n == 0 {
		fmt.Fprintln(errOut, "no finished or expired clones found")
	}
	return err
}
