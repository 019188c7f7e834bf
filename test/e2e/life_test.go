package e2e

// End of life: every session ends on the server when its client dies, and
// `sessions` / `end` see and end the live ones.

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/pkg/live"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// A terminal debug session whose client is SIGKILLed: its lifeline reads
// EOF, the ephemeral container ends, and the shell exec'd into it (in the
// target's PID namespace) dies with it.
func TestDebugSIGKILLEndsTheContainer(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	term := f.Pty("deploy/web", "--mode", "debug")
	term.Expect(`[#$] `, 30*time.Second)
	term.Type("sleep 471\r")
	time.Sleep(time.Second)
	if ps := f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"); !strings.Contains(ps, "sleep 471") {
		t.Fatalf("the debug shell's sleep is not visible from the target:\n%s", ps)
	}
	term.Kill()
	killed := time.Now()
	var name string
	for _, ec := range d.ephemeral() {
		name = ec.Name
	}
	term2 := d.expectTerminated(name, 30*time.Second)
	t.Logf("debug container %s terminated %.1fs after SIGKILL (exit %d)", name, time.Since(killed).Seconds(), term2.ExitCode)
	f.Eventually("the exec'd shell to die with its container", 10*time.Second, func() bool {
		return !strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 471")
	})
}

func listSessions(f *framework.F, args ...string) []live.Info {
	f.T.Helper()
	r := f.Eshell("", append([]string{"sessions", "-o", "json"}, args...)...)
	if r.Code != 0 {
		f.T.Fatalf("sessions: %+v", r)
	}
	var out []live.Info
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		f.T.Fatalf("sessions -o json: %v\n%s", err, r.Stdout)
	}
	return out
}

// `sessions` lists a running clone and a running debug session with the
// right user and mode; `end ID` ends each.
func TestSessionsAndEnd(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	newDebugTarget(f, false)
	cl := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "-i=false", "--", "sleep", "300")
	db := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "--mode", "debug", "-i=false", "--", "sleep", "300")
	for _, c := range []interface{ Start() error }{cl, db} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { _ = cl.Process.Kill(); _ = db.Process.Kill() }()
	var list []live.Info
	f.Eventually("both sessions to be listed", 60*time.Second, func() bool {
		list = listSessions(f)
		return len(list) == 2
	})
	byMode := map[string]live.Info{}
	for _, s := range list {
		byMode[string(s.Mode)] = s
		if s.User != "dev" || s.ID == "" || s.Workload == "" || s.Container == "" || s.Expires == nil {
			t.Errorf("session listed without its user, id, workload, container or expiry: %+v", s)
		}
	}
	if byMode["clone"].Workload != "deployment/web" || byMode["debug"].Workload != "deployment/web" || byMode["clone"].Pod == "" || byMode["debug"].Pod == "" {
		t.Errorf("want one clone and one debug session of deployment/web with their pods: %+v", list)
	}
	table := f.Eshell("", "sessions")
	for _, want := range []string{"ID", "USER", "MODE", "EXPIRES", byMode["clone"].ID, byMode["debug"].ID, "dev"} {
		if !strings.Contains(table.Stdout, want) {
			t.Errorf("sessions table lacks %q:\n%s", want, table.Stdout)
		}
	}
	if r := f.Run(f.AsAdmin("sessions", "-A", "-o", "json"), ""); r.Code != 0 || strings.Contains(r.Stdout, `"user": "dev"`) {
		t.Errorf("sessions -A without --all-users should list only the admin's own: %+v", r)
	}
	if r := f.Run(f.AsAdmin("sessions", "--all-users", "-A", "-o", "json"), ""); r.Code != 0 || !strings.Contains(r.Stdout, byMode["clone"].ID) {
		t.Errorf("sessions --all-users -A lacks dev's clone: %+v", r)
	}

	for _, mode := range []string{"clone", "debug"} {
		s := byMode[mode]
		r := f.Eshell("", "end", s.ID)
		if r.Code != 0 || !strings.Contains(r.Stdout, "ended session "+s.ID) {
			t.Fatalf("end %s (%s): %+v", s.ID, mode, r)
		}
	}
	if n := len(cloneJobs(f)); n != 0 {
		t.Errorf("end left %d clone Jobs", n)
	}
	f.Eventually("the debug container to end", 30*time.Second, func() bool { return len(listSessions(f)) == 0 })
	for name, c := range map[string]interface{ Wait() error }{"clone": cl, "debug": db} {
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case err := <-done:
			t.Logf("the %s client ended: %v", name, err)
		case <-time.After(30 * time.Second):
			t.Errorf("the %s client did not end after its session was ended", name)
		}
	}
	expectNoClones(f)
}

func TestSessionsAndEndRefuseWithoutPermission(t *testing.T) {
	t.Parallel()
	f := framework.NewUnbound(t)
	for _, args := range [][]string{{"sessions"}, {"end", "x7k2p"}} {
		r := f.Eshell("", args...)
		if r.Code != 1 || !strings.Contains(r.Stderr, `user "dev" is missing`) || !strings.Contains(r.Stderr, "list jobs.batch in namespace") {
			t.Errorf("%v without permissions: want a clear refusal naming what is missing, got %+v", args, r)
		}
	}
}

// netpolApp is webApp with two NetworkPolicies that select its pods and
// one that does not.
func netpolApp(f *framework.F) {
	f.T.Helper()
	webApp(f, "busybox:1.37")
	f.Apply(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}], ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: other}
spec:
  podSelector: {matchLabels: {app: other}}
  policyTypes: [Ingress]
`)
}

func policyCopies(f *framework.F) []networkingv1.NetworkPolicy {
	f.T.Helper()
	l, err := f.Client.NetworkingV1().NetworkPolicies(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatal(err)
	}
	return l.Items
}

// A clone of a workload selected by two NetworkPolicies gets copies that
// select only the clone, with the same rules, and they go with it.
func TestCloneNetworkPolicyParity(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	netpolApp(f)
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "-i=false", "--", "sleep", "300")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pod := runningClone(f)
	copies := policyCopies(f)
	if len(copies) != 2 {
		t.Fatalf("%d NetworkPolicy copies, want 2 (web-ingress, web-egress); output:\n%s", len(copies), out.String())
	}
	originals := map[string]networkingv1.NetworkPolicy{}
	for _, name := range []string{"web-ingress", "web-egress"} {
		np, err := f.Client.NetworkingV1().NetworkPolicies(f.Namespace).Get(f.Ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		originals[name] = *np
	}
	jobs := cloneJobs(f)
	for _, c := range copies {
		src := strings.TrimPrefix(c.Annotations[keys.SourceAnnotation], "networkpolicy/")
		o, ok := originals[src]
		if !ok {
			t.Errorf("copy %s of an unexpected policy %q", c.Name, src)
			continue
		}
		sel, _ := metav1.LabelSelectorAsSelector(&c.Spec.PodSelector)
		if !sel.Matches(labels.Set(pod.Labels)) || sel.Matches(labels.Set{"app": "web"}) {
			t.Errorf("copy %s selects %v: want the clone only", c.Name, c.Spec.PodSelector)
		}
		if !jsonEqual(c.Spec.Ingress, o.Spec.Ingress) || !jsonEqual(c.Spec.Egress, o.Spec.Egress) || !jsonEqual(c.Spec.PolicyTypes, o.Spec.PolicyTypes) {
			t.Errorf("copy %s has other rules than %s", c.Name, src)
		}
		if len(c.OwnerReferences) != 1 || c.OwnerReferences[0].Kind != "Job" || len(jobs) != 1 || c.OwnerReferences[0].UID != jobs[0].UID {
			t.Errorf("copy %s is not owned by the clone's Job: %v", c.Name, c.OwnerReferences)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	expectNoClones(f)
	f.Eventually("the copies to go with the clone", 60*time.Second, func() bool { return len(policyCopies(f)) == 0 })
	if n := len(f.Kubectl("", "get", "networkpolicies", "-o", "name")); n == 0 {
		t.Errorf("the original policies are gone")
	}
}

// Without the right to create NetworkPolicies, a clone of a workload that
// policies confine is refused before anything is created.
func TestCloneNetworkPolicyRefused(t *testing.T) {
	t.Parallel()
	f := framework.NewUnbound(t)
	netpolApp(f)
	role := f.ShippedRole("eshell-clone")
	for i, r := range role.Rules {
		if len(r.Resources) == 1 && r.Resources[0] == "networkpolicies" {
			role.Rules[i].Verbs = []string{"list"}
		}
	}
	f.BindDevTo(role)
	r := f.Eshell("", "deploy/web", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "web-egress, web-ingress") || !strings.Contains(r.Stderr, `user "dev"`) || !strings.Contains(r.Stderr, "nothing was created") ||
		!strings.Contains(r.Stderr, "create networkpolicies.networking.k8s.io") {
		t.Errorf("want a refusal naming the policies and the missing permission, got %+v", r)
	}
	if n := len(clones(f)) + len(cloneJobs(f)) + len(policyCopies(f)); n != 0 {
		t.Errorf("a refused clone created %d objects", n)
	}
	r = f.Eshell("", "deploy/web", "--no-network-policies", "--", "echo", "unconfined")
	if r.Code != 0 || !strings.Contains(r.Stdout, "unconfined") || !strings.Contains(r.Stderr, "warning: NetworkPolicies web-egress, web-ingress") {
		t.Errorf("--no-network-policies should clone with a warning: %+v", r)
	}
	expectNoClones(f)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// gc, as dev with the shipped Roles: a kept clone past its expiry (the
// admin moves the expiry into the past, as time would) is listed by
// --dry-run and left, deleted by gc with the reason, and a second gc finds
// nothing.
func TestGC(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	job := strings.TrimPrefix(strings.TrimSpace(f.Kubectl("", "get", "jobs", "-l", keys.SessionLabel+"="+id, "-o", "name")), "job.batch/")
	if job == "" {
		t.Fatalf("no Job for kept session %s", id)
	}
	if r := f.Eshell("", "gc"); r.Code != 0 || r.Stdout != "" || !strings.Contains(r.Stderr, "no finished or expired clones found") {
		t.Fatalf("gc with a live kept clone within its expiry: want nothing swept, got %+v", r)
	}
	// A live clone is a session, not a service: the picker takes the one
	// workload without asking, and completion does not offer the clone's Job.
	f.Rollout("deploy/web")
	if r := f.Eshell("", "--mode", "exec", "--", "true"); r.Code != 0 || !strings.Contains(r.Stderr, "Using service deploy/web") {
		t.Errorf("the picker beside a kept clone: want deploy/web taken without asking, got %+v", r)
	}
	if got := f.Complete("-n", f.Namespace, "job/"); len(got) != 0 {
		t.Errorf("completion of job/ offers eshell's own clone: %q", got)
	}
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	f.Kubectl("", "annotate", "--overwrite", "job/"+job, keys.ExpiresAnnotation+"="+past)

	want := "job " + f.Namespace + "/" + job + " (expired at " + past + ")\n"
	if r := f.Eshell("", "gc", "--dry-run"); r.Code != 0 || r.Stdout != "would delete "+want {
		t.Fatalf("gc --dry-run: want %q, got %+v", "would delete "+want, r)
	}
	if out := f.Kubectl("", "get", "job/"+job, "-o", "name"); strings.TrimSpace(out) == "" {
		t.Fatalf("gc --dry-run deleted job %s", job)
	}
	if r := f.Eshell("", "gc"); r.Code != 0 || r.Stdout != "deleted "+want {
		t.Fatalf("gc: want %q, got %+v", "deleted "+want, r)
	}
	f.Eventually("the expired clone's Job and pod are gone", time.Minute, func() bool {
		return strings.TrimSpace(f.Kubectl("", "get", "jobs,pods", "-l", keys.SessionLabel+"="+id, "-o", "name")) == ""
	})
	if r := f.Eshell("", "gc"); r.Code != 0 || r.Stdout != "" {
		t.Errorf("a second gc: want nothing swept, got %+v", r)
	}
}
