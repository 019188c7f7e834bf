package target

import (
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
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
	m := apimeta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, apimeta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, apimeta.RESTScopeNamespace)
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
