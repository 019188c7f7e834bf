package clone

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sberz/kubectl-eshell/pkg/keys"
)

func policy(name string, sel metav1.LabelSelector) networkingv1.NetworkPolicy {
	port := intstr.FromInt32(5432)
	return networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"team": "a"}},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: sel,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "fe"}}}}}},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}}},
		},
	}
}

// Policies for the parity table: in namespace ns, selecting sel, with
// ingress and egress rules.
func np(ns, name string, sel map[string]string, types []networkingv1.PolicyType, in []networkingv1.NetworkPolicyIngressRule, out []networkingv1.NetworkPolicyEgressRule) networkingv1.NetworkPolicy {
	return networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: sel}, PolicyTypes: types, Ingress: in, Egress: out}}
}

func pods(l map[string]string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: l} }

func from(ports []networkingv1.NetworkPolicyPort, peers ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyIngressRule {
	return []networkingv1.NetworkPolicyIngressRule{{From: peers, Ports: ports}}
}

func to(ports []networkingv1.NetworkPolicyPort, peers ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyEgressRule {
	return []networkingv1.NetworkPolicyEgressRule{{To: peers, Ports: ports}}
}

func tcp(port int32) []networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	return []networkingv1.NetworkPolicyPort{{Port: &p}}
}

var (
	ingress = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	egress  = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	both    = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	web     = map[string]string{"app": "web"}
	nsShop  = &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "shop"}}
)

// The parity table: which policies govern the original's pods (the clone
// gets copies) and which admit them as peers (the clone gets companions),
// from the template's labels and the live pods'.
func TestComputeParity(t *testing.T) {
	live := []map[string]string{
		{"app": "web", "pod-template-hash": "5d9c", "statefulset.kubernetes.io/pod-name": "web-0"},
	}
	tests := []struct {
		name       string
		live       []map[string]string
		nsLabels   map[string]string
		policies   []networkingv1.NetworkPolicy
		governing  []string
		companions []string // namespace/name:ingress-rules/egress-rules
		err        string
	}{
		{name: "no policies"},
		{name: "a policy on the template's labels governs", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "web", web, ingress, nil, nil)}, governing: []string{"web"}},
		{name: "default deny selects every pod", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "deny", nil, both, nil, nil)}, governing: []string{"deny"}},
		{name: "a policy of another workload does not govern", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, nil, nil)}},
		{name: "pod-template-hash of the live pods", live: live,
			policies:  []networkingv1.NetworkPolicy{np("shop", "rs", map[string]string{"pod-template-hash": "5d9c"}, ingress, nil, nil), np("shop", "old-rs", map[string]string{"pod-template-hash": "0000"}, ingress, nil, nil)},
			governing: []string{"rs"}},
		{name: "statefulset pod name of a live pod", live: live,
			policies:  []networkingv1.NetworkPolicy{np("shop", "web-0", map[string]string{"statefulset.kubernetes.io/pod-name": "web-0"}, egress, nil, nil)},
			governing: []string{"web-0"}},
		{name: "a policy of the same labels in another namespace does not govern", live: live,
			policies: []networkingv1.NetworkPolicy{np("other", "web", web, ingress, nil, nil)}},
		{name: "keyed on a controller's label with no pod running: refused",
			policies: []networkingv1.NetworkPolicy{np("shop", "web-0", map[string]string{"app": "web", "statefulset.kubernetes.io/pod-name": "web-0"}, ingress, nil, nil)},
			err:      "statefulset.kubernetes.io/pod-name"},
		{name: "keyed on a controller's label of another workload with no pod running",
			policies: []networkingv1.NetworkPolicy{np("shop", "db-0", map[string]string{"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"}, ingress, nil, nil)}},
		{name: "ingress from the original in its namespace: companion", live: live,
			policies:   []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, from(tcp(5432), networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}), nil)},
			companions: []string{"shop/db:1/0"}},
		{name: "peer keyed on pod-template-hash of the live pods", live: live,
			policies:   []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, from(tcp(5432), networkingv1.NetworkPolicyPeer{PodSelector: pods(map[string]string{"pod-template-hash": "5d9c"})}), nil)},
			companions: []string{"shop/db:1/0"}},
		{name: "egress to the original: companion", live: live,
			policies:   []networkingv1.NetworkPolicy{np("shop", "fe", map[string]string{"app": "fe"}, egress, nil, to(tcp(80), networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}))},
			companions: []string{"shop/fe:0/1"}},
		{name: "rules of a direction the policy does not isolate are ignored", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "fe", map[string]string{"app": "fe"}, egress, from(nil, networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}), nil)}},
		{name: "without policyTypes, ingress rules count", live: live,
			policies:   []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, nil, from(nil, networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}), nil)},
			companions: []string{"shop/db:1/0"}},
		{name: "a podSelector peer without namespaceSelector names the policy's own namespace", live: live,
			policies: []networkingv1.NetworkPolicy{np("other", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}), nil)}},
		{name: "another namespace's policy names the original's namespace", live: live,
			policies:   []networkingv1.NetworkPolicy{np("other", "db", map[string]string{"app": "db"}, ingress, from(tcp(5432), networkingv1.NetworkPolicyPeer{NamespaceSelector: nsShop, PodSelector: pods(web)}), nil)},
			companions: []string{"other/db:1/0"}},
		{name: "another namespace's policy names another namespace", live: live,
			policies: []networkingv1.NetworkPolicy{np("other", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{NamespaceSelector: pods(map[string]string{corev1.LabelMetadataName: "dev"}), PodSelector: pods(web)}), nil)}},
		{name: "a namespace label that was read", live: live, nsLabels: map[string]string{"team": "shop", corev1.LabelMetadataName: "shop"},
			policies:   []networkingv1.NetworkPolicy{np("other", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{NamespaceSelector: pods(map[string]string{"team": "shop"}), PodSelector: pods(web)}), nil)},
			companions: []string{"other/db:1/0"}},
		{name: "a namespace label that could not be read: refused", live: live,
			policies: []networkingv1.NetworkPolicy{np("other", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{NamespaceSelector: pods(map[string]string{"team": "shop"}), PodSelector: pods(web)}), nil)},
			err:      "needs the labels of namespace"},
		{name: "a namespaceSelector alone admits the clone too", live: live,
			policies: []networkingv1.NetworkPolicy{np("other", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{NamespaceSelector: nsShop}), nil)}},
		{name: "an empty podSelector admits the clone too", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{PodSelector: pods(nil)}), nil)}},
		{name: "a rule without peers admits every source", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, from(tcp(80)), nil)}},
		{name: "an ipBlock does not follow the pod", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "10.88.0.5/32"}}), nil)}},
		{name: "a peer of another workload", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "db", map[string]string{"app": "db"}, ingress, from(nil, networkingv1.NetworkPolicyPeer{PodSelector: pods(map[string]string{"app": "api"})}), nil)}},
		{name: "a policy both governs and admits", live: live,
			policies:  []networkingv1.NetworkPolicy{np("shop", "web-mesh", web, both, from(tcp(80), networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}), to(tcp(80), networkingv1.NetworkPolicyPeer{PodSelector: pods(web)}))},
			governing: []string{"web-mesh"}, companions: []string{"shop/web-mesh:1/1"}},
		{name: "an unreadable peer selector is refused", live: live,
			policies: []networkingv1.NetworkPolicy{np("shop", "db", nil, ingress, from(nil, networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}}), nil)},
			err:      "cannot be read"},
		{name: "an unreadable podSelector is refused", live: live,
			policies: []networkingv1.NetworkPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: "shop"}, Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}}}},
			err:      "shop/broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Original{Namespace: "shop", NamespaceLabels: tt.nsLabels, TemplateLabels: web, LivePods: tt.live,
				CloneLabels: map[string]string{keys.ManagedByLabel: keys.ManagedByValue, keys.SessionLabel: "x7k2p"}}
			got, err := ComputeParity(o, tt.policies)
			if tt.err != "" {
				var ue *UnevaluableError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want an UnevaluableError with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var governing, companions []string
			for _, g := range got.Governing {
				governing = append(governing, g.Name)
			}
			for _, c := range got.Companions {
				companions = append(companions, fmt.Sprintf("%s/%s:%d/%d", c.Source.Namespace, c.Source.Name, len(c.IngressPorts), len(c.EgressPorts)))
			}
			if !cmp.Equal(governing, tt.governing) || !cmp.Equal(companions, tt.companions) {
				t.Errorf("governing %v, companions %v; want %v, %v", governing, companions, tt.governing, tt.companions)
			}
		})
	}
}

// A companion selects exactly its source's pods, carries only the
// directions in which the source admits the original, and admits only
// the clone, on the source rule's ports; one outside the clone's
// namespace names the clone's namespace and has no owner.
func TestCompanionPolicies(t *testing.T) {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-x7k2p", Namespace: "shop", UID: "uid-1",
		Labels: map[string]string{keys.SessionLabel: "x7k2p"}}}
	db := np("other", "db", map[string]string{"app": "db"}, both, nil, nil)
	db.Spec.PodSelector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpExists}}
	fe := np("shop", "fe", map[string]string{"app": "fe"}, both, nil, nil)
	named := intstr.FromString("http")
	endPort := int32(9000)
	got := CompanionPolicies([]Companion{
		{Source: db, IngressPorts: [][]networkingv1.NetworkPolicyPort{tcp(5432), nil}},
		{Source: fe, EgressPorts: [][]networkingv1.NetworkPolicyPort{{{Port: &named}, {Port: &named, EndPort: &endPort}}}},
	}, job)
	clone := pods(map[string]string{keys.SessionLabel: "x7k2p"})
	want := []networkingv1.NetworkPolicySpec{
		{PodSelector: db.Spec.PodSelector, PolicyTypes: ingress, Ingress: []networkingv1.NetworkPolicyIngressRule{
			{From: []networkingv1.NetworkPolicyPeer{{PodSelector: clone, NamespaceSelector: nsShop}}, Ports: tcp(5432)},
			{From: []networkingv1.NetworkPolicyPeer{{PodSelector: clone, NamespaceSelector: nsShop}}},
		}},
		{PodSelector: fe.Spec.PodSelector, PolicyTypes: egress, Egress: []networkingv1.NetworkPolicyEgressRule{
			{To: []networkingv1.NetworkPolicyPeer{{PodSelector: clone}}, Ports: []networkingv1.NetworkPolicyPort{{Port: &named}, {Port: &named, EndPort: &endPort}}},
		}},
	}
	if len(got) != 2 {
		t.Fatalf("%d companions, want 2", len(got))
	}
	for i, c := range got {
		if diff := cmp.Diff(want[i], c.Spec); diff != "" {
			t.Errorf("companion %s (-want +got):\n%s", c.Name, diff)
		}
		if c.Labels[keys.SessionLabel] != "x7k2p" || c.Labels[keys.ManagedByLabel] != keys.ManagedByValue {
			t.Errorf("companion %s labels %v", c.Name, c.Labels)
		}
	}
	if got[0].Namespace != "other" || got[0].Name != "db-eshell-peer-x7k2p" || len(got[0].OwnerReferences) != 0 {
		t.Errorf("companion in another namespace: %s/%s owned by %v; want other/db-eshell-peer-x7k2p and no owner", got[0].Namespace, got[0].Name, got[0].OwnerReferences)
	}
	if got[1].Namespace != "shop" || len(got[1].OwnerReferences) != 1 || got[1].OwnerReferences[0].UID != "uid-1" {
		t.Errorf("companion in the clone's namespace: %s, owners %v; want owned by the Job", got[1].Namespace, got[1].OwnerReferences)
	}
	// New objects: changing one leaves the source alone.
	got[0].Spec.PodSelector.MatchLabels["app"] = "changed"
	if db.Spec.PodSelector.MatchLabels["app"] != "db" {
		t.Error("a companion shares its selector with its source")
	}
}

func TestPolicyCopies(t *testing.T) {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-x7k2p", Namespace: "shop", UID: "uid-1",
		Labels: map[string]string{keys.SessionLabel: "x7k2p"}}}
	long := strings.Repeat("p", 250)
	originals := []networkingv1.NetworkPolicy{
		policy("web-db", metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}),
		policy(long, metav1.LabelSelector{}),
	}
	copies := PolicyCopies(originals, job)
	if len(copies) != 2 {
		t.Fatalf("%d copies, want 2", len(copies))
	}
	for i, c := range copies {
		o := originals[i]
		if c.Namespace != "shop" || len(c.Name) > 253 || !strings.HasSuffix(c.Name, "-eshell-x7k2p") {
			t.Errorf("copy %d is named %s/%s", i, c.Namespace, c.Name)
		}
		if c.Labels[keys.ManagedByLabel] != keys.ManagedByValue || c.Labels[keys.SessionLabel] != "x7k2p" || c.Labels["team"] != "" {
			t.Errorf("copy %s labels %v: want eshell's and the session's only", c.Name, c.Labels)
		}
		if want := (metav1.LabelSelector{MatchLabels: map[string]string{keys.SessionLabel: "x7k2p"}}); !cmp.Equal(c.Spec.PodSelector, want) {
			t.Errorf("copy %s selects %v, want only the clone", c.Name, c.Spec.PodSelector)
		}
		if !cmp.Equal(c.Spec.Ingress, o.Spec.Ingress) || !cmp.Equal(c.Spec.Egress, o.Spec.Egress) || !cmp.Equal(c.Spec.PolicyTypes, o.Spec.PolicyTypes) {
			t.Errorf("copy %s rules differ from %s", c.Name, o.Name)
		}
		want := []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: "uid-1", BlockOwnerDeletion: new(true)}}
		if !cmp.Equal(c.OwnerReferences, want) {
			t.Errorf("copy %s owners %v, want the Job", c.Name, c.OwnerReferences)
		}
	}
	if copies[0].Name != "web-db-eshell-x7k2p" {
		t.Errorf("name %q, want web-db-eshell-x7k2p", copies[0].Name)
	}
	// The copies are new objects: changing one leaves the original alone.
	copies[0].Spec.Ingress[0].From[0].PodSelector.MatchLabels["role"] = "changed"
	if originals[0].Spec.Ingress[0].From[0].PodSelector.MatchLabels["role"] != "fe" {
		t.Error("a copy shares its rules with the original")
	}
}

func TestGenerateJob(t *testing.T) {
	pod, _, err := GeneratePod(Source{Kind: "Deployment", Name: "web", Namespace: "shop", Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "busybox"}}},
	}}, Options{Container: "web", Command: []string{"sh"}, Stdin: true, MaxDuration: 90 * time.Minute, SessionID: "x7k2p", NameSuffix: "x7k2p", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	job := GenerateJob(pod, 90*time.Minute)
	if job.Name != "web-eshell-x7k2p" || job.Namespace != "shop" || job.Labels[keys.SessionLabel] != "x7k2p" || job.Labels[keys.ManagedByLabel] != keys.ManagedByValue {
		t.Errorf("job meta %+v", job.ObjectMeta)
	}
	s := job.Spec
	if *s.BackoffLimit != 0 || *s.ActiveDeadlineSeconds != 5400 || *s.TTLSecondsAfterFinished != int32(FinishedTTL/time.Second) {
		t.Errorf("job spec: backoffLimit %d, activeDeadlineSeconds %d, ttl %d", *s.BackoffLimit, *s.ActiveDeadlineSeconds, *s.TTLSecondsAfterFinished)
	}
	if s.Template.Labels["app"] != "" || s.Template.Labels[keys.SessionLabel] != "x7k2p" {
		t.Errorf("the pod template carries labels %v: want the session's, none of the workload's", s.Template.Labels)
	}
	if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || *s.Template.Spec.TerminationGracePeriodSeconds > 2 {
		t.Errorf("pod spec: restartPolicy %s, grace %d", s.Template.Spec.RestartPolicy, *s.Template.Spec.TerminationGracePeriodSeconds)
	}
	if _, ok := job.Annotations[keys.CommandAnnotation]; ok {
		t.Errorf("the Job carries a command annotation: %v", job.Annotations)
	}
	c := s.Template.Spec.Containers[0]
	if !c.Stdin || !c.StdinOnce || c.TTY {
		t.Errorf("the lifeline's container: stdin %v, stdinOnce %v, tty %v; want stdin, stdinOnce, no tty", c.Stdin, c.StdinOnce, c.TTY)
	}
}
