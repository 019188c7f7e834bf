package clone

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/pager"

	"github.com/sberz/kubectl-eshell/pkg/meta"
)

// IsClone reports whether pod is a clone session's pod. The session label is
// required as well because the managed-by value alone is a convention other
// tools could share, and gc must never delete a pod eshell did not make.
func IsClone(pod *corev1.Pod) bool {
	if pod == nil {
		return false
	}
	return pod.Labels[meta.ManagedByLabel] == meta.ManagedByValue && pod.Labels[meta.SessionLabel] != ""
}

// Expired reports whether a clone's session is past its --max-duration.
// A missing or unparsable expiry is not expired: gc deletes what it can prove
// is stale, and activeDeadlineSeconds still ends such a pod.
func Expired(pod *corev1.Pod, now time.Time) bool {
	if pod == nil {
		return false
	}
	v, ok := pod.Annotations[meta.ExpiresAnnotation]
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return false
	}
	return !now.Before(t)
}

// Leftover is a clone pod gc removes, and why.
type Leftover struct {
	Namespace, Name, Reason string
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

// Sessions lists the clone pods of user ("" is everyone's) in namespace
// ("" is every namespace), reading a page at a time: a cluster-wide list
// must not pull every clone in one response.
func Sessions(ctx context.Context, c kubernetes.Interface, namespace, user string) ([]*corev1.Pod, error) {
	sel := labels.SelectorFromSet(labels.Set{meta.ManagedByLabel: meta.ManagedByValue}).String()
	pods := c.CoreV1().Pods(namespace)
	var out []*corev1.Pod
	err := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return pods.List(ctx, opts)
	}).EachListItem(ctx, metav1.ListOptions{LabelSelector: sel}, func(obj runtime.Object) error {
		if p, ok := obj.(*corev1.Pod); ok && IsClone(p) && (user == "" || p.Annotations[meta.UserAnnotation] == user) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing clone pods: %w", err)
	}
	return out, nil
}

// Collect finds the clones that are finished or past their expiry and
// deletes them (unless DryRun), telling report of each one as it goes. It
// stops at the first pod it cannot delete.
func Collect(ctx context.Context, c kubernetes.Interface, s Sweep, report func(Leftover)) error {
	pods, err := Sessions(ctx, c, s.Namespace, s.User)
	if err != nil {
		return err
	}
	for _, p := range pods {
		why := leftoverReason(p, s.Now)
		if why == "" {
			continue
		}
		if !s.DryRun {
			if err := c.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
				return fmt.Errorf("deleting clone pod %s/%s: %w; delete it with kubectl delete pod %s -n %s", p.Namespace, p.Name, err, p.Name, p.Namespace)
			}
		}
		report(Leftover{Namespace: p.Namespace, Name: p.Name, Reason: why})
	}
	return nil
}

// leftoverReason says why p is left over; "" when it is not.
func leftoverReason(p *corev1.Pod, now time.Time) string {
	switch {
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return "finished: " + string(p.Status.Phase)
	case Expired(p, now):
		return "expired at " + p.Annotations[meta.ExpiresAnnotation]
	}
	return ""
}
