package clone

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

// EnvSecretName names the Secret that carries the values of a session's
// env overrides.
func EnvSecretName(sessionID string) string {
	return "eshell-env-" + sessionID
}

// EnvSecret holds the values of env, each under its name, for the clone of
// job: the clone's container reads them through secretKeyRef, so the pod
// and the Job show the names only, and those who may read pods and Jobs but
// not Secrets do not see the values. It is owned by the Job, so the garbage
// collector deletes it with the clone, whichever way the clone ends, with
// no client needed. Nothing changes it once made (immutable).
func EnvSecret(job *batchv1.Job, env []plan.EnvOverride) *corev1.Secret {
	id := job.Labels[keys.SessionLabel]
	data := make(map[string][]byte, len(env))
	for _, v := range env {
		data[v.Name] = []byte(v.Value)
	}
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            EnvSecretName(id),
			Namespace:       job.Namespace,
			Labels:          map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: id},
			Annotations:     map[string]string{keys.SourceAnnotation: job.Annotations[keys.SourceAnnotation]},
			OwnerReferences: []metav1.OwnerReference{jobOwner(job)},
		},
		Type:      corev1.SecretTypeOpaque,
		Immutable: new(true),
		Data:      data,
	}
}

// Redacted returns a copy of s with each value replaced by its length,
// for --dry-run: what would be set shows, the values do not.
func Redacted(s *corev1.Secret) *corev1.Secret {
	c := s.DeepCopy()
	c.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}
	out := make(map[string]string, len(c.Data)+len(c.StringData))
	for k, v := range c.Data {
		out[k] = fmt.Sprintf("<redacted: %d bytes>", len(v))
	}
	for k, v := range c.StringData {
		out[k] = fmt.Sprintf("<redacted: %d bytes>", len(v))
	}
	c.Data, c.StringData = nil, out
	return c
}

// EnvNames are the names of env, in order.
func EnvNames(env []plan.EnvOverride) []string {
	out := make([]string, len(env))
	for i, v := range env {
		out[i] = v.Name
	}
	return out
}
