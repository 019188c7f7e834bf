package e2e

// The node's facts that every test of the plugin stands on, checked with
// kubectl (built from the same k8s.io/kubectl version) as the client against
// the real kubelet, containerd and runc of the local cluster: exit codes,
// terminals, pipes, ephemeral containers, isolation and securityContext.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// agPod waits until the pod satisfies cond and returns it.
func agPod(f *framework.F, name, what string, d time.Duration, cond func(*corev1.Pod) bool) *corev1.Pod {
	f.T.Helper()
	var last *corev1.Pod
	deadline := time.Now().Add(d)
	for {
		p, err := f.Client.CoreV1().Pods(f.Namespace).Get(f.Ctx, name, metav1.GetOptions{})
		if err == nil {
			last = p
			if cond(p) {
				return p
			}
		}
		if time.Now().After(deadline) {
			if last != nil {
				f.T.Fatalf("pod %s: timed out after %s waiting for %s; phase %q reason %q, statuses %+v",
					name, d, what, last.Status.Phase, last.Status.Reason, last.Status.ContainerStatuses)
			}
			f.T.Fatalf("pod %s: timed out after %s waiting for %s (last error: %v)", name, d, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func agReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func agWaitReady(f *framework.F, name string) *corev1.Pod {
	f.T.Helper()
	return agPod(f, name, "Ready", 40*time.Second, agReady)
}

// agRun runs kubectl in the test namespace, killed after d so a hang fails
// the test quickly instead of at the suite's timeout.
func agRun(f *framework.F, d time.Duration, stdin string, args ...string) framework.Result {
	f.T.Helper()
	ctx, cancel := context.WithTimeout(f.Ctx, d)
	defer cancel()
	proto := f.Cmd(f.Env.Kubectl, append([]string{"-n", f.Namespace}, args...)...)
	cmd := exec.CommandContext(ctx, proto.Path, proto.Args[1:]...)
	cmd.Env = proto.Env
	r := f.Run(cmd, stdin)
	if ctx.Err() != nil {
		f.T.Fatalf("kubectl %v did not finish within %s", args, d)
	}
	return r
}

func agTerminated(p *corev1.Pod, container string) *corev1.ContainerStateTerminated {
	all := append(append([]corev1.ContainerStatus{}, p.Status.ContainerStatuses...), p.Status.EphemeralContainerStatuses...)
	for _, cs := range all {
		if cs.Name == container {
			return cs.State.Terminated
		}
	}
	return nil
}

func agWaiting(p *corev1.Pod, container string) string {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container && cs.State.Waiting != nil {
			return cs.State.Waiting.Reason
		}
	}
	return ""
}

// agManifests is every object the node tests need, created at once so
// the pods start side by side; each subtest uses only its own objects.
const agManifests = `
apiVersion: v1
kind: Pod
metadata: {name: fails}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox:1.37, command: [sh, -c, "exit 3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: succeeds}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox:1.37, command: [sh, -c, "exit 0"]}
---
apiVersion: v1
kind: Pod
metadata: {name: full}
spec:
  containers:
  - {name: main, image: bash:5.2, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: tty}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox:1.37, command: [sh], stdin: true, tty: true}
---
apiVersion: v1
kind: Pod
metadata: {name: bb}
spec:
  containers:
  - {name: main, image: busybox:1.37, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - {name: app, image: bash:5.2, command: [sleep, "%[2]s"]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: busybox:1.37
        command: [sleep, infinity]
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {COLOR: blue, SIZE: "7"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: files}
data: {app.conf: "file-content-1\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: Pod
metadata: {name: envpod}
spec:
  containers:
  - name: main
    image: busybox:1.37
    command: [sleep, infinity]
    envFrom: [{configMapRef: {name: cfg}}]
    env:
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    volumeMounts: [{name: files, mountPath: %[1]s/cfg}]
  volumes:
  - {name: files, configMap: {name: files}}
---
apiVersion: v1
kind: Pod
metadata: {name: nocm}
spec:
  containers:
  - name: main
    image: busybox:1.37
    command: [sleep, infinity]
    envFrom: [{configMapRef: {name: does-not-exist}}]
---
apiVersion: v1
kind: Pod
metadata: {name: noimg}
spec:
  containers:
  - {name: main, image: "missing.invalid/x:1"}
---
# A child process with a duration no other test uses, to find it on the
# host from outside the pod's PID namespace.
apiVersion: v1
kind: Pod
metadata: {name: pids}
spec:
  containers:
  - {name: main, image: busybox:1.37, command: [sh, -c, "sleep %[3]s & exec sleep infinity"]}
---
apiVersion: v1
kind: Pod
metadata: {name: asuser}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000}
  containers:
  - name: main
    image: busybox:1.37
    command: [sleep, infinity]
    securityContext: {capabilities: {drop: [ALL]}, allowPrivilegeEscalation: false}
---
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: main, image: busybox:1.37, command: [sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: main
    image: busybox:1.37
    command: [sleep, infinity]
    readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: deadline}
spec:
  activeDeadlineSeconds: 3
  # The kubelet stops a pod past its deadline with its grace period, and
  # sleep as PID 1 ignores SIGTERM: without this it ends 30 s later.
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox:1.37, command: [sleep, infinity]}
`

// nodeObjects are what TestNode's cases share: agManifests, created once,
// and the names that find their files and processes on the host.
type nodeObjects struct {
	dir string // a path no other pod uses, for ConfigMap mounts
	// Durations no other pod on the machine uses, to find these processes
	// on the host.
	targetSleep, childSleep string
}

// TestNode checks the facts of the real node that the plugin and kubectl
// depend on: each case is one fact, run in parallel with the others on the
// pods agManifests starts side by side.
func TestNode(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	n := nodeObjects{
		dir:         "/etc/eshell-e2e-" + framework.RandSuffix(),
		targetSleep: fmt.Sprintf("%d", 800000+time.Now().UnixNano()%100000),
		childSleep:  fmt.Sprintf("%d", 900000+time.Now().UnixNano()%100000),
	}
	f.Apply(fmt.Sprintf(agManifests, n.dir, n.targetSleep, n.childSleep))
	framework.RunCases(f, n, []framework.Case[nodeObjects]{
		// Pods: phases, status, probes, deadlines, env, volumes,
		// isolation (node_pods_test.go).
		{Name: "ExitCodeAndPhase", Run: nodeExitCodeAndPhase},
		{Name: "DeploymentEndpoints", Run: nodeDeploymentEndpoints},
		{Name: "EnvAndVolumes", Run: nodeEnvAndVolumes},
		{Name: "MissingImage", Run: nodeMissingImage},
		{Name: "IsolationAndDelete", Run: nodeIsolationAndDelete},
		{Name: "SecurityContext", Run: nodeSecurityContext},
		{Name: "ReadinessProbe", Run: nodeReadinessProbe},
		{Name: "ActiveDeadline", Run: nodeActiveDeadline},
		// Streams between the client and a container: exec, attach, run,
		// debug (node_streams_test.go).
		{Name: "ExecTTY", Run: nodeExecTTY},
		{Name: "AttachTTY", Run: nodeAttachTTY},
		{Name: "RunAttachPiped", Run: nodeRunAttachPiped},
		{Name: "ExecPipes", Run: nodeExecPipes},
		{Name: "DebugEphemeral", Run: nodeDebugEphemeral},
	})
}

// hostProcesses lists the PIDs on this host whose command line is exactly
// args (words joined by spaces).
func hostProcesses(args string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ") == args {
			pids = append(pids, pid)
		}
	}
	return pids
}
