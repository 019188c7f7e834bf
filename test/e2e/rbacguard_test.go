package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// installGuard installs deploy/rbac/eshell-guard.yaml under names of the
// test's own, its binding limited to the test's namespace (other tests
// run beside it on the same cluster), confines user dev there, and
// removes it all at the end.
func installGuard(f *framework.F) {
	f.T.Helper()
	b, err := os.ReadFile(filepath.Join(f.Root, "deploy", "rbac", "eshell-guard.yaml"))
	if err != nil {
		f.T.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	if len(docs) != 2 {
		f.T.Fatalf("eshell-guard.yaml holds %d documents, want the policy and its binding", len(docs))
	}
	var policy admissionv1.ValidatingAdmissionPolicy
	var binding admissionv1.ValidatingAdmissionPolicyBinding
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &policy); err != nil {
		f.T.Fatal(err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &binding); err != nil {
		f.T.Fatal(err)
	}
	name := "eshell-guard-" + f.Namespace
	policy.Name, binding.Name, binding.Spec.PolicyName = name, name, name
	binding.Spec.MatchResources = &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
		MatchLabels: map[string]string{corev1.LabelMetadataName: f.Namespace}}}
	adm := f.Client.AdmissionregistrationV1()
	if _, err := adm.ValidatingAdmissionPolicies().Create(f.Ctx, &policy, metav1.CreateOptions{}); err != nil {
		f.T.Fatal(err)
	}
	f.T.Cleanup(func() {
		_ = adm.ValidatingAdmissionPolicyBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = adm.ValidatingAdmissionPolicies().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	if _, err := adm.ValidatingAdmissionPolicyBindings().Create(f.Ctx, &binding, metav1.CreateOptions{}); err != nil {
		f.T.Fatal(err)
	}
	f.Apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: eshell-guard}
data: {users: dev}
`)
}

// asDev runs kubectl as user dev in the test's namespace.
func asDev(f *framework.F, stdin string, args ...string) framework.Result {
	f.T.Helper()
	cmd := f.Cmd("kubectl", append([]string{"-n", f.Namespace}, args...)...)
	cmd.Env = append(cmd.Env, "KUBECONFIG="+f.DevKubeconfig)
	return f.Run(cmd, stdin)
}

// With the guard, dev keeps every eshell mode and loses what the Roles'
// namespace-wide rights allowed beyond them.
func TestEshellGuard(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	f.Apply(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: nightly-report}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: report, image: bash:5.2, command: ["true"]}]
`)
	installGuard(f)

	allowAll := `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
  egress: [{}]
`
	// The policy takes effect within seconds of its creation.
	f.Eventually("the guard to refuse dev an allow-all NetworkPolicy", 30*time.Second, func() bool {
		r := asDev(f, allowAll, "create", "-f", "-")
		if r.Code == 0 {
			asDev(f, "", "delete", "networkpolicy", "allow-all")
		}
		return r.Code != 0 && strings.Contains(r.Stderr, "is not an eshell session's copy")
	})
	if r := asDev(f, "", "delete", "job", "nightly-report"); r.Code == 0 || !strings.Contains(r.Stderr, "is not an eshell session's") {
		t.Errorf("dev deleted a Job that is not eshell's: %+v", r)
	}
	if r := asDev(f, "", "create", "secret", "generic", "mine", "--from-literal=k=v"); r.Code == 0 || !strings.Contains(r.Stderr, "is not an eshell env Secret") {
		t.Errorf("dev created an arbitrary Secret: %+v", r)
	}

	// Every mode still works: exec, debug, a clone with its policy copy
	// and its env Secret, a kept clone ended with end.
	for _, args := range [][]string{
		{"deploy/web", "--mode", "exec", "--", "true"},
		{"deploy/web", "--mode", "debug", "--", "true"},
		{"deploy/web", "--set-env", "FOO=bar", "--", "sh", "-c", `test "$FOO" = bar`},
	} {
		if r := f.Eshell("", args...); r.Code != 0 {
			t.Errorf("%v under the guard: %+v", args, r)
		}
	}
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	if r := f.Eshell("", "end", id); r.Code != 0 {
		t.Errorf("end %s under the guard: %+v", id, r)
	}
	expectNoClones(f)
}
