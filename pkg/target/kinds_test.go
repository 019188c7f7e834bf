package target

import (
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestKindsTable(t *testing.T) {
	for _, k := range Kinds() {
		if k.Short() == "" || k.Resource() == "" {
			t.Errorf("%s is missing names: %q %q", k, k.Short(), k.Resource())
		}
		if got, err := kindFor(k.Resource()+"."+k.Group(), "", nil); k.Group() != "" && (err != nil || got != k) {
			t.Errorf("%s.%s = %s, %v", k.Resource(), k.Group(), got, err)
		}
	}
	if KindCronJob.GroupResource() != (schema.GroupResource{Group: "batch", Resource: "cronjobs"}) {
		t.Errorf("cronjobs live in %v", KindCronJob.GroupResource())
	}
	if len(WorkloadKinds) != len(Kinds())-2 || slices.Contains(WorkloadKinds, KindPod) || slices.Contains(WorkloadKinds, KindService) {
		t.Errorf("WorkloadKinds %v must be every kind but Pod and Service", WorkloadKinds)
	}
}

func TestKindForAsksTheMapperForOtherNames(t *testing.T) {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	if _, err := kindFor("configmaps", "configmaps/web", m); err == nil || !strings.Contains(err.Error(), "cannot open a shell next to configmaps") {
		t.Errorf("a kind the server knows but eshell does not support: %v", err)
	}
	if _, err := kindFor("cm", "cm/web", nil); err == nil || !strings.Contains(err.Error(), `unknown resource type "cm" in "cm/web"`) {
		t.Errorf("without a mapper: %v", err)
	}
	if k, err := kindFor("deploy", "deploy/web", m); err != nil || k != KindDeployment {
		t.Errorf("deploy = %s, %v", k, err)
	}
}

func TestJobEnd(t *testing.T) {
	cond := func(typ batchv1.JobConditionType, st corev1.ConditionStatus) batchv1.JobCondition {
		return batchv1.JobCondition{Type: typ, Status: st}
	}
	for _, tc := range []struct {
		name  string
		conds []batchv1.JobCondition
		want  batchv1.JobConditionType
	}{
		{"running", nil, ""},
		{"suspended only", []batchv1.JobCondition{cond(batchv1.JobSuspended, corev1.ConditionTrue)}, ""},
		{"complete", []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue), cond(batchv1.JobComplete, corev1.ConditionTrue)}, batchv1.JobComplete},
		{"failed", []batchv1.JobCondition{cond(batchv1.JobFailureTarget, corev1.ConditionTrue), cond(batchv1.JobFailed, corev1.ConditionTrue)}, batchv1.JobFailed},
		{"failed, not yet true", []batchv1.JobCondition{cond(batchv1.JobFailed, corev1.ConditionFalse)}, ""},
	} {
		got := JobEnd(&batchv1.Job{Status: batchv1.JobStatus{Conditions: tc.conds}})
		if (got == nil) != (tc.want == "") || got != nil && got.Type != tc.want {
			t.Errorf("%s: JobEnd = %+v, want %q", tc.name, got, tc.want)
		}
	}
}

func TestKindForLearnsWorkloadCustomResources(t *testing.T) {
	m := meta.NewDefaultRESTMapper(nil)
	rollout := schema.GroupVersionKind{Group: "rollouts.test", Version: "v1alpha1", Kind: "Rollout"}
	m.Add(rollout, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "rollouts.test", Version: "v1alpha1", Kind: "Fleet"}, meta.RESTScopeRoot)
	m.Add(schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, meta.RESTScopeNamespace)
	for _, typ := range []string{"rollouts", "rollout", "rollouts.rollouts.test", "rollout.rollouts.test"} {
		k, err := kindFor(typ, typ+"/web", m)
		if err != nil || k != "Rollout.rollouts.test" {
			t.Fatalf("%s = %q, %v", typ, k, err)
		}
	}
	k := Kind("Rollout.rollouts.test")
	if k.Short() != "rollout.rollouts.test" || k.Name() != "Rollout" || k.GroupResource() != (schema.GroupResource{Group: "rollouts.test", Resource: "rollouts"}) {
		t.Errorf("learned kind: short %q, name %q, %v", k.Short(), k.Name(), k.GroupResource())
	}
	if r, err := ParseRefWith(Ref{Kind: k, Name: "web"}.String(), m); err != nil || r.Kind != k {
		t.Errorf("the learned kind's TYPE/NAME does not parse back: %v, %v", r, err)
	}
	if KindDeployment.Name() != "Deployment" {
		t.Errorf("Deployment.Name() = %q", KindDeployment.Name())
	}
	// A built-in API group holds no workload eshell does not know; a
	// cluster-scoped resource is no workload.
	if _, err := kindFor("ingresses", "ingresses/web", m); err == nil || !strings.Contains(err.Error(), "cannot open a shell next to ingresses.networking.k8s.io") {
		t.Errorf("ingresses: %v", err)
	}
	if _, err := kindFor("fleets", "fleets/all", m); err == nil || !strings.Contains(err.Error(), "not namespaced") {
		t.Errorf("fleets: %v", err)
	}
}

func TestCustomWorkload(t *testing.T) {
	obj := func(spec map[string]any) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
		u.SetAPIVersion("rollouts.test/v1alpha1")
		u.SetKind("Rollout")
		u.SetName("web")
		u.SetNamespace("shop")
		u.SetUID("u-1")
		return u
	}
	template := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "web", "image": "busybox:1.37", "env": []any{map[string]any{"name": "A", "value": "1"}}}}},
	}
	w, err := workloadOf(obj(map[string]any{"template": template, "selector": map[string]any{"matchLabels": map[string]any{"app": "web", "tier": "front"}}}))
	if err != nil {
		t.Fatal(err)
	}
	if w.Kind != "Rollout.rollouts.test" || w.APIVersion != "rollouts.test/v1alpha1" || w.UID != "u-1" || w.Owner != "" ||
		w.Selector.String() != "app=web,tier=front" || w.Template.Spec.Containers[0].Env[0].Value != "1" {
		t.Errorf("with a selector: %+v", w)
	}
	// No selector: the pods it owns, among those with the template's labels.
	w, err = workloadOf(obj(map[string]any{"template": template}))
	if err != nil || w.Owner != "u-1" || w.Selector.String() != "app=web" {
		t.Errorf("without a selector: %+v, %v", w, err)
	}
	for spec, want := range map[string]map[string]any{
		"has no pod template at spec.template":                                   {"replicas": int64(1)},
		"the spec.template of rollout.rollouts.test/web is not a pod template":   {"template": map[string]any{"spec": "x"}},
		"the spec.selector of rollout.rollouts.test/web is not a label selector": {"template": template, "selector": map[string]any{"matchLabels": "x"}},
	} {
		if _, err := workloadOf(obj(want)); err == nil || !strings.Contains(err.Error(), spec) {
			t.Errorf("%v: %v, want %q", want, err, spec)
		}
	}
}
