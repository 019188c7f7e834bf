package clone

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/plan"
)

func TestEnvSecret(t *testing.T) {
	job := testJob()
	job.UID = "job-uid"
	job.Annotations = map[string]string{keys.SourceAnnotation: "deployment/web"}
	s := EnvSecret(job, []plan.EnvOverride{{Name: "PASSWORD", Value: "hunter22"}, {Name: "EMPTY"}})
	if s.Name != "eshell-env-x7k2p" || s.Name != EnvSecretName("x7k2p") || s.Namespace != "shop" {
		t.Errorf("name %s/%s", s.Namespace, s.Name)
	}
	if s.Labels[keys.ManagedByLabel] != keys.ManagedByValue || s.Labels[keys.SessionLabel] != "x7k2p" || s.Annotations[keys.SourceAnnotation] != "deployment/web" {
		t.Errorf("labels %v, annotations %v: want the session's, like the clone's other objects", s.Labels, s.Annotations)
	}
	want := []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "web-eshell-x7k2p", UID: "job-uid", BlockOwnerDeletion: new(true)}}
	if !reflect.DeepEqual(s.OwnerReferences, want) {
		t.Errorf("owners %v: want the Job alone, blocking its deletion, so the garbage collector deletes the Secret with it and before it", s.OwnerReferences)
	}
	if string(s.Data["PASSWORD"]) != "hunter22" || len(s.Data["EMPTY"]) != 0 || len(s.Data) != 2 || s.StringData != nil {
		t.Errorf("data %q", s.Data)
	}
	if s.Immutable == nil || !*s.Immutable || s.Type != "Opaque" {
		t.Errorf("immutable %v, type %s", s.Immutable, s.Type)
	}
	if got := EnvNames([]plan.EnvOverride{{Name: "B"}, {Name: "A"}}); strings.Join(got, ",") != "B,A" {
		t.Errorf("EnvNames = %v, want the order given", got)
	}
}

// What --dry-run prints of the Secret says what is set and how long each
// value is, and no value, in any encoding.
func TestRedacted(t *testing.T) {
	s := EnvSecret(testJob(), []plan.EnvOverride{{Name: "PASSWORD", Value: "hunter22"}, {Name: "EMPTY"}})
	s.TypeMeta = metav1.TypeMeta{}
	r := Redacted(s)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for _, leak := range []string{"hunter22", "aHVudGVyMjI"} {
		if strings.Contains(out, leak) {
			t.Errorf("the redacted Secret shows a value: %s", out)
		}
	}
	if r.StringData["PASSWORD"] != "<redacted: 8 bytes>" || r.StringData["EMPTY"] != "<redacted: 0 bytes>" || r.Data != nil || r.Kind != "Secret" {
		t.Errorf("redacted: %s", out)
	}
	if string(s.Data["PASSWORD"]) != "hunter22" {
		t.Error("Redacted changed the Secret it was given")
	}
}
