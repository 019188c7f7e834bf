package clone

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// withoutSelfTerms drops the inter-pod (anti-)affinity terms that select the
// workload's own pods. Such terms place replicas relative to each other ("one
// per node", "next to each other"). The clone is no replica and carries none
// of their labels, so a required one-per-node term would leave it
// unschedulable once every node runs a replica, and a required co-location
// term would leave it pending while the workload is scaled to zero. Node
// affinity and terms about other pods still apply: they say where the
// workload may run at all.
func withoutSelfTerms(a *corev1.Affinity, own map[string]string, namespace string) *corev1.Affinity {
	if a == nil {
		return nil
	}
	self := func(t corev1.PodAffinityTerm) bool { return selectsOwnPods(t, own, namespace) }
	weightedSelf := func(t corev1.WeightedPodAffinityTerm) bool { return self(t.PodAffinityTerm) }

	if pa := a.PodAffinity; pa != nil {
		pa.RequiredDuringSchedulingIgnoredDuringExecution = deleteFunc(pa.RequiredDuringSchedulingIgnoredDuringExecution, self)
		pa.PreferredDuringSchedulingIgnoredDuringExecution = deleteFunc(pa.PreferredDuringSchedulingIgnoredDuringExecution, weightedSelf)
		if pa.RequiredDuringSchedulingIgnoredDuringExecution == nil && pa.PreferredDuringSchedulingIgnoredDuringExecution == nil {
			a.PodAffinity = nil
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		pa.RequiredDuringSchedulingIgnoredDuringExecution = deleteFunc(pa.RequiredDuringSchedulingIgnoredDuringExecution, self)
		pa.PreferredDuringSchedulingIgnoredDuringExecution = deleteFunc(pa.PreferredDuringSchedulingIgnoredDuringExecution, weightedSelf)
		if pa.RequiredDuringSchedulingIgnoredDuringExecution == nil && pa.PreferredDuringSchedulingIgnoredDuringExecution == nil {
			a.PodAntiAffinity = nil
		}
	}
	if a.NodeAffinity == nil && a.PodAffinity == nil && a.PodAntiAffinity == nil {
		return nil
	}
	return a
}

// deleteFunc is slices.DeleteFunc that answers nil for an empty result, so an
// emptied list disappears from the pod instead of showing up as [].
func deleteFunc[T any](s []T, del func(T) bool) []T {
	s = slices.DeleteFunc(s, del)
	if len(s) == 0 {
		return nil
	}
	return s
}

// selectsOwnPods errs towards keeping a term: a namespace selector cannot be
// evaluated without the cluster, so only terms that certainly cover the
// workload's namespace count.
func selectsOwnPods(t corev1.PodAffinityTerm, own map[string]string, namespace string) bool {
	if t.LabelSelector == nil {
		return false
	}
	if !coversNamespace(t, namespace) {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
	if err != nil {
		return false
	}
	return sel.Matches(labels.Set(own))
}

// coversNamespace follows the API's union of the namespaces list and the
// namespace selector, where an empty selector means every namespace and
// neither means the pod's own.
func coversNamespace(t corev1.PodAffinityTerm, namespace string) bool {
	ns := t.NamespaceSelector
	switch {
	case ns == nil && len(t.Namespaces) == 0:
		return true
	case slices.Contains(t.Namespaces, namespace):
		return true
	default:
		return ns != nil && len(ns.MatchLabels) == 0 && len(ns.MatchExpressions) == 0
	}
}
