package e2e

// Faults: every session ends on the server whatever happens to its client
// or to the cluster's components, each within a measured bound. The tests
// that restart a component or change iptables do not call t.Parallel, so
// within one run they run alone (Go runs the sequential tests before the
// parallel ones resume); a second run against the same cluster must not
// overlap them.

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sberz/kubectl-eshell/pkg/audit"
	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// gone is the bound every fault is held to: nothing of the session is
// left this long after the fault, without gc.
const gone = 60 * time.Second

// session is a plugin process started in the background, its output
// collected line by line.
type session struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  strings.Builder
	line chan string
	done chan struct{}
	code int
}

func startSession(f *framework.F, args ...string) *session {
	f.T.Helper()
	s := &session{cmd: f.Cmd(f.Plugin, append([]string{"-n", f.Namespace}, args...)...), line: make(chan string, 100), done: make(chan struct{})}
	r, w, err := os.Pipe()
	if err != nil {
		f.T.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	if err := s.cmd.Start(); err != nil {
		f.T.Fatal(err)
	}
	_ = w.Close()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.line <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		err := s.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			s.code = ee.ExitCode()
		}
		close(s.done)
	}()
	f.T.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
		_ = s.cmd.Process.Kill()
		<-s.done
		f.T.Logf("session output:\n%s", s.output())
	})
	return s
}

func (s *session) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// await waits for a line of output matching re.
func (s *session) await(f *framework.F, re string, d time.Duration) {
	f.T.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(d)
	for {
		select {
		case l := <-s.line:
			if rx.MatchString(l) {
				return
			}
		case <-s.done:
			f.T.Fatalf("the session ended before %q:\n%s", re, s.output())
		case <-timeout:
			f.T.Fatalf("no %q within %s:\n%s", re, d, s.output())
		}
	}
}

// wait waits for the plugin to exit and returns its exit code.
func (s *session) wait(f *framework.F, d time.Duration) int {
	f.T.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(d):
		f.T.Fatalf("the plugin did not exit within %s:\n%s", d, s.output())
	}
	return 0
}

func (s *session) kill() time.Time {
	_ = s.cmd.Process.Kill()
	<-s.done
	return time.Now()
}

// goneWithin checks that nothing of the clone session is left within
// bound of since, and logs when it went.
func goneWithin(f *framework.F, since time.Time, what string) {
	f.T.Helper()
	expectNoClonesWithin(f, gone-time.Since(since))
	f.T.Logf("%s: Job and pod gone %.1fs after the fault", what, time.Since(since).Seconds())
}

// A client that freezes (SIGSTOP: a laptop that sleeps) keeps its TCP
// connections open, so only the heartbeat tells: the lifeline hears
// nothing for --heartbeat-timeout (20 s) and ends the clone.
func TestFaultFrozenClient(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	s := startSession(f, "deploy/web", "-i=false", "--", "sleep", "300")
	runningClone(f)
	time.Sleep(2 * time.Second) // the exec runs
	_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	frozen := time.Now()
	f.Eventually("the frozen client's clone to end", gone, func() bool {
		c := clones(f)
		return len(c) == 0 || c[0].Status.Phase == corev1.PodSucceeded || c[0].Status.Phase == corev1.PodFailed
	})
	t.Logf("the clone's pod ended %.1fs after SIGSTOP", time.Since(frozen).Seconds())
	goneWithin(f, frozen, "frozen client")
}

// The same in debug mode: the ephemeral container ends, and with it the
// shell exec'd into it.
func TestFaultFrozenDebugClient(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	s := startSession(f, "deploy/web", "--mode", "debug", "-i=false", "--", "sleep", "472")
	f.Eventually("the debug shell to run", 60*time.Second, func() bool {
		return strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 472")
	})
	_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	frozen := time.Now()
	var name string
	for _, ec := range d.ephemeral() {
		name = ec.Name
	}
	term := d.expectTerminated(name, gone)
	t.Logf("debug container %s terminated %.1fs after SIGSTOP (exit %d)", name, time.Since(frozen).Seconds(), term.ExitCode)
	f.Eventually("the exec'd shell to die with its container", 10*time.Second, func() bool {
		return !strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 472")
	})
}

// A client SIGKILLed in each phase of the start leaves nothing 60 s later,
// without gc: the Job's short start deadline, which only a live client
// renews, or the lifeline's wait for its client, ends it. (A slow image
// pull is the same Pending pod as the slow init container here; this node's
// containerd sends every registry to a closed port, so a pull fails at once.)
func TestFaultKilledWhileStarting(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	netpolApp(f)
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: slowinit}
spec:
  replicas: 0
  selector: {matchLabels: {app: slowinit}}
  template:
    metadata: {labels: {app: slowinit}}
    spec:
      initContainers: [{name: wait, image: busybox:1.37, command: [sleep, "3600"]}]
      containers: [{name: app, image: busybox:1.37, command: [sleep, infinity]}]
`)
	for _, tc := range []struct {
		name, target string
		args         []string
		// killAt is the output line after which the client is killed, and
		// then how long after it.
		killAt string
		after  time.Duration
	}{
		// The NetworkPolicy copies are being made: the pod waits at its gate.
		{"preparing", "deploy/web", nil, `Created clone job`, 0},
		{"before the lifeline", "deploy/slowinit", []string{"--keep-init-containers", "--pod-running-timeout", "5m"}, `Scheduled .* on node`, time.Second},
		{"in the shell", "deploy/web", nil, `Removed|^$`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{tc.target, "-i=false"}, tc.args...)
			args = append(args, "--", "sleep", "300")
			s := startSession(f, args...)
			if tc.name == "in the shell" {
				runningClone(f)
				time.Sleep(2 * time.Second)
			} else {
				s.await(f, tc.killAt, 60*time.Second)
				time.Sleep(tc.after)
			}
			if len(cloneJobs(f)) != 1 {
				t.Fatalf("no clone Job when the client was killed (%s)", tc.name)
			}
			goneWithin(f, s.kill(), "killed "+tc.name)
			if n := len(policyCopies(f)); n != 0 {
				t.Errorf("%d NetworkPolicy copies left", n)
			}
		})
	}
}

// A pod that carries the session's label but is not the Job's (anyone who
// may create pods can make one) is never taken for the clone: the session
// runs in its own pod and leaves the decoy alone.
func TestCloneIgnoresADecoyPod(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	netpolApp(f) // the NetworkPolicy copies give the decoy time to be there first
	jobs, err := f.Client.BatchV1().Jobs(f.Namespace).Watch(f.Ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop()
	s := startSession(f, "deploy/web", "-i=false", "--", "sh", "-c", "echo in-$HOSTNAME")
	// As soon as the session's Job exists, a pod with its labels, named to
	// come first in a list, and not the Job's.
	select {
	case ev := <-jobs.ResultChan():
		job, ok := ev.Object.(*batchv1.Job)
		if !ok {
			t.Fatalf("unexpected watch event %v", ev)
		}
		// The look-alike of the issue: eshell's labels, not the Job
		// controller's (a pod with those is adopted by the Job, which then
		// deletes one of its two pods: Kubernetes' own behaviour).
		labels := map[string]string{}
		for k, v := range job.Spec.Template.Labels {
			switch k {
			case "controller-uid", "job-name", batchv1.ControllerUidLabel, batchv1.JobNameLabel:
			default:
				labels[k] = v
			}
		}
		decoy := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "a-decoy", Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "busybox:1.37", Command: []string{"sleep", "3600"}}}},
		}
		if _, err := f.Client.CoreV1().Pods(f.Namespace).Create(f.Ctx, decoy, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no clone Job within 60s")
	}
	if code := s.wait(f, 90*time.Second); code != 0 || strings.Contains(s.output(), "in-a-decoy") || !strings.Contains(s.output(), "in-web-eshell-") {
		t.Fatalf("the session should run in its Job's pod, not the decoy: exit %d", code)
	}
	if _, err := f.Client.CoreV1().Pods(f.Namespace).Get(f.Ctx, "a-decoy", metav1.GetOptions{}); err != nil {
		t.Errorf("the session removed the decoy: %v", err)
	}
	f.Eventually("the clone's own Job and pod to go", gone, func() bool {
		return len(cloneJobs(f)) == 0 && len(clones(f)) == 1 // the decoy
	})
}

// restart restarts one component of the shared cluster with its own flags
// (hack/restart-component.sh), down for the given time; the caller runs
// alone (it does not call t.Parallel).
func restart(f *framework.F, component string, down time.Duration) {
	f.T.Helper()
	cmd := exec.Command(filepath.Join(f.Root, "hack", "restart-component.sh"), component, fmt.Sprint(int(down.Seconds())))
	cmd.Env = append(os.Environ(), "ESHELL_CLUSTER_DIR="+filepath.Dir(f.Kubeconfig))
	out, err := cmd.CombinedOutput()
	f.T.Logf("restart %s:\n%s", component, out)
	if err != nil {
		f.T.Fatalf("restarting %s: %v", component, err)
	}
}

func sessionEvents(f *framework.F) (started, ended int) {
	f.T.Helper()
	l, err := f.Client.EventsV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{})
	if err != nil {
		f.T.Fatal(err)
	}
	for _, e := range l.Items {
		switch e.Reason {
		case audit.ReasonStarted:
			started++
		case audit.ReasonEnded:
			ended++
		}
	}
	return started, ended
}

// The API server restarts in the middle of a clone session (issue 25): the
// stream survives the graceful shutdown, the command's exit code is kept,
// the removal is retried until the new API server answers, and the Events
// pair up.
func TestFaultAPIServerRestart(t *testing.T) {
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	s := startSession(f, "deploy/web", "-i=false", "--", "sh", "-c", "sleep 15; echo done-15")
	runningClone(f)
	time.Sleep(2 * time.Second)
	restart(f, "kube-apiserver", 5*time.Second)
	code := s.wait(f, 90*time.Second)
	ended := time.Now()
	if code != 0 || !strings.Contains(s.output(), "done-15") {
		t.Errorf("want the command's output and exit code 0 across the restart, got exit %d", code)
	}
	goneWithin(f, ended, "API server restart")
	f.Eventually("a start and an end Event", 30*time.Second, func() bool {
		st, en := sessionEvents(f)
		return st == 1 && en == 1
	})
}

// The kubelet restarts mid-session: the streams break at once; the client
// says what was lost and what becomes of the clone, exits 255, and the
// clone is gone.
func TestFaultKubeletRestart(t *testing.T) {
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	s := startSession(f, "deploy/web", "-i=false", "--", "sleep", "300")
	runningClone(f)
	time.Sleep(2 * time.Second)
	broke := time.Now()
	restart(f, "kubelet", 0)
	code := s.wait(f, 60*time.Second)
	t.Logf("the client exited %.1fs after the kubelet was stopped", time.Since(broke).Seconds())
	if code != 255 || !strings.Contains(s.output(), "error: lost the connection to the shell in clone pod") ||
		!strings.Contains(s.output(), "exit code 255") {
		t.Errorf("want one line about the lost shell and exit 255, got exit %d", code)
	}
	goneWithin(f, broke, "kubelet restart")
}

// containerd restarts mid-session: the containers live on in their shims,
// but every stream containerd serves ends, the exec's and the lifeline's.
// Through the API server the exec's end reads as a clean exit 0 without
// the command's output; the client takes a clean end for the command's
// only once its lifeline answers a ping, and here it cannot: the client
// says the shell was lost, exits 255, and nothing is left.
func TestFaultContainerdRestart(t *testing.T) {
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	s := startSession(f, "deploy/web", "-i=false", "--", "sh", "-c", "sleep 20; echo done-20")
	runningClone(f)
	time.Sleep(2 * time.Second)
	broke := time.Now()
	restart(f, "containerd", 0)
	code := s.wait(f, gone)
	t.Logf("containerd restart: the client exited %d after %.1fs", code, time.Since(broke).Seconds())
	expectLostOrKept(f, s, code, "error: lost the connection to the shell in clone pod", "done-20")
	goneWithin(f, broke, "containerd restart")
}

// expectLostOrKept checks that a session whose streams a component's
// restart cut either says so (one error line, exit 255) or kept the
// command's output and its exit code 0: never a silent exit 0 without the
// output.
func expectLostOrKept(f *framework.F, s *session, code int, lostLine, output string) {
	f.T.Helper()
	out := s.output()
	switch {
	case code == 255 && strings.Contains(out, lostLine) && strings.Contains(out, "exit code 255"):
	case code == 0 && strings.Contains(out, output):
		f.T.Logf("the command's output and exit code were kept")
	default:
		f.T.Errorf("want %q and exit 255, or the command's output %q and exit 0; got exit %d", lostLine, output, code)
	}
}

// runningDebugShell starts a debug session running marker's sleep and
// waits until the sleep runs in the target's process namespace; it
// returns the session and the debug container's name.
func runningDebugShell(f *framework.F, d *debugTarget, script, marker string) (*session, string) {
	f.T.Helper()
	s := startSession(f, "deploy/web", "--mode", "debug", "-i=false", "--", "sh", "-c", script)
	f.Eventually("the debug shell to run", 60*time.Second, func() bool {
		return strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), marker)
	})
	var name string
	for _, ec := range d.ephemeral() {
		name = ec.Name
	}
	return s, name
}

// The API server restarts in the middle of a debug session: as in clone
// mode the command finishes and keeps its output and exit code (the old
// API server drains its streams), or the client says the shell was lost;
// either way the debug container ends.
func TestFaultAPIServerRestartDebug(t *testing.T) {
	f := framework.New(t)
	d := newDebugTarget(f, false)
	s, name := runningDebugShell(f, d, "sleep 16; echo done-16", "sleep 16")
	restart(f, "kube-apiserver", 5*time.Second)
	code := s.wait(f, 90*time.Second)
	ended := time.Now()
	expectLostOrKept(f, s, code, "error: lost the connection to the shell in debug container", "done-16")
	d.expectTerminated(name, gone)
	t.Logf("API server restart, debug: exit %d; debug container %s terminated %.1fs after the client ended", code, name, time.Since(ended).Seconds())
}

// containerd restarts in the middle of a debug session: the client says
// the shell was lost (its lifeline does not answer), exits 255, and the
// debug container and its exec'd shell end.
func TestFaultContainerdRestartDebug(t *testing.T) {
	f := framework.New(t)
	d := newDebugTarget(f, false)
	s, name := runningDebugShell(f, d, "sleep 21; echo done-21", "sleep 21")
	broke := time.Now()
	restart(f, "containerd", 0)
	code := s.wait(f, gone)
	t.Logf("containerd restart, debug: the client exited %d after %.1fs", code, time.Since(broke).Seconds())
	expectLostOrKept(f, s, code, "error: lost the connection to the shell in debug container", "done-21")
	d.expectTerminated(name, gone-time.Since(broke))
	t.Logf("debug container %s terminated %.1fs after containerd was stopped", name, time.Since(broke).Seconds())
	f.Eventually("the exec'd shell to die with its container", 10*time.Second, func() bool {
		return !strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 21")
	})
}

// An Unschedulable clone on a cluster that adds nodes on demand: a small
// controller in the test acts as cluster-autoscaler (it writes the
// TriggeredScaleUp Event on the pod, as cluster-autoscaler does, then
// "adds" the node by giving the one node the label the clone needs),
// with the real scheduler. The clone waits, says why, and runs.
func TestCloneWaitsForAScaleUp(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	// A label only this test's pods need: the shared node is otherwise
	// untouched, and the label is removed again.
	key := "e2e.eshell.kubectl.io/scaled-" + framework.RandSuffix()
	f.Apply(idleWeb(fmt.Sprintf(`nodeSelector: {%q: "yes"}
containers: [{name: web, image: busybox:1.37, command: [sleep, infinity]}]`, key)))
	unlabel := func() {
		patch := fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, key)
		if _, err := f.Client.CoreV1().Nodes().Patch(f.Ctx, framework.NodeName, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Errorf("removing the node label %s: %v", key, err)
		}
	}
	t.Cleanup(unlabel)
	s := startSession(f, "deploy/web", "-i=false", "--pod-running-timeout", "2m", "--", "echo", "scaled-up")
	var pod corev1.Pod
	f.Eventually("the clone to be Unschedulable", 60*time.Second, func() bool {
		for _, p := range clones(f) {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
					pod = p
					return true
				}
			}
		}
		return false
	})
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: f.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: f.Namespace, Name: pod.Name, UID: pod.UID},
		Reason:         "TriggeredScaleUp", Type: corev1.EventTypeNormal, Source: corev1.EventSource{Component: "cluster-autoscaler"},
		Message: "pod triggered scale-up: [{e2e-pool 1->2 (max: 3)}]", FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1,
	}
	if _, err := f.Client.CoreV1().Events(f.Namespace).Create(f.Ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	s.await(f, "waiting for one the autoscaler adds", 30*time.Second)
	time.Sleep(10 * time.Second) // the new node takes its time; the clone waits past the 5 s grace
	if _, err := f.Client.CoreV1().Nodes().Patch(f.Ctx, framework.NodeName, types.MergePatchType,
		[]byte(fmt.Sprintf(`{"metadata":{"labels":{%q:"yes"}}}`, key)), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(f, 90*time.Second); code != 0 || !strings.Contains(s.output(), "scaled-up") {
		t.Fatalf("the clone should run once the node fits: exit %d", code)
	}
	t.Logf("the clone ran %.1fs after the scale-up was signalled", time.Since(signalled).Seconds())
	expectNoClones(f)
}

// clientPorts lists the local ports of pid's TCP connections.
func clientPorts(t *testing.T, pid int) []string {
	out, err := exec.Command("ss", "-tnpH").Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	var ports []string
	for _, l := range strings.Split(string(out), "\n") {
		fields := strings.Fields(l)
		if len(fields) < 6 || !strings.Contains(l, fmt.Sprintf("pid=%d,", pid)) {
			continue
		}
		local := fields[3]
		ports = append(ports, local[strings.LastIndex(local, ":")+1:])
	}
	return ports
}

// A client that vanishes without a goodbye (a laptop that sleeps, Wi-Fi or
// VPN gone): frozen, and its own loopback connections dropped by iptables
// (by their ports, so nothing else is touched; the rules are removed
// after), the clone ends within the heartbeat bound where TCP alone took
// about 4 minutes. Changes host-wide iptables: run alone, under flock -x.
func TestFaultSilentDrop(t *testing.T) {
	f := framework.New(t)
	webApp(f, "busybox:1.37")
	s := startSession(f, "deploy/web", "-i=false", "--", "sleep", "300")
	runningClone(f)
	time.Sleep(2 * time.Second)
	ports := clientPorts(t, s.cmd.Process.Pid)
	if len(ports) == 0 {
		t.Fatal("the client has no TCP connections")
	}
	var rules [][]string
	for _, p := range ports {
		for _, dir := range []string{"--sport", "--dport"} {
			rules = append(rules, []string{"OUTPUT", "-o", "lo", "-p", "tcp", dir, p, "-j", "DROP"})
		}
	}
	t.Cleanup(func() {
		for _, r := range rules {
			if out, err := exec.Command("iptables", append([]string{"-w", "-D"}, r...)...).CombinedOutput(); err != nil {
				t.Errorf("removing iptables rule %v: %v %s", r, err, out)
			}
		}
	})
	_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	for _, r := range rules {
		if out, err := exec.Command("iptables", append([]string{"-w", "-I"}, r...)...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %v %s", r, err, out)
		}
	}
	dropped := time.Now()
	t.Logf("dropped the client's connections from ports %v", ports)
	goneWithin(f, dropped, "silent drop")
}

// The kubelet restarts in the middle of a debug session: the client says
// what was lost and that the debug container ends on the server, exits
// 255, and the container and the exec'd shell are gone.
func TestFaultKubeletRestartDebug(t *testing.T) {
	f := framework.New(t)
	d := newDebugTarget(f, false)
	s := startSession(f, "deploy/web", "--mode", "debug", "-i=false", "--", "sleep", "473")
	f.Eventually("the debug shell to run", 60*time.Second, func() bool {
		return strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 473")
	})
	broke := time.Now()
	restart(f, "kubelet", 0)
	code := s.wait(f, gone)
	t.Logf("the client exited %.1fs after the kubelet was stopped", time.Since(broke).Seconds())
	if code != 255 || !strings.Contains(s.output(), "error: lost the connection to the shell in debug container") {
		t.Errorf("want one line about the lost shell and exit 255, got exit %d", code)
	}
	var name string
	for _, ec := range d.ephemeral() {
		name = ec.Name
	}
	d.expectTerminated(name, gone-time.Since(broke))
	t.Logf("debug container %s terminated %.1fs after the kubelet was stopped", name, time.Since(broke).Seconds())
	f.Eventually("the exec'd shell to die with its container", 10*time.Second, func() bool {
		return !strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 473")
	})
}

// sessionSecrets lists the env Secrets eshell made in the test's namespace.
func sessionSecrets(f *framework.F) []corev1.Secret {
	f.T.Helper()
	l, err := f.Client.CoreV1().Secrets(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatal(err)
	}
	return l.Items
}

// nothingLeftWithin checks that no Job, pod, env Secret or NetworkPolicy
// copy of the session is left within the fault bound of since.
func nothingLeftWithin(f *framework.F, since time.Time, what string) {
	f.T.Helper()
	for len(cloneJobs(f))+len(clones(f))+len(sessionSecrets(f))+len(policyCopies(f)) > 0 {
		if time.Since(since) > gone {
			var left []string
			for _, p := range clones(f) {
				left = append(left, fmt.Sprintf("pod %s (%s, deleting: %v)", p.Name, p.Status.Phase, p.DeletionTimestamp != nil))
			}
			f.T.Fatalf("%s: left after %s: %d Jobs, %d env Secrets, %d policy copies, pods %v", what, gone,
				len(cloneJobs(f)), len(sessionSecrets(f)), len(policyCopies(f)), left)
		}
		time.Sleep(500 * time.Millisecond)
	}
	f.T.Logf("%s: Job, pod, env Secret and policy copies gone %.1fs after the fault", what, time.Since(since).Seconds())
}

// A client SIGKILLed the instant its Job appears (before, or just as, the
// create's response reaches it), at a few small delays across the window
// in which it prepares the clone (NetworkPolicy copies, env Secret): the
// Job's start deadline, which no one renews, ends it.
func TestFaultKilledAsTheCreateReturns(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	netpolApp(f)
	for _, after := range []time.Duration{0, 30 * time.Millisecond, 150 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) {
			jobs, err := f.Client.BatchV1().Jobs(f.Namespace).Watch(f.Ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer jobs.Stop()
			s := startSession(f, "deploy/web", "-i=false", "--", "sleep", "300")
			select {
			case <-jobs.ResultChan():
			case <-time.After(60 * time.Second):
				t.Fatal("no clone Job within 60s")
			}
			time.Sleep(after)
			killed := s.kill()
			t.Logf("killed %s after the Job appeared; output so far:\n%s", after, s.output())
			nothingLeftWithin(f, killed, "killed "+after.String()+" after the create")
		})
	}
}

// A client SIGKILLed while its clone's image is pulled. This node's
// containerd sends every registry to a closed port (hack/containerd.toml,
// certs.d/_default); a registry host of its own in certs.d (read at each
// pull, no restart) points this test's image at a listener that accepts
// and answers nothing for 20 s: a pull that lasts, then fails. Both are
// removed after.
func TestFaultKilledWhilePulling(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	host := stalledRegistry(f, 20*time.Second)
	f.Apply(fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: %s/e2e/never:1, command: [sleep, infinity]}]
`, host))
	s := startSession(f, "deploy/web", "-i=false", "--pod-running-timeout", "5m", "--", "sleep", "300")
	f.Eventually("the clone's image pull to begin", 60*time.Second, func() bool {
		l, err := f.Client.CoreV1().Events(f.Namespace).List(f.Ctx, metav1.ListOptions{FieldSelector: "reason=Pulling"})
		return err == nil && len(l.Items) > 0
	})
	time.Sleep(time.Second)
	if len(cloneJobs(f)) != 1 {
		t.Fatal("no clone Job while the image was pulled")
	}
	nothingLeftWithin(f, s.kill(), "killed while pulling")
}

// stalledRegistry starts a listener on loopback that accepts connections
// and closes them after stall without a word, points containerd at it for its own host name, and
// returns that host; both are undone when the test ends.
func stalledRegistry(f *framework.F, stall time.Duration) string {
	f.T.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.T.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
			// With a registry that never answers, the Job and its pod
			// (Pending, deletion requested) were still there 60 s after the
			// kill: the pod goes only when the kubelet's pull returns. A
			// slow pull ends; this one fails after stall.
			time.AfterFunc(stall, func() { _ = c.Close() })
		}
	}()
	host := l.Addr().String()
	dir := filepath.Join(filepath.Dir(f.Kubeconfig), "containerd", "certs.d", host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.T.Fatal(err)
	}
	hosts := fmt.Sprintf("server = %q\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+host, "http://"+host)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hosts), 0o644); err != nil {
		f.T.Fatal(err)
	}
	f.T.Cleanup(func() {
		_ = os.RemoveAll(dir)
		_ = l.Close()
		mu.Lock()
		for _, c := range held {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return host
}

// A debug client SIGKILLed the instant its ephemeral container is in the
// pod's spec, before the container runs: no lease bounds that window (an
// ephemeral container has no deadline and cannot be removed), but nothing
// of the session runs in it either. Once the container starts, its
// lifeline, whose client never sent the gate, ends it within the heartbeat
// bound of its start.
func TestFaultDebugKilledBeforeItStarts(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	target := d.pod()
	pods, err := f.Client.CoreV1().Pods(f.Namespace).Watch(f.Ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + target.Name, ResourceVersion: target.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer pods.Stop()
	s := startSession(f, "deploy/web", "--mode", "debug", "-i=false", "--", "sleep", "474")
	var name string
	timeout := time.After(60 * time.Second)
	for name == "" {
		select {
		case ev := <-pods.ResultChan():
			if p, ok := ev.Object.(*corev1.Pod); ok && len(p.Spec.EphemeralContainers) > 0 {
				name = p.Spec.EphemeralContainers[0].Name
			}
		case <-timeout:
			t.Fatal("no ephemeral container within 60s")
		}
	}
	killed := s.kill()
	if st := d.status(name); st != nil && st.State.Running != nil {
		t.Logf("the container already ran when the client was killed")
	}
	term := d.expectTerminated(name, gone)
	t.Logf("debug client killed before its container started: container %s terminated %.1fs after the kill, %.1fs after its start (exit %d)",
		name, time.Since(killed).Seconds(), term.FinishedAt.Sub(term.StartedAt.Time).Seconds(), term.ExitCode)
	if strings.Contains(f.Kubectl("", "exec", "deploy/web", "-c", "web", "--", "ps", "-o", "args"), "sleep 474") {
		t.Error("the session's command ran, though its client was killed before the container started")
	}
}

// Fifty sessions at once, clone, debug and exec mixed, half of them
// SIGKILLed at random instants of their first ten seconds: every survivor
// prints and exits 0, and 60 s after the last one ended nothing of any
// session is left (no clone Job or pod, no running debug container), with
// no gc. It loads the node: it does not call t.Parallel.
func TestFaultFiftyConcurrentHalfKilled(t *testing.T) {
	const n = 50
	f := framework.New(t)
	d := newDebugTarget(f, false)
	modes := []string{"clone", "debug", "exec"}
	type run struct {
		s      *session
		mode   string
		killAt time.Duration // 0: not killed
	}
	runs := make([]run, n)
	killed := rand.Perm(n)[:n/2]
	began := time.Now()
	for i := range runs {
		runs[i].mode = modes[i%len(modes)]
	}
	for _, i := range killed {
		runs[i].killAt = time.Duration(1+rand.Int64N(int64(10*time.Second))) * time.Nanosecond
	}
	for i := range runs {
		runs[i].s = startSession(f, "deploy/web", "--mode", runs[i].mode, "-i=false", "--pod-running-timeout", "8m",
			"--", "sh", "-c", fmt.Sprintf("sleep 4; echo ok-%d", i))
	}
	var wg sync.WaitGroup
	for i := range runs {
		if runs[i].killAt == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(began.Add(runs[i].killAt)))
			runs[i].s.kill()
		}()
	}
	wg.Wait()
	survivors, failed := 0, 0
	for i, r := range runs {
		if r.killAt != 0 {
			continue
		}
		survivors++
		code := r.s.wait(f, 10*time.Minute-time.Since(began))
		if code != 0 || !strings.Contains(r.s.output(), fmt.Sprintf("ok-%d\n", i)) {
			failed++
			t.Errorf("survivor %d (%s) exited %d without its output:\n%s", i, r.mode, code, r.s.output())
		}
	}
	last := time.Now()
	t.Logf("%d sessions (%d killed): the %d survivors all ended %.1fs after the start, %d failed", n, n/2, survivors, last.Sub(began).Seconds(), failed)
	nothingLeftWithin(f, last, "fifty concurrent sessions")
	f.Eventually("every debug container to end", gone-time.Since(last), func() bool {
		for _, st := range d.pod().Status.EphemeralContainerStatuses {
			if st.State.Terminated == nil {
				return false
			}
		}
		return true
	})
	t.Logf("fifty concurrent sessions: nothing left (clone or debug) %.1fs after the last survivor ended", time.Since(last).Seconds())
}
