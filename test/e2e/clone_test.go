package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

func TestCloneIsolatedCopy(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	// The session stays up while the test inspects the cluster around it.
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "--", "sh", "-c",
		`echo "env=$GREETING/$API_KEY"; if [ -f /shared/init-marker ]; then echo init=ran; else echo init=skipped; fi; read -r _; echo bye`)
	stdin, _ := cmd.StdinPipe()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pod := runningClone(f)
	f.Eventually("the clone's output", 10*time.Second, func() bool { return strings.Contains(out.String(), "init=") })
	if !strings.Contains(out.String(), "env=hello-from-config/s3cret-value") {
		t.Errorf("clone does not see the workload's env; output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "init=skipped") {
		t.Errorf("the init container ran in the clone; output:\n%s", out.String())
	}
	if len(pod.OwnerReferences) != 1 || pod.OwnerReferences[0].Kind != "Job" || pod.OwnerReferences[0].Controller == nil || !*pod.OwnerReferences[0].Controller {
		t.Errorf("clone has owners %v, want its Job as controller (so no other controller adopts it)", pod.OwnerReferences)
	}
	if strings.Contains(fmt.Sprint(pod.Spec.Containers[0].Command, pod.Annotations), "init-marker") {
		t.Errorf("the user's command is readable in the pod: %v %v", pod.Spec.Containers[0].Command, pod.Annotations)
	}
	if pod.Labels["app"] != "" {
		t.Errorf("clone carries the app label, so the Service would select it: %v", pod.Labels)
	}
	var sidecar bool
	for _, c := range pod.Spec.InitContainers {
		if c.Name == "proxy" {
			sidecar = true
		}
		if c.Name == "migrate" {
			t.Errorf("regular init container kept in the clone")
		}
	}
	if !sidecar {
		t.Errorf("native sidecar dropped from the clone")
	}
	if pod.Spec.ActiveDeadlineSeconds == nil || *pod.Spec.ActiveDeadlineSeconds != 7200 {
		t.Errorf("activeDeadlineSeconds = %v, want 7200 (default --max-duration 2h)", pod.Spec.ActiveDeadlineSeconds)
	}
	if pod.Spec.Containers[0].ReadinessProbe != nil {
		t.Errorf("probe kept in the clone")
	}
	slices, err := f.Client.DiscoveryV1().EndpointSlices(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web"})
	if err != nil {
		t.Fatal(err)
	}
	addrs := 0
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			addrs++
			for _, a := range e.Addresses {
				if a == pod.Status.PodIP {
					t.Errorf("the Service's EndpointSlice lists the clone (%s)", a)
				}
			}
		}
	}
	if addrs != 1 {
		t.Errorf("EndpointSlices list %d endpoints, want exactly the workload's 1", addrs)
	}
	rsPods, _ := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if len(rsPods.Items) != 1 {
		t.Errorf("the workload has %d pods, want 1 (clone adopted or counted)", len(rsPods.Items))
	}
	_, _ = stdin.Write([]byte("done\n"))
	if err := stdin.Close(); err != nil {
		t.Fatalf("closing the session's stdin: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("session failed: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "bye") {
		t.Errorf("session output lost the end: %s", out.String())
	}
	expectJobRemoved(f, out.String())
}

func TestCloneKeepInitContainers(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	r := f.Eshell("", "deploy/web", "--keep-init-containers", "--", "cat", "/shared/init-marker")
	if r.Code != 0 || !strings.Contains(r.Stdout, "ran") {
		t.Fatalf("with --keep-init-containers the init container should have run: %+v", r)
	}
	expectNoClones(f)
}

func TestCloneShellTTY(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	term := f.Pty("deploy/web")
	// No lost first output: the prompt of the shell is on screen without typing.
	term.Expect(`(?s)Clone pod web-eshell-[a-z0-9]{5}-[a-z0-9]{5}.*\n[^\n]*[#$] `, 20*time.Second)
	term.Type("echo $HOSTNAME-$((6*7)); command -v bash || echo nobash; exit 3\r")
	term.Expect(`web-eshell-[a-z0-9]{5}-[a-z0-9]{5}-42`, 10*time.Second)
	term.Expect(`nobash`, 5*time.Second)
	if code := term.Wait(30 * time.Second); code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
	expectNoClones(f)
}

func TestCloneExitCodesAndFirstOutput(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	r := f.Eshell("", "deploy/web", "--", "sh", "-c", "echo first-line; exit 7")
	if r.Code != 7 {
		t.Errorf("exit code %d, want 7", r.Code)
	}
	if !strings.HasPrefix(r.Stdout, "first-line") {
		t.Errorf("first output lost: %q", r.Stdout)
	}
	// Removed at once: the Job is gone when eshell returns, the pod follows.
	if n := len(cloneJobs(f)); n != 0 {
		t.Errorf("%d clone Jobs remain after a non-zero exit", n)
	}
	r = f.Eshell("echo piped-$((2+3))\n", "deploy/web")
	if r.Code != 0 || !strings.Contains(r.Stdout, "piped-5") {
		t.Errorf("piped shell session: %+v", r)
	}
	expectJobRemoved(f, r.Stderr)
}

// Every way a session can end leaves no clone behind.
func TestCloneCleanupOnSignals(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "-i=false", "--", "sleep", "300")
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			runningClone(f)
			time.Sleep(300 * time.Millisecond) // attached
			_ = cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("a signalled session should not exit 0")
				}
			case <-time.After(40 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("plugin did not exit after %v:\n%s", sig, out.String())
			}
			if !strings.Contains(out.String(), "Removed clone job") {
				t.Errorf("no cleanup message after %v:\n%s", sig, out.String())
			}
			expectJobRemoved(f, out.String())
		})
	}
}

// A SIGKILLed client cannot clean up: its lifeline reads EOF when the
// kubelet closes the dropped attach, the container ends and takes the
// exec'd shell with it, and the TTL controller deletes the finished Job
// and its pod. No gc.
func TestCloneSIGKILLEndsOnTheServer(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	term := f.Pty("deploy/web")
	term.Expect(`[#$] `, 20*time.Second)
	term.Type("sleep 500\r")
	time.Sleep(500 * time.Millisecond)
	term.Kill()
	killed := time.Now()
	if len(cloneJobs(f)) != 1 {
		t.Fatalf("expected the orphaned clone Job to exist right after SIGKILL")
	}
	f.Eventually("the orphan's pod to end", 30*time.Second, func() bool {
		c := clones(f)
		return len(c) == 0 || c[0].Status.Phase == corev1.PodSucceeded || c[0].Status.Phase == corev1.PodFailed
	})
	t.Logf("pod ended %.1fs after SIGKILL", time.Since(killed).Seconds())
	expectNoClonesWithin(f, 60*time.Second-time.Since(killed))
	t.Logf("Job and pod gone %.1fs after SIGKILL", time.Since(killed).Seconds())
}

// A client killed after the clone was created and before it attached:
// the Job's start deadline, which only a live client renews, ends it
// (30 s), whatever --pod-running-timeout says.
func TestCloneKilledBeforeAttach(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: 0
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec:
      initContainers: [{name: wait, image: busybox:1.37, command: [sleep, "6"]}]
      containers: [{name: app, image: busybox:1.37, command: [sleep, infinity]}]
`)
	const gate = 15 * time.Second
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/slow", "--keep-init-containers", "--pod-running-timeout", gate.String(), "-i=false", "--", "true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the clone's pod to exist", 20*time.Second, func() bool { return len(clones(f)) == 1 })
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	killed := time.Now()
	if c := clones(f); len(c) != 1 || c[0].Status.Phase != corev1.PodPending {
		t.Fatalf("the client was not killed before the clone ran: %+v", c)
	}
	expectNoClonesWithin(f, 6*time.Second+gate+60*time.Second)
	t.Logf("Job and pod gone %.1fs after SIGKILL (start timeout %s)", time.Since(killed).Seconds(), gate)
}

// A non-terminal command whose client is killed: the lifeline ends the
// container, and nothing remains.
func TestCloneNonTerminalKilled(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "-i=false", "--", "sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	runningClone(f)
	time.Sleep(time.Second) // the exec started
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	killed := time.Now()
	expectNoClonesWithin(f, 90*time.Second)
	t.Logf("Job and pod gone %.1fs after SIGKILL", time.Since(killed).Seconds())
}

// A clone past its --max-duration is ended on the server (the Job's
// activeDeadlineSeconds) even with --keep and no client, and removed.
func TestCloneMaxDurationEndsOnTheServer(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	r := f.Eshell("", "deploy/web", "--keep", "--max-duration", "5s", "--", "true")
	if r.Code != 0 || !strings.Contains(r.Stderr, "kubectl delete job web-eshell-") {
		t.Fatalf("--keep should say how to remove the clone: %+v", r)
	}
	if len(cloneJobs(f)) != 1 {
		t.Fatalf("--keep removed the clone")
	}
	expectNoClonesWithin(f, 60*time.Second)
}

func TestCloneFailuresLeaveNothing(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: badimage}
spec:
  replicas: 0
  selector: {matchLabels: {app: badimage}}
  template:
    metadata: {labels: {app: badimage}}
    spec: {containers: [{name: app, image: missing.invalid/app:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: nowhere}
spec:
  replicas: 0
  selector: {matchLabels: {app: nowhere}}
  template:
    metadata: {labels: {app: nowhere}}
    spec: {nodeSelector: {disk: none-such}, containers: [{name: app, image: bash:5.2}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: greedy}
spec:
  replicas: 0
  selector: {matchLabels: {app: greedy}}
  template:
    metadata: {labels: {app: greedy}}
    spec: {containers: [{name: app, image: bash:5.2, resources: {requests: {cpu: "2"}, limits: {cpu: "2"}}}]}
`)
	cases := []struct{ target, want string }{
		{"deploy/badimage", "ImagePull"},
		{"deploy/nowhere", "Unschedulable"},
		{"deploy/greedy", "exceeded quota"},
	}
	for _, c := range cases {
		if c.want == "exceeded quota" {
			f.Apply(`{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "small"}, "spec": {"hard": {"requests.cpu": "1", "limits.cpu": "1"}}}`)
		}
		r := f.Eshell("", c.target, "--", "true")
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%s: want exit 1 and %q in the error, got %+v", c.target, c.want, r)
		}
		expectNoClones(f)
	}
}

func TestCloneRejectedByPodSecurity(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Kubectl("", "label", "namespace", f.Namespace, "pod-security.kubernetes.io/enforce=restricted")
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: root}
spec:
  replicas: 0
  selector: {matchLabels: {app: root}}
  template:
    metadata: {labels: {app: root}}
    spec: {containers: [{name: app, image: bash:5.2, securityContext: {privileged: true}}]}
`)
	r := f.Eshell("", "deploy/root", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "PodSecurity") || !strings.Contains(r.Stderr, "nothing was created") {
		t.Errorf("want a Pod Security rejection that says nothing was created, got %+v", r)
	}
	if n := len(clones(f)) + len(cloneJobs(f)); n != 0 {
		t.Errorf("%d clone objects exist", n)
	}
}

func TestCloneDryRun(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "bash:5.2")
	r := f.Eshell("", "deploy/web", "--dry-run=client", "-o", "yaml", "--", "python", "manage.py", "migrate")
	// The Job carries what is recorded of the command (the program, not its
	// arguments: they may hold secrets); the command itself runs through exec.
	for _, want := range []string{"kind: Job", keys.ManagedByLabel + ": " + keys.ManagedByValue, "activeDeadlineSeconds: 7200", "restartPolicy: Never", "backoffLimit: 0", "ttlSecondsAfterFinished:", "python (2 arguments, not recorded)"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "manage.py") {
		t.Errorf("the command's arguments are written into the Job, where anyone who may read it sees them:\n%s", r.Stdout)
	}
	if r := f.Eshell("", "deploy/web", "--dry-run=client", "--record-command", "--", "python", "manage.py", "migrate"); !strings.Contains(r.Stdout, "manage.py") {
		t.Errorf("--record-command does not record the command in the Job:\n%s", r.Stdout)
	}
	if n := len(clones(f)) + len(cloneJobs(f)); n != 0 {
		t.Errorf("dry-run created %d objects", n)
	}
}
