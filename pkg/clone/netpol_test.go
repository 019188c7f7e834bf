package clone

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sberz/kubectl-eshell/pkg/meta"
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

func TestSelecting(t *testing.T) {
	web := map[string]string{"app": "web", "tier": "backend"}
	all := policy("all", metav1.LabelSelector{})
	byLabel := policy("by-label", metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}})
	byExpr := policy("by-expr", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"backend"}}}})
	other := policy("other", metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}})
	broken := policy("broken", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}})
	tests := []struct {
		name     string
		policies []networkingv1.NetworkPolicy
		want     []string
	}{
		{"none", nil, nil},
		{"empty selector selects every pod", []networkingv1.NetworkPolicy{all}, []string{"all"}},
		{"labels and expressions", []networkingv1.NetworkPolicy{byLabel, other, byExpr}, []string{"by-label", "by-expr"}},
		{"an unreadable selector counts as selecting", []networkingv1.NetworkPolicy{broken, other}, []string{"broken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, np := range Selecting(tt.policies, web) {
				got = append(got, np.Name)
			}
			if !cmp.Equal(got, tt.want) {
				t.Errorf("Selecting = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPolicyCopies(t *testing.T) {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "web-eshell-x7k2p", Namespace: "shop", UID: "uid-1",
		Labels: map[string]string{meta.SessionLabel: "x7k2p"}}}
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
		if c.Labels[meta.ManagedByLabel] != meta.ManagedByValue || c.Labels[meta.SessionLabel] != "x7k2p" || c.Labels["team"] != "" {
			t.Errorf("copy %s labels %v: want eshell's and the session's only", c.Name, c.Labels)
		}
		if want := (metav1.LabelSelector{MatchLabels: map[string]string{meta.SessionLabel: "x7k2p"}}); !cmp.Equal(c.Spec.PodSelector, want) {
			t.Errorf("copy %s selects %v, want only the clone", c.Name, c.Spec.PodSelector)
		}
		if !cmp.Equal(c.Spec.Ingress, o.Spec.Ingress) || !cmp.Equal(c.Spec.Egress, o.Spec.Egress) || !cmp.Equal(c.Spec.PolicyTypes, o.Spec.PolicyTypes) {
			t.Errorf("copy %s rules differ from %s", c.Name, o.Name)
		}
		want := []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: "uid-1"}}
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
	if job.Name != "web-eshell-x7k2p" || job.Namespace != "shop" || job.Labels[meta.SessionLabel] != "x7k2p" || job.Labels[meta.ManagedByLabel] != meta.ManagedByValue {
		t.Errorf("job meta %+v", job.ObjectMeta)
	}
	s := job.Spec
	if *s.BackoffLimit != 0 || *s.ActiveDeadlineSeconds != 5400 || *s.TTLSecondsAfterFinished != int32(FinishedTTL/time.Second) {
		t.Errorf("job spec: backoffLimit %d, activeDeadlineSeconds %d, ttl %d", *s.BackoffLimit, *s.ActiveDeadlineSeconds, *s.TTLSecondsAfterFinished)
	}
	if s.Template.Labels["app"] != "" || s.Template.Labels[meta.SessionLabel] != "x7k2p" {
		t.Errorf("the pod template carries labels %v: want the session's, none of the workload's", s.Template.Labels)
	}
	if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || *s.Template.Spec.TerminationGracePeriodSeconds > 2 {
		t.Errorf("pod spec: restartPolicy %s, grace %d", s.Template.Spec.RestartPolicy, *s.Template.Spec.TerminationGracePeriodSeconds)
	}
	if _, ok := job.Annotations[meta.CommandAnnotation]; ok {
		t.Errorf("the Job carries a command annotation: %v", job.Annotations)
	}
	c := s.Template.Spec.Containers[0]
	if !c.Stdin || !c.StdinOnce || c.TTY {
		t.Errorf("the lifeline's container: stdin %v, stdinOnce %v, tty %v; want stdin, stdinOnce, no tty", c.Stdin, c.StdinOnce, c.TTY)
	}
}
