package e2e

// Fixtures that tests of several features share: the workloads they run
// against and what they look up afterwards. A helper used by one file
// stays in that file.

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// idleWeb is a Deployment web with no replica, whose pod spec is spec
// (YAML, unindented): a clone needs only the template, and exec and debug
// find no pod in it.
func idleWeb(spec string) string {
	lines := strings.Split(strings.TrimSpace(spec), "\n")
	for i, l := range lines {
		lines[i] = "      " + l
	}
	return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
` + strings.Join(lines, "\n") + "\n"
}

// webApp is a Deployment with env from a ConfigMap and a Secret, a Service
// selecting it, a native sidecar and an init container that leaves a
// marker in a shared emptyDir (so a clone can tell whether it ran).
func webApp(f *framework.F, image string) {
	f.T.Helper()
	f.Apply(fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {GREETING: hello-from-config}
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret}
stringData: {API_KEY: s3cret-value}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
      - name: migrate
        image: %[1]s
        command: [sh, -c, "echo ran > /shared/init-marker"]
        volumeMounts: [{name: shared, mountPath: /shared}]
      - name: proxy
        image: %[1]s
        restartPolicy: Always
        command: [sleep, infinity]
      containers:
      - name: web
        image: %[1]s
        command: [sleep, infinity]
        envFrom: [{configMapRef: {name: web-config}}]
        env: [{name: API_KEY, valueFrom: {secretKeyRef: {name: web-secret, key: API_KEY}}}]
        readinessProbe: {exec: {command: ["true"]}}
        volumeMounts: [{name: shared, mountPath: /shared}]
      volumes: [{name: shared, emptyDir: {}}]
`, image))
	f.Rollout("deploy/web")
}

// cloneJobs lists the clone Jobs in the test's namespace.
func cloneJobs(f *framework.F) []batchv1.Job {
	f.T.Helper()
	l, err := f.Client.BatchV1().Jobs(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatalf("listing clone jobs: %v", err)
	}
	return l.Items
}

func clones(f *framework.F) []corev1.Pod {
	f.T.Helper()
	l, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatalf("listing clones: %v", err)
	}
	return l.Items
}

// runningClone waits until a clone pod runs and returns it.
func runningClone(f *framework.F) corev1.Pod {
	f.T.Helper()
	var pod corev1.Pod
	f.Eventually("the clone to run", 30*time.Second, func() bool {
		for _, p := range clones(f) {
			if p.Status.Phase == corev1.PodRunning {
				pod = p
				return true
			}
		}
		return false
	})
	return pod
}

// expectNoClones waits until no clone Job and no clone pod is left. The
// session deletes the Job at once; the garbage collector and the kubelet
// remove the pod within seconds.
func expectNoClones(f *framework.F) {
	f.T.Helper()
	expectNoClonesWithin(f, 60*time.Second)
}

func expectNoClonesWithin(f *framework.F, d time.Duration) {
	f.T.Helper()
	f.Eventually("no clone Jobs or pods left", d, func() bool { return len(cloneJobs(f)) == 0 && len(clones(f)) == 0 })
}

// expectJobRemoved checks that the session removed its Job before it
// returned, and that the pod follows.
func expectJobRemoved(f *framework.F, out string) {
	f.T.Helper()
	if n := len(cloneJobs(f)); n != 0 {
		f.T.Errorf("%d clone Jobs remain after the session returned; output:\n%s", n, out)
	}
	expectNoClones(f)
}

// debugTarget is a Deployment "web" whose container gets env from a
// ConfigMap and has another ConfigMap mounted under /etc; a debug container
// must see both.
type debugTarget struct {
	f         *framework.F
	mountDir  string // where the file ConfigMap is mounted
	fileValue string // content of mountDir/motd
}

const greeting = "hello-from-debug"

func newDebugTarget(f *framework.F, restricted bool) *debugTarget {
	f.T.Helper()
	d := &debugTarget{f: f, mountDir: "/etc/eshell-e2e-" + framework.RandSuffix(), fileValue: "mounted-" + framework.RandSuffix()}
	podSC, ctrSC := "{}", "{}"
	if restricted {
		podSC = "{runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}"
		ctrSC = "{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}"
	}
	f.Apply(fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {GREETING: %s}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-files}
data: {motd: %s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: %s
      containers:
      - name: web
        image: bash:5.2
        command: [sleep, infinity]
        envFrom: [{configMapRef: {name: web-config}}]
        securityContext: %s
        volumeMounts: [{name: files, mountPath: %s}]
      volumes: [{name: files, configMap: {name: web-files}}]
`, greeting, d.fileValue, podSC, ctrSC, d.mountDir))
	f.Rollout("deploy/web")
	return d
}

// pod is the Deployment's one running pod, fresh from the API server.
// sub is d for the subtest t.
func (d *debugTarget) sub(t *testing.T) *debugTarget {
	c := *d
	c.f = d.f.Sub(t)
	return &c
}

func (d *debugTarget) pod() *corev1.Pod {
	d.f.T.Helper()
	l, err := d.f.Client.CoreV1().Pods(d.f.Namespace).List(d.f.Ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		d.f.T.Fatal(err)
	}
	for i := range l.Items {
		if l.Items[i].Status.Phase == corev1.PodRunning && l.Items[i].DeletionTimestamp == nil {
			return &l.Items[i]
		}
	}
	d.f.T.Fatalf("deploy/web has no running pod")
	return nil
}

func (d *debugTarget) ephemeral() []corev1.EphemeralContainer {
	return d.pod().Spec.EphemeralContainers
}

func (d *debugTarget) status(name string) *corev1.ContainerStatus {
	for _, st := range d.pod().Status.EphemeralContainerStatuses {
		if st.Name == name {
			return &st
		}
	}
	return nil
}

func (d *debugTarget) expectCount(n int, why string) {
	d.f.T.Helper()
	if got := len(d.ephemeral()); got != n {
		d.f.T.Errorf("%s: the pod has %d ephemeral containers, want %d", why, got, n)
	}
}

func (d *debugTarget) expectTerminated(name string, within time.Duration) *corev1.ContainerStateTerminated {
	d.f.T.Helper()
	var t *corev1.ContainerStateTerminated
	d.f.Eventually("debug container "+name+" to terminate", within, func() bool {
		if st := d.status(name); st != nil && st.State.Terminated != nil {
			t = st.State.Terminated
			return true
		}
		return false
	})
	return t
}

// keptID is the session id a --keep session printed in its hint.
func keptID(f *framework.F, r framework.Result) string {
	f.T.Helper()
	m := regexp.MustCompile(`Open another shell: kubectl eshell attach ([a-z0-9]{5}) -n ` + f.Namespace + `;`).FindStringSubmatch(r.Stderr)
	if r.Code != 0 || m == nil {
		f.T.Fatalf("--keep should exit 0 and say how to attach: %+v", r)
	}
	return m[1]
}

// podOf is the name of the one pod labelled app=APP in f's namespace.
func podOf(f *framework.F, app string) string {
	f.T.Helper()
	l, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil || len(l.Items) != 1 {
		f.T.Fatalf("want the one pod of deploy/%s, got %v (err %v)", app, l, err)
	}
	return l.Items[0].Name
}

// asEnvironment turns f's namespace into an environment: it adds labels (the
// environment's key=value among them) and sets status and URL annotations.
func asEnvironment(f *framework.F, labels, annotations map[string]string) {
	f.T.Helper()
	ns, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, f.Namespace, metav1.GetOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	maps.Copy(ns.Labels, labels)
	ns.Annotations = annotations
	if _, err := f.Client.CoreV1().Namespaces().Update(f.Ctx, ns, metav1.UpdateOptions{}); err != nil {
		f.T.Fatal(err)
	}
}

// labelNamespace sets the namespace's Pod Security enforce level.
func labelNamespace(f *framework.F, level string) {
	f.T.Helper()
	ns, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, f.Namespace, metav1.GetOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	ns.Labels["pod-security.kubernetes.io/enforce"] = level
	if _, err := f.Client.CoreV1().Namespaces().Update(f.Ctx, ns, metav1.UpdateOptions{}); err != nil {
		f.T.Fatal(err)
	}
}

// completes is one completion and the values it must offer, in order.
type completes struct {
	args []string
	want []string
}

// wantCompletions fails t for each case whose values differ.
func wantCompletions(t *testing.T, f *framework.F, cases []completes) {
	t.Helper()
	for _, c := range cases {
		if got := framework.Values(f.Complete(c.args...)); !slices.Equal(got, c.want) {
			t.Errorf("__complete %q = %q, want %q", c.args, got, c.want)
		}
	}
}

// devGrants orders the tests that grant dev a permission in every
// namespace (RLock, held until the test ends) against those that need dev
// to lack it (Lock, around the session that checks): such a grant is
// cluster-wide, so it reaches every other test's namespace.
var devGrants sync.RWMutex
