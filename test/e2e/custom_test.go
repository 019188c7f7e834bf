package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// ctCRD is a workload custom resource in the manner of Argo Rollouts: a
// pod template at spec.template and, optionally, spec.selector; nothing
// of it is validated.
const ctCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.%[1]s}
spec:
  group: %[1]s
  scope: Namespaced
  names: {plural: rollouts, singular: rollout, kind: Rollout}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// ctObjects: rollout web selects its pods; rollout nosel has no selector,
// so its pods are those it owns; rollout empty has no pod template.
const ctObjects = `apiVersion: %[1]s/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web-ro}}
  template:
    metadata: {labels: {app: web-ro}}
    spec:
      containers:
      - {name: app, image: busybox:1.37, command: [sleep, infinity], env: [{name: MARK, value: from-rollout}]}
---
apiVersion: %[1]s/v1alpha1
kind: Rollout
metadata: {name: nosel}
spec:
  template:
    metadata: {labels: {app: nosel}}
    spec:
      containers: [{name: app, image: busybox:1.37, command: [sleep, infinity]}]
---
apiVersion: %[1]s/v1alpha1
kind: Rollout
metadata: {name: empty}
spec: {replicas: 1}
`

// ctPod is a plain pod with labels, owned by the object ownerKind/owner
// (uid) when uid is set.
func ctPod(group, name, app, owner, uid string) string {
	refs := ""
	if uid != "" {
		refs = fmt.Sprintf("\n  ownerReferences: [{apiVersion: %s/v1alpha1, kind: Rollout, name: %s, uid: %s}]", group, owner, uid)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {app: %s}%s
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: app, image: busybox:1.37, command: [sleep, infinity], env: [{name: MARK, value: in-pod}]}]
`, name, app, refs)
}

// TestCustomWorkload: a custom resource with a pod template, found through
// the RESTMapper, in every mode: clone from its template, exec and debug
// in its pod (by selector, or by owner without one). Its Role is the
// admin's to grant: the shipped Roles cannot name it.
func TestCustomWorkload(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	group := "r" + framework.RandSuffix() + ".e2e.eshell.test"
	crd := "rollouts." + group
	f.Apply(fmt.Sprintf(ctCRD, group))
	t.Cleanup(func() {
		r := f.Run(f.Cmd(f.Env.Kubectl, "delete", "crd", crd, "--timeout=60s"), "")
		if r.Code != 0 {
			t.Errorf("removing the CRD: %s", r.Stderr)
		}
	})
	f.Kubectl("", "wait", "--for=condition=Established", "crd/"+crd, "--timeout=30s")
	f.Apply(fmt.Sprintf(ctObjects, group))
	uid := func(name string) string {
		return f.Kubectl("", "get", crd, name, "-o", "jsonpath={.metadata.uid}")
	}
	f.Apply(ctPod(group, "web-ro-1", "web-ro", "web", uid("web")))
	f.Apply(ctPod(group, "nosel-owned", "nosel", "nosel", uid("nosel")))
	f.Kubectl("", "wait", "--for=condition=Ready", "pod/web-ro-1", "pod/nosel-owned", "--timeout=60s")
	// Newer, ready, with the same labels, but not nosel's: not its pod.
	f.Apply(ctPod(group, "nosel-decoy", "nosel", "", ""))
	f.Kubectl("", "wait", "--for=condition=Ready", "pod/nosel-decoy", "--timeout=60s")

	// dev may not read rollouts yet: the pre-check says which rule is missing.
	r := f.Eshell("", crd+"/web", "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, fmt.Sprintf(`get %s "web" in namespace %q`, crd, f.Namespace)) {
		t.Fatalf("without read access to rollouts: %+v", r)
	}
	f.Apply(fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev-rollouts}
rules:
- {apiGroups: [%s], resources: [rollouts], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-rollouts}
subjects: [{kind: User, name: dev, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: dev-rollouts, apiGroup: rbac.authorization.k8s.io}
`, group))
	f.Eventually("dev's Role on rollouts", 10*time.Second, func() bool {
		return f.Run(f.Cmd(f.Env.Kubectl, "-n", f.Namespace, "auth", "can-i", "get", crd, "--as", "dev"), "").Code == 0
	})

	t.Run("Clone", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		// The singular with its group, as kubectl prints it.
		r := f.Eshell("", "rollout."+group+"/web", "--", "sh", "-c", "echo clone-$MARK")
		r.Want(t, 0, "clone-from-rollout\n")
		// The audit Events name the Rollout by its kind.
		f.Eventually("the audit Event on the Rollout", 10*time.Second, func() bool {
			out := f.Kubectl("", "get", "events", "--field-selector", "involvedObject.kind=Rollout,involvedObject.name=web", "-o", "name")
			return strings.TrimSpace(out) != ""
		})
	})
	t.Run("Exec", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		r := f.Eshell("", crd+"/web", "--mode", "exec", "--no-audit", "--", "sh", "-c", "echo exec-$HOSTNAME-$MARK")
		r.Want(t, 0, "exec-web-ro-1-in-pod\n")
		// Without a selector: the pod it owns, not the newer one with its labels.
		r = f.Eshell("", crd+"/nosel", "--mode", "exec", "--no-audit", "--", "sh", "-c", "echo exec-$HOSTNAME")
		r.Want(t, 0, "exec-nosel-owned\n")
	})
	t.Run("Debug", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		r := f.Eshell("", crd+"/web", "--mode", "debug", "--no-audit", "--", "sh", "-c", "echo debug-$HOSTNAME")
		r.Want(t, 0, "debug-web-ro-1\n")
	})
	// The picker offers no custom resource, nor the pods they own: the one
	// candidate is the bare pod, taken without asking.
	t.Run("Picker", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		r := f.Eshell("", "--mode", "exec", "--no-audit", "--", "sh", "-c", "echo picked-$HOSTNAME")
		r.Want(t, 0, "picked-nosel-decoy\n", "Using service pod/nosel-decoy") // the choice is said
	})
	t.Run("NoTemplate", func(t *testing.T) {
		t.Parallel()
		f := f.Sub(t)
		r := f.Eshell("", crd+"/empty", "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, "rollout."+group+"/empty has no pod template at spec.template") {
			t.Errorf("a custom resource without a pod template: %+v", r)
		}
	})
}
