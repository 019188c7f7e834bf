package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// gated adds, behind eshell's back, the debug container eshell would add
// (from its dry run): one whose client never attached, as when a client is
// killed between adding and attaching. Its lifeline waits at its start
// gate for 10s.
func (d *debugTarget) gated() string {
	f := d.f
	f.T.Helper()
	r := f.Eshell("", "deploy/web", "--mode", "debug", "--dry-run=client", "-o", "json", "--pod-running-timeout", "10s")
	var ec corev1.EphemeralContainer
	if err := json.Unmarshal([]byte(r.Stdout), &ec); r.Code != 0 || err != nil {
		f.T.Fatalf("dry run: exit %d, %v", r.Code, err)
	}
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []any{ec}}})
	if _, err := f.Client.CoreV1().Pods(f.Namespace).Patch(f.Ctx, d.pod().Name, types.StrategicMergePatchType, body, metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		f.T.Fatal(err)
	}
	f.Eventually(ec.Name+" to run", 20*time.Second, func() bool {
		st := d.status(ec.Name)
		return st != nil && st.State.Running != nil
	})
	return ec.Name
}

func TestDebugTTY(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	term := f.Pty("deploy/web", "--mode", "debug")
	// The prompt shows without typing: nothing the shell printed before the attach was lost.
	m := term.Expect(`(?s)Waiting for debug container (eshell-[a-z0-9]{5}) to start\.\.\..*`+framework.Prompt, 30*time.Second)
	name := m[1]
	term.Type(`echo "env=$GREETING"; cat ` + d.mountDir + `/motd; echo; exit 3` + "\r")
	term.Expect(`env=`+greeting, 10*time.Second)
	term.Expect(d.fileValue, 5*time.Second)
	if code := term.Wait(30 * time.Second); code != 3 {
		t.Fatalf("exit code %d, want 3", code)
	}
	out := term.Output()
	if !strings.Contains(out, "Using --profile general: the API server admits it") {
		t.Errorf("auto profile in an unrestricted namespace should say general:\n%s", out)
	}
	if !strings.Contains(out, "the ephemeral container "+name+" stays in the pod spec") {
		t.Errorf("no note that %s stays in the pod spec:\n%s", name, out)
	}
	ecs := d.ephemeral()
	if len(ecs) != 1 || ecs[0].Name != name {
		t.Fatalf("ephemeral containers %v, want exactly %s", ecs, name)
	}
	if ecs[0].TargetContainerName != "web" {
		t.Errorf("targetContainerName = %q, want web", ecs[0].TargetContainerName)
	}
	// The container's process is the lifeline (stdin, no terminal); the
	// shell ran beside it through exec, with the terminal.
	if ecs[0].TTY || !ecs[0].Stdin || !ecs[0].StdinOnce {
		t.Errorf("tty %v stdin %v stdinOnce %v, want a lifeline: stdin and stdinOnce without a tty", ecs[0].TTY, ecs[0].Stdin, ecs[0].StdinOnce)
	}
	// The session's end released the lifeline: the container ends.
	if st := d.expectTerminated(name, 15*time.Second); st.ExitCode != 0 {
		t.Errorf("the lifeline of %s exited %d, want 0 (its client ended)", name, st.ExitCode)
	}
}

func TestDebugPipedAndConcurrent(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)
	r := f.Eshell(`echo "v=$GREETING"; cat `+d.mountDir+"/motd; echo; exit 4\n", "deploy/web", "--mode", "debug")
	if r.Code != 4 {
		t.Errorf("exit code %d, want 4", r.Code)
	}
	if !strings.Contains(r.Stdout, "v="+greeting) || !strings.Contains(r.Stdout, d.fileValue) {
		t.Errorf("piped session lost the env or the mount:\n%s", r.Stdout)
	}
	if r := f.Eshell("echo second\n", "deploy/web", "--mode", "debug"); r.Code != 0 || !strings.Contains(r.Stdout, "second") {
		t.Errorf("second session: %+v", r)
	}
	// Two at once: both read the same pod version, and both must land.
	var wg sync.WaitGroup
	results := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "--mode", "debug", "--", "sh", "-c", fmt.Sprintf("sleep 2; echo parallel-%d-$$", i))
			out, err := cmd.CombinedOutput()
			results[i], codes[i] = string(out), cmd.ProcessState.ExitCode()
			if err != nil && cmd.ProcessState == nil {
				results[i] = err.Error()
			}
		}()
	}
	wg.Wait()
	for i := range 2 {
		// $$ reaches the shell as typed (the kubelet would turn an unescaped $$ into $).
		if codes[i] != 0 || !regexp.MustCompile(fmt.Sprintf(`parallel-%d-\d+`, i)).MatchString(results[i]) {
			t.Errorf("concurrent session %d: exit %d\n%s", i, codes[i], results[i])
		}
	}
	names := map[string]bool{}
	for _, ec := range d.ephemeral() {
		if !strings.HasPrefix(ec.Name, keys.DebugContainerPrefix) || ec.TargetContainerName != "web" {
			t.Errorf("unexpected ephemeral container %s (target %q)", ec.Name, ec.TargetContainerName)
		}
		names[ec.Name] = true
	}
	if len(names) != 4 {
		t.Errorf("the pod has ephemeral containers %v, want 4 distinct ones (2 sequential, 2 concurrent)", names)
	}
}

func TestDebugPodSecurity(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	ns, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, f.Namespace, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	if _, err := f.Client.CoreV1().Namespaces().Update(f.Ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := newDebugTarget(f, true)

	r := f.Eshell("echo ok-$GREETING\n", "deploy/web", "--mode", "debug")
	if r.Code != 0 || !strings.Contains(r.Stdout, "ok-"+greeting) {
		t.Fatalf("auto profile in a restricted namespace: %+v", r)
	}
	if !strings.Contains(r.Stderr, `--profile baseline was refused: violates PodSecurity "restricted:latest"`) || !strings.Contains(r.Stderr, "Using --profile restricted") {
		t.Errorf("the output does not say the restricted profile was chosen:\n%s", r.Stderr)
	}
	if ecs := d.ephemeral(); len(ecs) != 1 || ecs[0].SecurityContext == nil || ecs[0].SecurityContext.RunAsNonRoot == nil || !*ecs[0].SecurityContext.RunAsNonRoot {
		t.Fatalf("want one debug container running as non-root, got %+v", ecs)
	}

	// The namespace really enforces: the server refuses a privileged one.
	priv := d.ephemeral()[0].DeepCopy()
	priv.Name = "eshell-priv0"
	priv.SecurityContext = &corev1.SecurityContext{Privileged: new(true)}
	body, _ := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []any{priv}}})
	_, err = f.Client.CoreV1().Pods(f.Namespace).Patch(f.Ctx, d.pod().Name, types.StrategicMergePatchType, body,
		metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}, "ephemeralcontainers")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("a privileged debug container was not refused by the server (err %v): the test proves nothing", err)
	}

	r = f.Eshell("", "deploy/web", "--mode", "debug", "--profile", "sysadmin")
	if r.Code != 1 {
		t.Errorf("--profile sysadmin: exit %d, want 1", r.Code)
	}
	// Refused by the server, which stores nothing it refuses; the advice
	// names the profile a dry run admits, not the refused one.
	for _, want := range []string{`violates PodSecurity "restricted:latest"`, "privileged", "allowPrivilegeEscalation != false", "--profile restricted is admitted", "nothing was added"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the rejection does not mention %q:\n%s", want, r.Stderr)
		}
	}
	d.expectCount(1, "after the rejected --profile sysadmin")

	if r := f.Eshell("echo again\n", "deploy/web", "--mode", "debug", "--profile", "auto"); r.Code != 0 || !strings.Contains(r.Stdout, "again") {
		t.Errorf("a session after the rejection failed: %+v", r)
	}
	d.expectCount(2, "after the second auto session")
}

func TestDebugBoundAndReuse(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	d := newDebugTarget(f, false)

	// A killed client: the lifeline ends the container; --max-duration
	// also bounds it on the server (the lifeline's own bound).
	term := f.Pty("deploy/web", "--mode", "debug", "--max-duration", "5s")
	name := term.Expect(`(?s)Waiting for debug container (eshell-[a-z0-9]{5}) to start\.\.\..*`+framework.Prompt, 30*time.Second)[1]
	term.Kill()
	if cmd := d.ephemeral()[0].Command; !strings.Contains(strings.Join(cmd, " "), "sleep 5 & m=") {
		t.Errorf("the debug container's command has no 5s bound: %q", cmd)
	}
	d.expectTerminated(name, 10*time.Second)

	// With the client connected, the bound ends a command that would run longer.
	start := time.Now()
	r := f.Eshell("", "deploy/web", "--mode", "debug", "--max-duration", "2s", "--", "sleep", "30")
	if r.Code == 0 || time.Since(start) > 25*time.Second {
		t.Errorf("--max-duration 2s with sleep 30: exit %d after %s, want a failure soon after 2s", r.Code, time.Since(start))
	}
	d.expectCount(2, "after two sessions")

	// A still-running container of this user and image: --reuse opens the
	// shell in it.
	waiting := d.gated()
	r = f.Eshell("echo reused-$GREETING\n", "deploy/web", "--mode", "debug", "--reuse")
	if r.Code != 0 || !strings.Contains(r.Stdout, "reused-"+greeting) || !strings.Contains(r.Stderr, "Opening a shell in debug container "+waiting) {
		t.Errorf("--reuse did not open a shell in %s: %+v", waiting, r)
	}
	d.expectCount(3, "--reuse must not add a container")
	// Nobody holds its lifeline: its start timeout (gated's --pod-running-timeout) ends it.
	d.expectTerminated(waiting, 30*time.Second)

	// On a terminal, eshell asks.
	waiting = d.gated()
	term = f.Pty("deploy/web", "--mode", "debug")
	term.Expect(`already has your running debug container `+waiting+` \(busybox:1\.37\)\. Attach to it instead of adding another\? \[y/N\] `, 20*time.Second)
	term.Type("y\r")
	term.Expect(`Opening a shell in debug container `+waiting, 10*time.Second)
	term.Type("echo prompted-$GREETING; exit 5\r")
	term.Expect(`prompted-`+greeting, 10*time.Second)
	if code := term.Wait(20 * time.Second); code != 5 {
		t.Errorf("exit code %d after reusing on a terminal, want 5", code)
	}
	d.expectCount(4, "answering y must not add a container")
}

// TestDebugDryRunAndBadInputs: what must add no debug container, or fail
// fast, against one Deployment; the steps run in order, each counting the
// pod's ephemeral containers.
func TestDebugDryRunAndBadInputs(t *testing.T) {
	t.Parallel()
	d := newDebugTarget(framework.New(t), false)
	for _, step := range []struct {
		name string
		run  func(*testing.T, *debugTarget)
	}{
		{"a client dry run prints the container and adds none", debugDryRunClient},
		{"refused inputs add none", debugRefusedInputs},
		{"an image that cannot be pulled fails fast, with the kubelet's reason", debugUnpullable},
		{"without the debug Role nothing is added", debugWithoutRole},
		{"a pod that is not running is refused", debugNotRunning},
	} {
		t.Run(step.name, func(t *testing.T) { step.run(t, d.sub(t)) })
	}
}

func debugDryRunClient(t *testing.T, d *debugTarget) {
	r := d.f.Eshell("", "deploy/web", "--mode", "debug", "--dry-run=client", "-o", "yaml")
	var ec corev1.EphemeralContainer
	if err := yaml.UnmarshalStrict([]byte(r.Stdout), &ec); r.Code != 0 || err != nil {
		t.Fatalf("dry run: exit %d, %v\n%s", r.Code, err, r.Stdout)
	}
	if !strings.HasPrefix(ec.Name, "eshell-") || ec.TargetContainerName != "web" || ec.Image != "busybox:1.37" {
		t.Errorf("dry run printed name %q target %q image %q, want eshell-..., web, busybox:1.37", ec.Name, ec.TargetContainerName, ec.Image)
	}
	d.expectCount(0, "after --dry-run=client")
}

func debugRefusedInputs(t *testing.T, d *debugTarget) {
	r := d.f.Eshell("", "deploy/web", "--mode", "debug", "-c", "nope")
	if r.Code != 1 || !strings.Contains(r.Stderr, `container "nope" not found; valid containers: web`) {
		t.Errorf("-c nope: %+v", r)
	}
	r = d.f.Eshell("", "deploy/web", "--mode", "debug", "--profile", "superuser")
	if r.Code != 1 || !strings.Contains(r.Stderr, `unknown profile "superuser"`) {
		t.Errorf("--profile superuser: %+v", r)
	}
	d.expectCount(0, "after refused inputs")
}

func debugUnpullable(t *testing.T, d *debugTarget) {
	start := time.Now()
	r := d.f.Eshell("", "deploy/web", "--mode", "debug", "--image", "missing.invalid/tools:1", "--pod-running-timeout", "60s")
	if r.Code != 1 || !regexp.MustCompile(`did not start: (ErrImagePull|ImagePullBackOff).*--image`).MatchString(r.Stderr) {
		t.Errorf("unpullable image: %+v", r)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("unpullable image took %s to report: it should fail fast", time.Since(start))
	}
}

func debugWithoutRole(t *testing.T, d *debugTarget) {
	f := d.f
	f.Apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev-read}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [apps], resources: [deployments], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-read}
subjects: [{kind: User, name: dev, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: dev-read, apiGroup: rbac.authorization.k8s.io}
`)
	dev := func(args ...string) framework.Result {
		cmd := f.Cmd(f.Plugin, append([]string{"-n", f.Namespace}, args...)...)
		cmd.Env = append(cmd.Env, "KUBECONFIG="+f.DevKubeconfig)
		return f.Run(cmd, "")
	}
	f.Eventually("the dev Role to apply", 10*time.Second, func() bool {
		cmd := f.Cmd(f.Env.Kubectl, "-n", f.Namespace, "get", "deploy/web")
		cmd.Env = append(cmd.Env, "KUBECONFIG="+f.DevKubeconfig)
		return cmd.Run() == nil
	})
	// New bound dev to the shipped debug Role; this part is about a user without it.
	if err := f.Client.RbacV1().RoleBindings(f.Namespace).Delete(f.Ctx, "dev-eshell-debug", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.Eventually("dev to lose the debug Role", 10*time.Second, func() bool {
		cmd := f.Cmd(f.Env.Kubectl, "-n", f.Namespace, "auth", "can-i", "patch", "pods", "--subresource=ephemeralcontainers")
		cmd.Env = append(cmd.Env, "KUBECONFIG="+f.DevKubeconfig)
		return cmd.Run() != nil
	})
	before := len(d.ephemeral())
	r := dev("deploy/web", "--mode", "debug")
	if r.Code != 1 || !strings.Contains(r.Stderr, "patch pods/ephemeralcontainers") || !strings.Contains(r.Stderr, `user "dev"`) {
		t.Errorf("without pods/ephemeralcontainers: %+v", r)
	}
	d.expectCount(before, "after the forbidden session")
	f.BindDev("eshell-debug")
}

func debugNotRunning(t *testing.T, d *debugTarget) {
	f := d.f
	f.Apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  replicas: 1
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec: {containers: [{name: app, image: missing.invalid/x}]}
`)
	f.Eventually("the broken pod to exist", 20*time.Second, func() bool {
		l, err := f.Client.CoreV1().Pods(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: "app=broken"})
		return err == nil && len(l.Items) > 0
	})
	r := f.Eshell("", "deploy/broken", "--mode", "debug")
	// Debug takes a running pod that is not ready, so only "running" is said.
	if r.Code != 1 || !strings.Contains(r.Stderr, "deploy/broken in namespace \""+f.Namespace+"\" has no running pod (pods: ") {
		t.Errorf("a pending pod: %+v", r)
	}
}
