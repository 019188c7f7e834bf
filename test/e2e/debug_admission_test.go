package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// debugOnly runs the plugin as a user who holds deploy/rbac/eshell-debug.yaml
// in the test's namespace and nothing else: not even the ClusterRole that
// lets "dev" read namespaces, which a namespaced Role cannot grant.
func debugOnly(f *framework.F, stdin string, args ...string) framework.Result {
	f.T.Helper()
	user := "debug-only-" + f.Namespace
	f.Apply(fmt.Sprintf(`
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debug-only}
subjects: [{kind: User, name: %s, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: eshell-debug, apiGroup: rbac.authorization.k8s.io}
`, user))
	if _, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, f.Namespace, metav1.GetOptions{}); err != nil {
		f.T.Fatal(err)
	}
	cmd := f.AsAdmin(append([]string{"--as", user, "-n", f.Namespace}, args...)...)
	return f.Run(cmd, stdin)
}

// --profile auto is decided by the API server's admission, so a user who
// may not read the namespace still gets the profile its level admits.
func TestDebugAutoAsDebugOnlyUser(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ level, want, refused string }{
		{"none", "general", ""},
		{"baseline", "baseline", `--profile general was refused: violates PodSecurity "baseline:latest"`},
		{"restricted", "restricted", `--profile baseline was refused: violates PodSecurity "restricted:latest"`},
	} {
		t.Run(c.level, func(t *testing.T) {
			t.Parallel()
			f := framework.New(t)
			if c.level != "none" {
				labelNamespace(f, c.level)
			}
			d := newDebugTarget(f, c.level == "restricted")
			start := time.Now()
			r := debugOnly(f, "echo ok-$GREETING\n", "deploy/web", "--mode", "debug", "--no-audit")
			t.Logf("session as the debug-only user took %s", time.Since(start))
			if r.Code != 0 || !strings.Contains(r.Stdout, "ok-"+greeting) {
				t.Fatalf("auto profile: %+v", r)
			}
			if !strings.Contains(r.Stderr, "Using --profile "+c.want) || (c.refused != "" && !strings.Contains(r.Stderr, c.refused)) {
				t.Errorf("want --profile %s chosen, after %q:\n%s", c.want, c.refused, r.Stderr)
			}
			if strings.Contains(r.Stderr, "You may not read namespace") {
				t.Errorf("auto must not depend on reading the namespace:\n%s", r.Stderr)
			}
			d.expectCount(1, "after one session")
		})
	}
}

// A ValidatingAdmissionPolicy that Pod Security knows nothing of: auto
// avoids what it forbids, and an explicit profile it refuses is reported
// with the policy's words and advice that names another profile.
func TestDebugAutoFollowsAdmissionPolicy(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	name := "eshell-e2e-no-ptrace-" + framework.RandSuffix()
	f.Kubectl(fmt.Sprintf(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: %[1]s}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [pods/ephemeralcontainers]}
  validations:
  - expression: "!has(object.spec.ephemeralContainers) || object.spec.ephemeralContainers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || !c.securityContext.capabilities.add.exists(x, x == 'SYS_PTRACE'))"
    message: "e2e policy: no SYS_PTRACE in ephemeral containers"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: %[1]s}
spec:
  policyName: %[1]s
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[2]s}}
`, name, f.Namespace), "apply", "-f", "-")
	t.Cleanup(func() {
		f.Run(f.Cmd(f.Env.Kubectl, "delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", name, "--ignore-not-found"), "")
	})
	// The policy takes effect once the API server has compiled it: wait
	// until a general container is refused.
	r := f.Eshell("", "deploy/web", "--mode", "debug", "--profile", "general", "--dry-run=client", "-o", "json")
	var ec corev1.EphemeralContainer
	if err := json.Unmarshal([]byte(r.Stdout), &ec); err != nil {
		t.Fatalf("dry run: %v\n%s", err, r.Stdout)
	}
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []any{ec}}})
	f.Eventually("the policy to refuse SYS_PTRACE", 30*time.Second, func() bool {
		_, err := f.Client.CoreV1().Pods(f.Namespace).Patch(f.Ctx, d.pod().Name, types.StrategicMergePatchType, body,
			metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}, "ephemeralcontainers")
		return err != nil && strings.Contains(err.Error(), "no SYS_PTRACE")
	})

	r = debugOnly(f, "echo policy-ok\n", "deploy/web", "--mode", "debug", "--no-audit")
	if r.Code != 0 || !strings.Contains(r.Stdout, "policy-ok") {
		t.Fatalf("auto under the policy: %+v", r)
	}
	for _, want := range []string{"--profile general was refused", name, "no SYS_PTRACE", "Using --profile baseline"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the output lacks %q:\n%s", want, r.Stderr)
		}
	}
	d.expectCount(1, "after the auto session")

	r = debugOnly(f, "", "deploy/web", "--mode", "debug", "--profile", "general", "--no-audit")
	if r.Code != 1 || !strings.Contains(r.Stderr, "no SYS_PTRACE") || !strings.Contains(r.Stderr, "--profile baseline is admitted") ||
		strings.Contains(r.Stderr, "use --profile general") || strings.Contains(r.Stderr, "try --profile general") {
		t.Errorf("--profile general under the policy: %+v", r)
	}
	d.expectCount(1, "after the refused --profile general")
}
