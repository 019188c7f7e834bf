package clone

import (
	"time"

	corev1 "k8s.io/api/core/v1"

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
