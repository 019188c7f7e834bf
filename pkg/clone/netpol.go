package clone

import (
	"context"
	"fmt"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

// Original is the workload's pods as NetworkPolicies see them: policies
// match the pods' real labels, and controllers add labels the template
// does not show (pod-template-hash, statefulset.kubernetes.io/pod-name,
// apps.kubernetes.io/pod-index, controller-revision-hash).
type Original struct {
	// Namespace is the workload's, which is the clone's too.
	Namespace string
	// NamespaceLabels are the labels of Namespace; nil when they could
	// not be read (then only kubernetes.io/metadata.name, which the API
	// server sets on every namespace, is known).
	NamespaceLabels map[string]string
	// TemplateLabels are the pod template's labels.
	TemplateLabels map[string]string
	// LivePods are the labels of each of the workload's pods that exist.
	LivePods []map[string]string
	// CloneLabels are the labels of the clone's pod.
	CloneLabels map[string]string
}

// controllerLabels are the labels controllers add to a workload's pods and
// that its template never has. A policy keyed on one of them can only be
// evaluated against live pods.
var controllerLabels = []string{
	"pod-template-hash", "controller-revision-hash",
	"statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
}

// Companion admits the clone on the pods its Source policy selects, where
// Source admits the original: the ports of each source rule that names the
// original as a peer, one companion rule per source rule.
type Companion struct {
	Source       networkingv1.NetworkPolicy
	IngressPorts [][]networkingv1.NetworkPolicyPort
	EgressPorts  [][]networkingv1.NetworkPolicyPort
}

// Parity is what gives the clone the network of the original, and no more.
type Parity struct {
	// Governing are the policies of the workload's namespace that select
	// any of its pods: the clone gets a copy of each.
	Governing []networkingv1.NetworkPolicy
	// Companions are the policies (in any namespace) that admit the
	// original as a peer and do not admit the clone by themselves.
	Companions []Companion
}

// UnevaluableError says a policy could not be evaluated for the original:
// the clone is refused rather than guessed at.
type UnevaluableError struct {
	Policy string // namespace/name
	Reason string
}

func (e *UnevaluableError) Error() string {
	return fmt.Sprintf("NetworkPolicy %s: %s", e.Policy, e.Reason)
}

// ComputeParity finds, among policies (of the workload's namespace and of
// any other namespace that was read), those that govern the original's
// pods and those that admit them as peers. A selector it cannot evaluate
// is an *UnevaluableError: guessing could give the clone more than the
// original.
func ComputeParity(o Original, policies []networkingv1.NetworkPolicy) (Parity, error) {
	pods := o.podLabelSets()
	var out Parity
	for _, np := range policies {
		ref := np.Namespace + "/" + np.Name
		if np.Namespace == o.Namespace {
			selects, err := o.matchesAny(ref, "its podSelector", &np.Spec.PodSelector, pods)
			if err != nil {
				return Parity{}, err
			}
			if selects {
				out.Governing = append(out.Governing, np)
			}
		}
		c := Companion{Source: np}
		types := policyTypes(np.Spec)
		if types[networkingv1.PolicyTypeIngress] {
			for i, rule := range np.Spec.Ingress {
				admits, err := o.admits(np.Namespace, fmt.Sprintf("%s, ingress rule %d", ref, i+1), rule.From, pods)
				if err != nil {
					return Parity{}, err
				}
				if admits {
					c.IngressPorts = append(c.IngressPorts, rule.Ports)
				}
			}
		}
		if types[networkingv1.PolicyTypeEgress] {
			for i, rule := range np.Spec.Egress {
				admits, err := o.admits(np.Namespace, fmt.Sprintf("%s, egress rule %d", ref, i+1), rule.To, pods)
				if err != nil {
					return Parity{}, err
				}
				if admits {
					c.EgressPorts = append(c.EgressPorts, rule.Ports)
				}
			}
		}
		if len(c.IngressPorts)+len(c.EgressPorts) > 0 {
			out.Companions = append(out.Companions, c)
		}
	}
	return out, nil
}

// podLabelSets are the label sets the original's pods may carry: each live
// pod's, and the template's (what a new pod starts from).
func (o Original) podLabelSets() []map[string]string {
	return append([]map[string]string{o.TemplateLabels}, o.LivePods...)
}

// policyTypes are the directions np isolates in. The API server fills
// policyTypes in; an empty list is read as it defaults: Ingress, and
// Egress when there are egress rules.
func policyTypes(spec networkingv1.NetworkPolicySpec) map[networkingv1.PolicyType]bool {
	types := map[networkingv1.PolicyType]bool{}
	for _, t := range spec.PolicyTypes {
		types[t] = true
	}
	if len(spec.PolicyTypes) == 0 {
		types[networkingv1.PolicyTypeIngress] = true
		types[networkingv1.PolicyTypeEgress] = len(spec.Egress) > 0
	}
	return types
}

// admits says whether a rule of a policy in namespace policyNS with peers
// names the original's pods through a podSelector that the clone's own
// labels do not match: only then does the clone need a companion. A rule
// without peers admits every source, the clone included; a
// namespaceSelector without a podSelector admits every pod of the
// namespaces, the clone's included; an ipBlock matches addresses and does
// not follow a pod.
func (o Original) admits(policyNS, where string, peers []networkingv1.NetworkPolicyPeer, pods []map[string]string) (bool, error) {
	for _, peer := range peers {
		if peer.PodSelector == nil || peer.IPBlock != nil {
			continue
		}
		inNamespace := policyNS == o.Namespace
		if peer.NamespaceSelector != nil {
			var err error
			if inNamespace, err = o.namespaceMatches(where, peer.NamespaceSelector); err != nil {
				return false, err
			}
		}
		if !inNamespace {
			continue
		}
		cloneToo, err := o.matchesAny(where, "a peer's podSelector", peer.PodSelector, []map[string]string{o.CloneLabels})
		if err != nil {
			return false, err
		}
		if cloneToo {
			continue
		}
		original, err := o.matchesAny(where, "a peer's podSelector", peer.PodSelector, pods)
		if err != nil {
			return false, err
		}
		if original {
			return true, nil
		}
	}
	return false, nil
}

// namespaceMatches evaluates a peer's namespaceSelector against the
// original's namespace. Without its labels, only a selector on
// kubernetes.io/metadata.name can be evaluated.
func (o Original) namespaceMatches(where string, selector *metav1.LabelSelector) (bool, error) {
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false, &UnevaluableError{Policy: where, Reason: fmt.Sprintf("its namespaceSelector cannot be read (%v)", err)}
	}
	nsLabels := o.NamespaceLabels
	if nsLabels == nil {
		reqs, _ := sel.Requirements()
		for _, r := range reqs {
			if r.Key() != corev1.LabelMetadataName {
				return false, &UnevaluableError{Policy: where, Reason: fmt.Sprintf("its namespaceSelector needs the labels of namespace %q, which could not be read (ask for get on namespaces)", o.Namespace)}
			}
		}
		nsLabels = map[string]string{corev1.LabelMetadataName: o.Namespace}
	}
	return sel.Matches(labels.Set(nsLabels)), nil
}

// matchesAny says whether selector matches any of sets. A selector keyed on
// a label only controllers add cannot be judged from the template alone:
// without live pods it is an *UnevaluableError.
func (o Original) matchesAny(where, what string, selector *metav1.LabelSelector, sets []map[string]string) (bool, error) {
	sel, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false, &UnevaluableError{Policy: where, Reason: fmt.Sprintf("%s cannot be read (%v)", what, err)}
	}
	for _, set := range sets {
		if sel.Matches(labels.Set(set)) {
			return true, nil
		}
	}
	if len(o.LivePods) > 0 {
		return false, nil
	}
	// No pod runs: a selector that would match the template but for a
	// label only controllers add may select the pods they will start.
	reqs, _ := sel.Requirements()
	rest, keyed := labels.NewSelector(), ""
	for _, r := range reqs {
		if isControllerLabel(r.Key()) {
			keyed = r.Key()
			continue
		}
		rest = rest.Add(r)
	}
	if keyed != "" && rest.Matches(labels.Set(o.TemplateLabels)) {
		return false, &UnevaluableError{Policy: where, Reason: fmt.Sprintf("%s is keyed on %s, a label only the workload's running pods carry, and none runs: whether it applies cannot be told (start a pod of the workload first)", what, keyed)}
	}
	return false, nil
}

func isControllerLabel(key string) bool {
	for _, k := range controllerLabels {
		if k == key {
			return true
		}
	}
	return false
}

// PolicyCopies returns, for each policy that selects the original pods, a
// copy that selects only the clone of job (by its session label) with the
// same policy types, ingress and egress rules. Each copy is owned by the
// Job, so the garbage collector removes it with the clone. The clone's
// pod carries none of the workload's labels, so without these copies it
// would escape every policy that confines the original.
func PolicyCopies(selecting []networkingv1.NetworkPolicy, job *batchv1.Job) []*networkingv1.NetworkPolicy {
	id := job.Labels[keys.SessionLabel]
	out := make([]*networkingv1.NetworkPolicy, 0, len(selecting))
	for _, np := range selecting {
		spec := np.Spec.DeepCopy()
		spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{keys.SessionLabel: id}}
		out = append(out, sessionPolicy(job, job.Namespace, policyCopyName(np.Name, id), "networkpolicy/"+np.Name, *spec))
	}
	return out
}

// CompanionPolicies returns, for each companion, a policy in its source's
// namespace that selects exactly the pods the source selects, carries only
// the directions in which the source admits the original, and admits only
// the clone of job (by its session label, in the workload's namespace) on
// the source rules' ports. It never changes any pod's isolation: the pods
// it selects are already isolated in those directions by its source, so it
// can only add the clone to what they allow. A companion in the clone's
// namespace is owned by the Job; one in another namespace cannot be (an
// owner must share its dependent's namespace) and is removed with
// DeleteCompanions.
func CompanionPolicies(companions []Companion, job *batchv1.Job) []*networkingv1.NetworkPolicy {
	id := job.Labels[keys.SessionLabel]
	out := make([]*networkingv1.NetworkPolicy, 0, len(companions))
	for _, c := range companions {
		clone := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{keys.SessionLabel: id}}}
		if c.Source.Namespace != job.Namespace {
			clone.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: job.Namespace}}
		}
		spec := networkingv1.NetworkPolicySpec{PodSelector: *c.Source.Spec.PodSelector.DeepCopy()}
		for _, ports := range c.IngressPorts {
			spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{clone}, Ports: copyPorts(ports)})
		}
		if len(spec.Ingress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		for _, ports := range c.EgressPorts {
			spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{clone}, Ports: copyPorts(ports)})
		}
		if len(spec.Egress) > 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		out = append(out, sessionPolicy(job, c.Source.Namespace, companionName(c.Source.Name, id), "networkpolicy/"+c.Source.Namespace+"/"+c.Source.Name, spec))
	}
	return out
}

func copyPorts(ports []networkingv1.NetworkPolicyPort) []networkingv1.NetworkPolicyPort {
	if ports == nil {
		return nil
	}
	out := make([]networkingv1.NetworkPolicyPort, len(ports))
	for i := range ports {
		ports[i].DeepCopyInto(&out[i])
	}
	return out
}

// sessionPolicy is a policy of job's session in namespace: labelled so
// gc and the session find it, owned by the Job when it shares its
// namespace.
func sessionPolicy(job *batchv1.Job, namespace, name, source string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   namespace,
			Labels:      map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: job.Labels[keys.SessionLabel]},
			Annotations: map[string]string{keys.SourceAnnotation: source},
		},
		Spec: spec,
	}
	if namespace == job.Namespace {
		np.OwnerReferences = []metav1.OwnerReference{jobOwner(job)}
	}
	return np
}

// policyCopyName is "<policy>-eshell-<session>", the policy's name
// shortened so the whole stays a valid name (a DNS subdomain of at most 253).
func policyCopyName(policy, id string) string {
	return shortened(policy, "-eshell-"+id)
}

// companionName is "<policy>-eshell-peer-<session>": a policy may both
// govern the original (copy) and admit it (companion).
func companionName(policy, id string) string {
	return shortened(policy, "-eshell-peer-"+id)
}

func shortened(policy, tail string) string {
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

// CompanionNamespaces are the namespaces companions go to, sorted.
func CompanionNamespaces(companions []Companion) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range companions {
		if !seen[c.Source.Namespace] {
			seen[c.Source.Namespace] = true
			out = append(out, c.Source.Namespace)
		}
	}
	sort.Strings(out)
	return out
}

// CompanionSources names the source policies of companions in namespace
// ns, as namespace/name, for messages.
func CompanionSources(companions []Companion, ns string) string {
	var names []string
	for _, c := range companions {
		if c.Source.Namespace == ns {
			names = append(names, c.Source.Namespace+"/"+c.Source.Name)
		}
	}
	return strings.Join(names, ", ")
}

// DeleteCompanions removes companions, those of a session that live
// outside its namespace: the Job owns the rest, and the garbage collector
// removes them with it. It returns the first failure, after trying all.
func DeleteCompanions(ctx context.Context, c kubernetes.Interface, companions []*networkingv1.NetworkPolicy) error {
	var first error
	for _, np := range companions {
		if err := c.NetworkingV1().NetworkPolicies(np.Namespace).Delete(ctx, np.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) && first == nil {
			first = fmt.Errorf("removing companion NetworkPolicy %s/%s of the clone: %w; remove it with kubectl delete networkpolicy %s -n %s", np.Namespace, np.Name, err, np.Name, np.Namespace)
		}
	}
	return first
}
