package target

import (
	"strings"
	"testing"

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
	if len(WorkloadKinds) != len(Kinds())-1 || WorkloadKinds[0] == KindPod {
		t.Errorf("WorkloadKinds %v must be every kind but Pod", WorkloadKinds)
	}
}

func TestKindForAsksTheMapperForOtherNames(t *testing.T) {
	m := apimeta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Service"}, apimeta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, apimeta.RESTScopeNamespace)
	if _, err := kindFor("services", "services/web", m); err == nil || !strings.Contains(err.Error(), "cannot open a shell next to services") {
		t.Errorf("a kind the server knows but eshell does not support: %v", err)
	}
	if _, err := kindFor("svc", "svc/web", nil); err == nil || !strings.Contains(err.Error(), `unknown resource type "svc" in "svc/web"`) {
		t.Errorf("without a mapper: %v", err)
	}
	if k, err := kindFor("deploy", "deploy/web", m); err != nil || k != KindDeployment {
		t.Errorf("deploy = %s, %v", k, err)
	}
}
