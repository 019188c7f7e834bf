package e2e

// Service targets end to end: svc/NAME opens the shell next to the workload
// behind the Service, in every mode, as user dev with the shipped Roles.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// svcApp is Deployment name of replicas pods labelled app: name and
// extra, which say which workload they are in $WHICH.
func svcApp(name, extra string, replicas int) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s%[2]s}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: %[1]s, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: %[1]s}]}]
---`, name, extra, replicas)
}

// svcManifests: Service web in front of deploy/web; Service front in front
// of deploy/web and deploy/canary (both tier=front); Service idle in front
// of a Deployment scaled to zero; an ExternalName Service and one without a
// selector.
var svcManifests = svcApp("web", ", tier: front", 1) + svcApp("canary", ", tier: front", 1) + svcApp("idle", "", 0) + `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: front}
spec: {selector: {tier: front}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: idle}
spec: {selector: {app: idle}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: manual}
spec: {ports: [{port: 80}]}
`

// svcPods are the pods of TestServiceTarget's Deployments, which its cases
// expect to reach through a Service.
type svcPods struct{ webPod, canaryPod string }

func TestServiceTarget(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(svcManifests)
	f.Rollout("deploy/web")
	f.Rollout("deploy/canary")
	p := svcPods{webPod: podOf(f, "web"), canaryPod: podOf(f, "canary")}
	// The EndpointSlice controller follows the pods' readiness shortly
	// after the rollout.
	ready := func(svc string, want int) func() bool {
		return func() bool {
			l, err := f.Client.DiscoveryV1().EndpointSlices(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
			n := 0
			for _, s := range l.Items {
				for _, e := range s.Endpoints {
					if e.Conditions.Ready == nil || *e.Conditions.Ready {
						n++
					}
				}
			}
			return err == nil && n == want
		}
	}
	f.Eventually("service web's ready endpoint", 30*time.Second, ready("web", 1))
	f.Eventually("service front's two ready endpoints", 30*time.Second, ready("front", 2))
	framework.RunCases(f, p, []framework.Case[svcPods]{
		{Name: "Clone", Run: serviceClone},
		{Name: "Debug", Run: serviceDebug},
		{Name: "Exec", Run: serviceExec},
		{Name: "TwoWorkloadsWithoutTerminal", Run: serviceTwoWorkloadsWithoutTerminal},
		{Name: "TwoWorkloadsAsked", Run: serviceTwoWorkloadsAsked},
		{Name: "NoSelector", Run: serviceNoSelector},
		{Name: "PreCheck", Run: servicePreCheck},
		{Name: "Completion", Run: serviceCompletion},
	})
}

// The clones one after the other: each checks that no clone is left
// in the namespace. With no ready endpoint, the pod template the
// selector matches still clones.
func serviceClone(t *testing.T, f *framework.F, _ svcPods) {
	r := f.Eshell("", "svc/web", "--", "sh", "-c", "echo clone-$WHICH")
	r.Want(t, 0, "clone-web\n", "service web -> deployment/web\n")
	expectJobRemoved(f, r.Stderr)

	r = f.Eshell("", "svc/idle", "--", "sh", "-c", "echo clone-$WHICH")
	r.Want(t, 0, "clone-idle\n", "service idle -> deployment/idle (no ready endpoints; its pod template matches the selector)")
	expectJobRemoved(f, r.Stderr)

	// Scaled to zero, exec has no pod: the error gives the clone's
	// command line, and that line runs.
	r = f.Eshell("", "svc/idle", "--mode", "exec", "--", "sh", "-c", "echo clone-$WHICH")
	m := regexp.MustCompile(`use --mode clone to start a fresh copy of it: kubectl eshell (.*svc/idle --mode clone -- sh -c .*);`).FindStringSubmatch(r.Stderr)
	if r.Code != 1 || m == nil {
		t.Fatalf("exec on svc/idle scaled to zero: want the clone's command line, got %+v", r)
	}
	if !strings.Contains(m[1], "echo clone-$WHICH") {
		t.Errorf("the suggested command lost the user's command: %q", m[1])
	}
	r = f.Eshell("", "-n", f.Namespace, "svc/idle", "--mode", "clone", "--", "sh", "-c", "echo clone-$WHICH")
	r.Want(t, 0, "clone-idle\n")
	expectJobRemoved(f, r.Stderr)
}

func serviceDebug(t *testing.T, f *framework.F, p svcPods) {
	// The debug container shares the pod's hostname: the pod behind the Service.
	r := f.Eshell("", "service/web", "--mode", "debug", "--image", "busybox:1.37", "--", "sh", "-c", "echo debug-$HOSTNAME")
	r.Want(t, 0, "debug-"+p.webPod+"\n", "service web -> deployment/web\n", "Using pod "+p.webPod+" (newest of 1 running behind service web)")
}

func serviceExec(t *testing.T, f *framework.F, p svcPods) {
	r := f.Eshell("", "services/web", "--mode", "exec", "--", "sh", "-c", "echo exec-$HOSTNAME-$WHICH")
	r.Want(t, 0, "exec-"+p.webPod+"-web\n", "service web -> deployment/web\n")
}

func serviceTwoWorkloadsWithoutTerminal(t *testing.T, f *framework.F, p svcPods) {
	r := f.Eshell("", "svc/front", "--mode", "exec", "--", "sh", "-c", "echo unreachable")
	if r.Code != 1 || r.Stdout != "" ||
		!strings.Contains(r.Stderr, "error: which workload? There is no terminal to ask on, so choose it with --service TYPE/NAME (next to svc/front).") ||
		!strings.Contains(r.Stderr, `The workloads behind service "front":`) ||
		!regexp.MustCompile(`\n  deploy/canary +Deployment +1 ready endpoint\n`).MatchString(r.Stderr) ||
		!regexp.MustCompile(`\n  deploy/web +Deployment +1 ready endpoint\b`).MatchString(r.Stderr) {
		t.Errorf("two workloads, no terminal: %+v", r)
	}
	r = f.Eshell("", "svc/front", "--service", "deploy/canary", "--mode", "exec", "--", "sh", "-c", "echo exec-$HOSTNAME-$WHICH")
	r.Want(t, 0, "exec-"+p.canaryPod+"-canary\n", "service front -> deployment/canary\n")
	r = f.Eshell("", "svc/front", "--service", "deploy/idle", "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, `--service deploy/idle is not behind service "front": pass one of deploy/canary, deploy/web`) {
		t.Errorf("--service naming a workload not behind the Service: %+v", r)
	}
}

func serviceTwoWorkloadsAsked(t *testing.T, f *framework.F, p svcPods) {
	term := f.Pty("svc/front", "--mode", "exec")
	term.Expect(`Service front selects pods of 2 workloads\. Which one\?`, 20*time.Second)
	term.Expect(`deploy/web +Deployment +1 ready endpoint`, 5*time.Second)
	term.Type("web\r") // type to filter, Enter: not the first row, canary
	term.Expect(`service front -> deployment/web`, 20*time.Second)
	term.Expect(framework.Prompt, 20*time.Second)
	term.Type("echo picked-$HOSTNAME-$WHICH; exit 0\r")
	term.Expect(`(?m)^picked-`+regexp.QuoteMeta(p.webPod)+`-web\r?$`, 10*time.Second)
	if code := term.Wait(15 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func serviceNoSelector(t *testing.T, f *framework.F, _ svcPods) {
	for svc, why := range map[string]string{
		"ext":    `service "ext" has no selector (it is of type ExternalName, an alias of db.example.com)`,
		"manual": `service "manual" has no selector (its endpoints are set by hand)`,
	} {
		r := f.Eshell("", "svc/"+svc, "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, why) || strings.Contains(r.Stderr, "Created clone job") ||
			!strings.Contains(r.Stderr, "so eshell can't tell which pods serve it: name the workload instead as TYPE/NAME") {
			t.Errorf("svc/%s: %+v", svc, r)
		}
	}
}

// A user who may read the Service but not its EndpointSlices learns
// so before anything runs, from the pre-check, with the rule to ask for.
func servicePreCheck(t *testing.T, f *framework.F, _ svcPods) {
	f.Apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: newcomer-svc}
rules:
- {apiGroups: [""], resources: [pods, services], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/exec], verbs: [get, create]}
- {apiGroups: [apps], resources: [deployments, replicasets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: newcomer-svc}
subjects: [{kind: User, name: newcomer, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: newcomer-svc, apiGroup: rbac.authorization.k8s.io}
`)
	newcomer := func(args ...string) framework.Result {
		cmd := f.Cmd(f.Plugin, append([]string{"-n", f.Namespace}, args...)...)
		cmd.Env = append(cmd.Env, "KUBECONFIG="+f.NewcomerKubeconfig)
		return f.Run(cmd, "")
	}
	f.Eventually("the newcomer Role to apply", 10*time.Second, func() bool {
		return newcomer("deploy/web", "--mode", "exec", "--no-audit", "--", "true").Code == 0
	})
	r := newcomer("svc/web", "--mode", "exec", "--no-audit", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, `user "newcomer" is missing 1 permission this eshell session needs:`) ||
		!strings.Contains(r.Stderr, `  - list endpointslices.discovery.k8s.io in namespace "`+f.Namespace+`"`) ||
		!strings.Contains(r.Stderr, `- apiGroups: ["discovery.k8s.io"]`) {
		t.Errorf("svc/web without endpointslices: %+v", r)
	}
}

func serviceCompletion(t *testing.T, f *framework.F, _ svcPods) {
	wantCompletions(t, f, []completes{
		{[]string{"-n", f.Namespace, "svc/"}, []string{"svc/ext", "svc/front", "svc/idle", "svc/manual", "svc/web"}},
		{[]string{"-n", f.Namespace, "service/w"}, []string{"service/web"}},
		{[]string{"-n", f.Namespace, "sv"}, []string{"svc/"}},
	})
}
