package e2e

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// The packet tests: NetworkPolicies are enforced on the local node
// (kube-router's firewall, hack/netpol.sh), and what a pod reaches is
// measured with busybox nc against busybox httpd (any HTTP answer is a
// connection; a blocked one times out after 3 s).

// server is a Deployment of busybox httpd on ports, labelled app=name.
func server(name string, ports ...int) string {
	var cmd []string
	for _, p := range ports {
		cmd = append(cmd, fmt.Sprintf("httpd -f -p %d -h / &", p))
	}
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: %[1]s
        image: busybox:1.37
        command: [sh, -c, '%[2]s wait']
        ports: [{name: http, containerPort: %[3]d}]
---
`, name, strings.Join(cmd, " "), ports[0])
}

// runningPod waits until one running pod matches selector in ns and returns it.
func runningPod(f *framework.F, ns, selector string) corev1.Pod {
	f.T.Helper()
	var pod corev1.Pod
	f.Eventually("a running pod "+selector+" in "+ns, 60*time.Second, func() bool {
		l, err := f.Client.CoreV1().Pods(ns).List(f.Ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false
		}
		for _, p := range l.Items {
			if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && p.DeletionTimestamp == nil {
				pod = p
				return true
			}
		}
		return false
	})
	return pod
}

// reach runs, in pod, one bounded nc per "name=IP:PORT" target at once and
// returns the names that answered, sorted.
func reach(f *framework.F, pod corev1.Pod, targets []string) []string {
	f.T.Helper()
	var script strings.Builder
	for _, t := range targets {
		name, addr, _ := strings.Cut(t, "=")
		host, port, _ := strings.Cut(addr, ":")
		fmt.Fprintf(&script, `(printf 'GET / HTTP/1.0\r\n\r\n' | timeout 3 nc %s %s | grep -q '^HTTP/1' && echo %s) & `, host, port, name)
	}
	script.WriteString("wait")
	r := f.Run(f.Cmd(f.Env.Kubectl, "-n", pod.Namespace, "exec", pod.Name, "-c", pod.Spec.Containers[0].Name, "--", "sh", "-c", script.String()), "")
	if r.Code != 0 {
		f.T.Fatalf("probing from %s/%s: exit %d: %s", pod.Namespace, pod.Name, r.Code, r.Stderr)
	}
	got := strings.Fields(r.Stdout)
	sort.Strings(got)
	return got
}

func target(name string, pod corev1.Pod, port int) string {
	return fmt.Sprintf("%s:%d=%s:%d", name, port, pod.Status.PodIP, port)
}

// A default-deny policy blocks a pod-to-pod connection that works without
// it, and taking it away lets the connection through again: the node
// enforces NetworkPolicies.
func TestNetpolEnforced(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(server("srv", 8080) + server("cli", 8080))
	srv, cli := runningPod(f, f.Namespace, "app=srv"), runningPod(f, f.Namespace, "app=cli")
	to := []string{target("srv", srv, 8080)}
	f.Eventually("cli to reach srv with no policy", 30*time.Second, func() bool { return len(reach(f, cli, to)) == 1 })
	f.Apply(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}, policyTypes: [Ingress]}
`)
	f.Eventually("default deny to block cli to srv", 30*time.Second, func() bool { return len(reach(f, cli, to)) == 0 })
	f.Kubectl("", "delete", "networkpolicy", "deny")
	f.Eventually("cli to reach srv again once the policy is gone", 30*time.Second, func() bool { return len(reach(f, cli, to)) == 1 })
}

// allowLists is the microservice policy set of the parity test: a
// default deny in both directions, and allow-lists that name their callers.
const allowLists = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-allow}
spec:
  podSelector: {matchLabels: {app: backend}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-egress}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: backend}}}]
    ports: [{port: 8080}, {port: 9090}]
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %[1]s}}, podSelector: {matchLabels: {app: store}}}]
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-ingress}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: caller}}}], ports: [{port: http}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: caller-egress}
spec:
  podSelector: {matchLabels: {app: caller}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: frontend}}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-hash-egress}
spec:
  podSelector: {matchLabels: {pod-template-hash: %[2]s}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: hashpeer}}}], ports: [{port: 7070}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: hashpeer-allow}
spec:
  podSelector: {matchLabels: {app: hashpeer}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {pod-template-hash: %[2]s}}}], ports: [{port: 7070}]}]
`

// The store's namespace lets the frontend of the first in on 8080 and
// nobody else.
const storePolicies = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: store-allow}
spec:
  podSelector: {matchLabels: {app: store}}
  policyTypes: [Ingress]
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}, podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: 8080}]
`

// listPoliciesEverywhere lets dev list NetworkPolicies in every namespace,
// which finding policies of other namespaces that admit a workload needs
// (README, isolation). It only lets dev read more; removed after the test.
func listPoliciesEverywhere(f *framework.F) {
	f.T.Helper()
	// A grant to dev for every namespace is seen by every test running as
	// dev meanwhile: the tests that need dev without it wait (devGrants).
	devGrants.RLock()
	f.T.Cleanup(devGrants.RUnlock)
	name := "e2e-" + f.Namespace + "-list-netpol"
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"list"}}}}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "dev"}}}
	if _, err := f.Client.RbacV1().ClusterRoles().Create(f.Ctx, cr, metav1.CreateOptions{}); err != nil {
		f.T.Fatal(err)
	}
	if _, err := f.Client.RbacV1().ClusterRoleBindings().Create(f.Ctx, crb, metav1.CreateOptions{}); err != nil {
		f.T.Fatal(err)
	}
	f.T.Cleanup(func() {
		_ = f.Client.RbacV1().ClusterRoleBindings().Delete(f.Ctx, name, metav1.DeleteOptions{})
		_ = f.Client.RbacV1().ClusterRoles().Delete(f.Ctx, name, metav1.DeleteOptions{})
	})
}

// row is what a subject pod reaches and who reaches it: "out name:port"
// and "in name" entries, sorted.
func row(f *framework.F, subject corev1.Pod, targets []string, sources map[string]corev1.Pod) []string {
	var out []string
	for _, r := range reach(f, subject, targets) {
		out = append(out, "out "+r)
	}
	names := make([]string, 0, len(sources))
	for name := range sources {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if len(reach(f, sources[name], []string{target("subject", subject, 8080)})) == 1 {
			out = append(out, "in "+name)
		}
	}
	sort.Strings(out)
	return out
}

// startClone opens a clone session of ref whose command serves HTTP on
// 8080, waits until its pod runs and returns it with a stop function that
// ends the session as a user would (SIGTERM) and returns its output.
func startClone(f *framework.F, ref string) (corev1.Pod, func() string) {
	f.T.Helper()
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, ref, "-i=false", "--", "sh", "-c", "httpd -p 8080 -h /; sleep 300")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		f.T.Fatal(err)
	}
	stopped := false
	stop := func() string {
		if !stopped {
			stopped = true
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		return out.String()
	}
	f.T.Cleanup(func() { stop() })
	pod := runningClone(f)
	// Its server runs once the exec'd command has started it.
	f.Eventually("the clone's httpd to listen", 30*time.Second, func() bool {
		r := f.Run(f.Cmd(f.Env.Kubectl, "-n", f.Namespace, "exec", pod.Name, "--", "sh", "-c", `printf 'GET / HTTP/1.0\r\n\r\n' | timeout 3 nc 127.0.0.1 8080 | grep -q '^HTTP/1'`), "")
		return r.Code == 0
	})
	return pod, stop
}

func sessionPolicies(f *framework.F, ns string) int {
	f.T.Helper()
	l, err := f.Client.NetworkingV1().NetworkPolicies(ns).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatal(err)
	}
	return len(l.Items)
}

// The microservice policy set (default deny, allow-lists that name their
// callers, one keyed on pod-template-hash, a second namespace that lets the
// frontend in): the clone of the frontend reaches exactly what the
// frontend reaches and is reached by exactly who reaches it, measured by
// packets; afterwards no copy and no companion is left.
func TestNetpolParityAllowLists(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	store := framework.New(t)
	listPoliciesEverywhere(f)
	f.Apply(server("frontend", 8080) + server("backend", 8080, 9090) + server("caller", 8080) + server("other", 8080) + server("hashpeer", 7070))
	store.Apply(server("store", 8080))
	frontend := runningPod(f, f.Namespace, "app=frontend")
	hash := frontend.Labels["pod-template-hash"]
	if hash == "" {
		t.Fatalf("the frontend pod has no pod-template-hash: %v", frontend.Labels)
	}
	f.Apply(fmt.Sprintf(allowLists, store.Namespace, hash))
	store.Apply(fmt.Sprintf(storePolicies, f.Namespace))

	backend, other, hashpeer, caller := runningPod(f, f.Namespace, "app=backend"), runningPod(f, f.Namespace, "app=other"), runningPod(f, f.Namespace, "app=hashpeer"), runningPod(f, f.Namespace, "app=caller")
	storePod := runningPod(f, store.Namespace, "app=store")
	targets := []string{target("backend", backend, 8080), target("backend", backend, 9090), target("other", other, 8080),
		target("hashpeer", hashpeer, 7070), target("caller", caller, 8080), target("store", storePod, 8080)}
	sources := map[string]corev1.Pod{"caller": caller, "other": other, "backend": backend}
	want := []string{"in caller", "out backend:8080", "out hashpeer:7070", "out store:8080"}
	var original []string
	f.Eventually("the frontend's reachability to settle on the policies", 60*time.Second, func() bool {
		original = row(f, frontend, targets, sources)
		return strings.Join(original, ",") == strings.Join(want, ",")
	})

	clone, stop := startClone(f, "deploy/frontend")
	var cloned []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		cloned = row(f, clone, targets, sources)
		if strings.Join(cloned, ",") == strings.Join(original, ",") || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Logf("reachability matrix: frontend %v, its clone %v", original, cloned)
	if strings.Join(cloned, ",") != strings.Join(original, ",") {
		t.Errorf("the clone reaches and is reached by %v, the frontend by %v", cloned, original)
	}
	if n := sessionPolicies(store, store.Namespace); n != 1 {
		t.Errorf("%d session policies in the store's namespace during the session, want 1 companion", n)
	}
	out := stop()
	expectNoClones(f)
	if n := sessionPolicies(store, store.Namespace); n != 0 {
		t.Errorf("%d companions left in the store's namespace after the session; output:\n%s", n, out)
	}
	f.Eventually("the copies and companions of the frontend's namespace to go with the clone", 60*time.Second, func() bool { return sessionPolicies(f, f.Namespace) == 0 })
}

// A StatefulSet policy keyed on statefulset.kubernetes.io/pod-name, on both
// sides: db-0 may reach peer:8080 and peer admits db-0; the clone of the
// StatefulSet reaches the same, nothing more.
func TestNetpolParityStatefulSetPodName(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(server("peer", 8080, 9090) + `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: db, image: busybox:1.37, command: [httpd, -f, -p, "8080", -h, /]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-0-out}
spec:
  podSelector: {matchLabels: {statefulset.kubernetes.io/pod-name: db-0}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: peer}}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: peer-in}
spec:
  podSelector: {matchLabels: {app: peer}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {statefulset.kubernetes.io/pod-name: db-0}}}], ports: [{port: 8080}]}]
`)
	db, peer := runningPod(f, f.Namespace, "app=db"), runningPod(f, f.Namespace, "app=peer")
	targets := []string{target("peer", peer, 8080), target("peer", peer, 9090)}
	sources := map[string]corev1.Pod{"peer": peer}
	want := []string{"out peer:8080"}
	var original []string
	f.Eventually("db-0's reachability to settle on the policies", 60*time.Second, func() bool {
		original = row(f, db, targets, sources)
		return strings.Join(original, ",") == strings.Join(want, ",")
	})
	clone, stop := startClone(f, "sts/db")
	var cloned []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		cloned = row(f, clone, targets, sources)
		if strings.Join(cloned, ",") == strings.Join(original, ",") || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	t.Logf("reachability matrix: db-0 %v, its clone %v", original, cloned)
	if strings.Join(cloned, ",") != strings.Join(original, ",") {
		t.Errorf("the clone reaches and is reached by %v, db-0 by %v", cloned, original)
	}
	stop()
	expectNoClones(f)
	f.Eventually("the copies and companions to go with the clone", 60*time.Second, func() bool { return sessionPolicies(f, f.Namespace) == 0 })
}

// Where a companion is needed in a namespace the user may not create
// NetworkPolicies in, the clone is refused before anything is created, with
// the policy it could not be admitted by and the missing permissions;
// --no-network-policies clones without it.
func TestNetpolCompanionRefused(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	store := framework.NewUnbound(t) // dev holds no Role there
	listPoliciesEverywhere(f)
	f.Apply(server("frontend", 8080))
	store.Apply(fmt.Sprintf(storePolicies, f.Namespace))
	runningPod(f, f.Namespace, "app=frontend")
	r := f.Eshell("", "deploy/frontend", "--", "true")
	for _, want := range []string{store.Namespace + "/store-allow", "nothing was created", "create networkpolicies.networking.k8s.io", `in namespace "` + store.Namespace + `"`, "--no-network-policies"} {
		if r.Code != 1 || !strings.Contains(r.Stderr, want) {
			t.Errorf("want a refusal with %q, got exit %d: %s", want, r.Code, r.Stderr)
		}
	}
	if n := len(cloneJobs(f)) + sessionPolicies(f, f.Namespace) + sessionPolicies(store, store.Namespace); n != 0 {
		t.Errorf("a refused clone created %d objects", n)
	}
	r = f.Eshell("", "deploy/frontend", "--no-network-policies", "--", "echo", "unconfined")
	if r.Code != 0 || !strings.Contains(r.Stdout, "unconfined") {
		t.Errorf("--no-network-policies should clone: %+v", r)
	}
	expectNoClones(f)
}
