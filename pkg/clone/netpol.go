package clone

import (
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sberz/kubectl-eshell/pkg/meta"
)

// Selecting returns the policies among policies that select a pod with
// podLabels. A selector that cannot be parsed counts as selecting: a
// policy eshell cannot read must not be the one it leaves out.
func Selecting(policies []networkingv1.NetworkPolicy, podLabels map[string]string) []networkingv1.NetworkPolicy {
	var out []networkingv1.NetworkPolicy
	for _, np := range policies {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || sel.Matches(labels.Set(podLabels)) {
			out = append(out, np)
		}
	}
	return out
}

// PolicyCopies returns, for each policy that selects the original pods, a
// copy that selects only the clone of job (by its session label) with the
// same policy types, ingress and egress rules. Each copy is owned by the
// Job, so the garbage collector removes it with the clone. The clone's
// pod carries none of the workload's labels, so without these copies it
// would escape every policy that confines the original.
func PolicyCopies(selecting []networkingv1.NetworkPolicy, job *batchv1.Job) []*networkingv1.NetworkPolicy {
	id := job.Labels[meta.SessionLabel]
	owner := jobOwner(job)
	out := make([]*networkingv1.NetworkPolicy, 0, len(selecting))
	for _, np := range selecting {
		spec := np.Spec.DeepCopy()
		spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{meta.SessionLabel: id}}
		out = append(out, &networkingv1.NetworkPolicy{
			TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{
				Name:      policyCopyName(np.Name, id),
				Namespace: job.Namespace,
				Labels:    map[string]string{meta.ManagedByLabel: meta.ManagedByValue, meta.SessionLabel: id},
				Annotations: map[string]string{
					meta.SourceAnnotation: "networkpolicy/" + np.Name,
				},
				OwnerReferences: []metav1.OwnerReference{owner},
			},
			Spec: *spec,
		})
	}
	return out
}

// policyCopyName is "<policy>-eshell-<session>", the policy's name
// shortened so the whole stays a valid name (a DNS subdomain of at most 253).
func policyCopyName(policy, id string) string {
	tail := "-eshell-" + id
	const maxLen = 253
	if len(policy)+len(tail) > maxLen {
		policy = strings.TrimRight(policy[:maxLen-len(tail)], "-.")
	}
	return policy + tail
}

// PolicyNames lists the names of policies, for messages.
func PolicyNames(policies []networkingv1.NetworkPolicy) string {
	names := make([]string, len(policies))
	for i, np := range policies {
		names[i] = np.Name
	}
	return strings.Join(names, ", ")
}
