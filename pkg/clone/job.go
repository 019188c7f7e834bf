package clone

import (
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FinishedTTL is how long a finished clone's Job (and with it, through its
// ownerReference, its pod) stays before the TTL-after-finished controller
// deletes it: long enough for `kubectl eshell sessions` or a describe to
// show how it ended, short enough that nothing lingers.
const FinishedTTL = 10 * time.Second

// GenerateJob wraps the clone pod in the Job that gives it its server-side
// end of life: one attempt (backoffLimit 0, restartPolicy Never), ended by
// the Job controller after maxDuration, and deleted with its pod by the
// TTL-after-finished controller once its lifeline ended. The pod keeps
// every isolation property: it carries no workload labels, and a pod with a
// controller owner is never adopted by another controller.
//
// The Job takes the pod's name, labels and annotations; the pod gets its
// name from the Job controller (the Job's name and a suffix).
func GenerateJob(pod *corev1.Pod, maxDuration time.Duration) *batchv1.Job {
	p := pod.DeepCopy()
	return &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace,
			Labels: p.Labels, Annotations: p.Annotations,
		},
		Spec: batchv1.JobSpec{
			BackoffLimit:            new(int32(0)),
			ActiveDeadlineSeconds:   new(ceilSeconds(maxDuration)),
			TTLSecondsAfterFinished: new(int32(FinishedTTL / time.Second)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: p.Labels, Annotations: p.Annotations},
				Spec:       p.Spec,
			},
		},
	}
}

// jobOwner makes job the owner of what the clone needs beside its pod (the
// NetworkPolicy copies, the env Secret), so the garbage collector deletes
// them with it, whoever or whatever deletes the Job. blockOwnerDeletion, as
// the Job controller sets it on the pod: when the Job is deleted in the
// foreground (the TTL controller does so), the garbage collector's
// foregroundDeletion finalizer holds the Job until these are gone too, so
// a clone's Job never disappears before the rest of it.
func jobOwner(job *batchv1.Job) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID, BlockOwnerDeletion: new(true)}
}
