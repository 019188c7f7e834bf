package e2e

// TestNode's cases about pods on the real node: what the kubelet, containerd
// and runc do with a pod spec.

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// A container's exit code is its status, and decides the pod's phase.
func nodeExitCodeAndPhase(t *testing.T, f *framework.F, _ nodeObjects) {
	for _, tc := range []struct {
		pod   string
		phase corev1.PodPhase
		code  int32
	}{{"fails", corev1.PodFailed, 3}, {"succeeds", corev1.PodSucceeded, 0}} {
		p := agPod(f, tc.pod, "a final phase", 30*time.Second, func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		})
		if p.Status.Phase != tc.phase {
			t.Errorf("pod %s: phase %s, want %s", tc.pod, p.Status.Phase, tc.phase)
		}
		term := agTerminated(p, "main")
		if term == nil {
			t.Errorf("pod %s: container main is not terminated: %+v", tc.pod, p.Status.ContainerStatuses)
			continue
		}
		if term.ExitCode != tc.code {
			t.Errorf("pod %s: exit code %d, want %d", tc.pod, term.ExitCode, tc.code)
		}
	}
}

// A Deployment's pods become Ready and are listed in its Service's
// EndpointSlices with their pod IPs.
func nodeDeploymentEndpoints(t *testing.T, f *framework.F, _ nodeObjects) {
	f.Rollout("deploy/web")
	pods, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, p := range pods.Items {
		if !agReady(&p) || p.Status.PodIP == "" {
			t.Fatalf("pod %s is not ready with an IP after the rollout: %+v", p.Name, p.Status)
		}
		want[p.Status.PodIP] = true
	}
	if len(want) != 2 {
		t.Fatalf("want 2 ready pods with distinct IPs, got %v", want)
	}
	var got map[string]bool
	f.Eventually("two ready addresses in the EndpointSlices of service web", 30*time.Second, func() bool {
		l, err := f.Client.DiscoveryV1().EndpointSlices(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=web"})
		if err != nil {
			return false
		}
		got = map[string]bool{}
		for _, s := range l.Items {
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
					for _, a := range ep.Addresses {
						got[a] = true
					}
				}
			}
		}
		return len(got) == 2
	})
	for ip := range want {
		if !got[ip] {
			t.Errorf("pod IP %s missing from the EndpointSlices (have %v)", ip, got)
		}
	}
}

// Env from a ConfigMap, a Secret and the downward API, and a mounted
// ConfigMap file, are what the container sees; a missing ConfigMap
// keeps a container from starting.
func nodeEnvAndVolumes(t *testing.T, f *framework.F, n nodeObjects) {
	agWaitReady(f, "envpod")
	r := agRun(f, 20*time.Second, "", "exec", "envpod", "--", "sh", "-c",
		`echo "COLOR=$COLOR SIZE=$SIZE PASSWORD=$PASSWORD MY_POD=$MY_POD"; cat `+n.dir+`/cfg/app.conf`)
	want := "COLOR=blue SIZE=7 PASSWORD=s3cr3t MY_POD=envpod\nfile-content-1\n"
	if r.Code != 0 || r.Stdout != want {
		t.Errorf("kubectl exec shows exit %d, stdout %q; want %q", r.Code, r.Stdout, want)
	}
	// The mount is the container's own: the host's path stays empty.
	if _, err := os.Stat(n.dir + "/cfg/app.conf"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ConfigMap file is visible on the host at %s/cfg/app.conf (err %v): volumes must be private to the container", n.dir, err)
	}
	p := agPod(f, "nocm", "waiting reason CreateContainerConfigError", 20*time.Second, func(p *corev1.Pod) bool {
		return agWaiting(p, "main") == "CreateContainerConfigError"
	})
	if p.Status.Phase != corev1.PodPending {
		t.Errorf("pod nocm: phase %s, want Pending", p.Status.Phase)
	}
}

// An image that is not on the node really fails to pull, at once.
func nodeMissingImage(t *testing.T, f *framework.F, _ nodeObjects) {
	p := agPod(f, "noimg", "waiting reason ErrImagePull or ImagePullBackOff", 30*time.Second, func(p *corev1.Pod) bool {
		r := agWaiting(p, "main")
		return r == "ErrImagePull" || r == "ImagePullBackOff"
	})
	if p.Status.Phase != corev1.PodPending {
		t.Errorf("pod noimg: phase %s, want Pending", p.Status.Phase)
	}
}

// A container has its own PID namespace (its command is PID 1 and it
// sees nothing of the host), and deleting the pod ends its processes on
// the host, children included.
func nodeIsolationAndDelete(t *testing.T, f *framework.F, n nodeObjects) {
	agWaitReady(f, "pids")
	r := agRun(f, 20*time.Second, "", "exec", "pids", "--", "ps", "-o", "pid,args")
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if r.Code != 0 || len(lines) != 4 || !regexp.MustCompile(`^\s*1 sleep infinity$`).MatchString(lines[1]) {
		t.Errorf("ps in pod pids should show only its own processes (sleep infinity as PID 1, the child sleep, ps): exit %d, stdout %q", r.Code, r.Stdout)
	}
	hostPids := func() []int { return hostProcesses("sleep " + n.childSleep) }
	if len(hostPids()) != 1 {
		t.Fatalf("want one `sleep %s` process on the host, found %v", n.childSleep, hostPids())
	}
	start := time.Now()
	if err := f.Client.CoreV1().Pods(f.Namespace).Delete(f.Ctx, "pids", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the pod's child process to end on the host", 40*time.Second, func() bool { return len(hostPids()) == 0 })
	// The object goes once the kubelet confirmed and the sandbox's
	// network was torn down, which a loaded node (the suite's fault and
	// packet tests beside it) was seen to take over 40 s for.
	f.Eventually("pod pids to be gone", 90*time.Second, func() bool {
		_, err := f.Client.CoreV1().Pods(f.Namespace).Get(f.Ctx, "pids", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	t.Logf("processes and pod gone %s after the delete", time.Since(start).Round(time.Millisecond))
}

// securityContext is enforced by the runtime: the user and group, no
// capabilities, and runAsNonRoot against an image that runs as root.
func nodeSecurityContext(t *testing.T, f *framework.F, _ nodeObjects) {
	agWaitReady(f, "asuser")
	r := agRun(f, 20*time.Second, "", "exec", "asuser", "--", "sh", "-c", "id -u; id -g; grep ^CapEff /proc/self/status")
	if want := "1000\n3000\nCapEff:\t0000000000000000\n"; r.Code != 0 || r.Stdout != want {
		t.Errorf("pod asuser: exit %d, stdout %q; want %q", r.Code, r.Stdout, want)
	}
	p := agPod(f, "nonroot", "waiting reason CreateContainerConfigError", 30*time.Second, func(p *corev1.Pod) bool {
		return agWaiting(p, "main") == "CreateContainerConfigError"
	})
	if p.Status.Phase != corev1.PodPending {
		t.Errorf("pod nonroot: phase %s, want Pending", p.Status.Phase)
	}
}

// Probes run: a failing readiness probe keeps a running pod unready.
func nodeReadinessProbe(t *testing.T, f *framework.F, _ nodeObjects) {
	agPod(f, "unready", "phase Running", 30*time.Second, func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	time.Sleep(3 * time.Second) // three probe periods
	p := agPod(f, "unready", "phase Running", time.Second, func(p *corev1.Pod) bool { return true })
	if agReady(p) {
		t.Errorf("pod unready has a failing readiness probe but is Ready: %+v", p.Status.Conditions)
	}
}

// activeDeadlineSeconds ends the pod as Failed/DeadlineExceeded. Times
// come from the status, so a late check does not blur them.
func nodeActiveDeadline(t *testing.T, f *framework.F, _ nodeObjects) {
	p := agPod(f, "deadline", "phase Failed", 60*time.Second, func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodFailed && agTerminated(p, "main") != nil
	})
	if p.Status.Reason != "DeadlineExceeded" {
		t.Errorf("pod deadline: reason %q, want DeadlineExceeded", p.Status.Reason)
	}
	// The deadline counts from the kubelet's start of the pod; the
	// kubelet enforces it in its sync loop, later when it is busy (the
	// whole suite starts its pods at once), and then waits out the
	// grace period. Second precision on both ends.
	ran := agTerminated(p, "main").FinishedAt.Sub(p.Status.StartTime.Time)
	t.Logf("pod deadline (activeDeadlineSeconds 3) ended %s after the kubelet started it", ran)
	if ran < 2*time.Second || ran > 15*time.Second {
		t.Errorf("pod deadline ended %s after its start, want about 4 s (3 s and the 1 s grace period; at most 15 on a busy node)", ran)
	}
}
