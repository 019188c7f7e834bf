package e2e

// Clone overrides: --set-image, --set-env, --set-env-file, --requests and
// --limits change the clone, and the values of variables reach no object
// that those who may read pods, Jobs or Events can read.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// overrideApp is a busybox Deployment (no bash in it) with a variable the
// overrides replace and one they leave, and a native sidecar. No replica
// runs: a clone needs only the template.
func overrideApp(f *framework.F) {
	f.T.Helper()
	f.Apply(idleWeb(`
initContainers:
- {name: proxy, image: busybox:1.37, restartPolicy: Always, command: [sleep, infinity]}
containers:
- name: web
  image: busybox:1.37
  command: [sleep, infinity]
  env: [{name: FOO, value: from-template}, {name: KEEP, value: kept}]
  resources: {requests: {cpu: 10m}}
`))
}

// syncBuffer is a bytes.Buffer a running command writes while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envSecrets lists the env Secrets of sessions in the test's namespace.
func envSecrets(f *framework.F) []corev1.Secret {
	f.T.Helper()
	l, err := f.Client.CoreV1().Secrets(f.Namespace).List(f.Ctx, metav1.ListOptions{LabelSelector: keys.ManagedByLabel + "=" + keys.ManagedByValue})
	if err != nil {
		f.T.Fatalf("listing env Secrets: %v", err)
	}
	return l.Items
}

// expectNoEnvSecrets waits until the garbage collector has deleted the env
// Secrets with their Jobs.
func expectNoEnvSecrets(f *framework.F, d time.Duration) {
	f.T.Helper()
	f.Eventually("the env Secret to go with its Job", d, func() bool { return len(envSecrets(f)) == 0 })
}

func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// bash replaces busybox, variables from a file and the command line reach
// the shell (the later flag wins, the template's variable of the name is
// replaced in place), the sidecar gets its image by name, and the
// resources are the pod's. The Secret of the values is owned by the Job
// and goes with it.
func TestOverrideImageEnvResources(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	overrideApp(f)
	file := writeEnvFile(t, "# from a file\nFOO=from-file\n\nBAZ=from-file\n")
	args := []string{"deploy/web", "--set-image", "bash:5.2", "--set-image", "proxy=bash:5.2", "--set-env-file", file, "--set-env", "FOO=bar",
		"--requests", "cpu=50m,memory=32Mi", "--limits", "cpu=200m,memory=64Mi"}
	r := f.Eshell("", append(args, "--", "bash", "-c", `echo "bash=$BASH_VERSION foo=$FOO baz=$BAZ keep=$KEEP"`)...)
	if r.Code != 0 || !regexp.MustCompile(`bash=5\.2\.\d+\S* foo=bar baz=from-file keep=kept`).MatchString(r.Stdout) {
		t.Fatalf("want bash 5.2 and the overridden variables in the clone: %+v", r)
	}
	expectJobRemoved(f, r.Stderr)

	cmd := f.Cmd(f.Plugin, append(append([]string{"-n", f.Namespace, "-i=false"}, args...), "--", "sleep", "300")...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	pod := runningClone(f)
	c := pod.Spec.Containers[0]
	if c.Image != "bash:5.2" || len(pod.Spec.InitContainers) != 1 || pod.Spec.InitContainers[0].Image != "bash:5.2" {
		t.Errorf("images: container %s, init containers %v", c.Image, pod.Spec.InitContainers)
	}
	var names []string
	secret := ""
	for _, e := range c.Env {
		names = append(names, e.Name)
		switch {
		case e.Name == "KEEP":
			if e.Value != "kept" {
				t.Errorf("KEEP = %+v, want the template's", e)
			}
		case e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Key != e.Name:
			t.Errorf("%s = %+v: want it from the session's Secret", e.Name, e)
		default:
			secret = e.ValueFrom.SecretKeyRef.Name
		}
	}
	if strings.Join(names, ",") != "FOO,KEEP,BAZ" {
		t.Errorf("env %v: want FOO replaced where it was, BAZ added", names)
	}
	res := f.Kubectl("", "get", "pod", pod.Name, "-o", "jsonpath={.spec.containers[0].resources}")
	if !jsonEqual(json.RawMessage(res), map[string]any{"requests": map[string]string{"cpu": "50m", "memory": "32Mi"}, "limits": map[string]string{"cpu": "200m", "memory": "64Mi"}}) {
		t.Errorf("resources %s", res)
	}
	s, err := f.Client.CoreV1().Secrets(f.Namespace).Get(f.Ctx, secret, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the env Secret %q: %v", secret, err)
	}
	jobs := cloneJobs(f)
	if len(jobs) != 1 || len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != jobs[0].UID || s.Labels[keys.SessionLabel] != jobs[0].Labels[keys.SessionLabel] {
		t.Errorf("the env Secret is not the session's, owned by its Job: %+v", s.ObjectMeta)
	}
	if string(s.Data["FOO"]) != "bar" || string(s.Data["BAZ"]) != "from-file" || len(s.Data) != 2 {
		t.Errorf("env Secret data %q", s.Data)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	ended := time.Now()
	expectNoClones(f)
	expectNoEnvSecrets(f, 60*time.Second)
	t.Logf("the env Secret was gone %.1fs after the session ended", time.Since(ended).Seconds())
}

// A value given with --set-env or --set-env-file is in no pod, Job,
// annotation or Event, in no -v=9 line and in no dry run, which show the
// names, the images and the resources instead.
func TestOverrideEnvValuesStayOut(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	overrideApp(f)
	secret := "hunter2-" + framework.RandSuffix()
	file := writeEnvFile(t, "PW_FILE="+secret+"-file\n")
	leaks := func(s string) bool {
		return strings.Contains(s, secret) || strings.Contains(s, "hunter") || strings.Contains(s, "68 75 6e 74") ||
			strings.Contains(s, base64.StdEncoding.EncodeToString([]byte(secret))[:8])
	}
	override := []string{"--set-image", "bash:5.2", "--set-env", "PW=" + secret, "--set-env-file", file, "--requests", "cpu=50m", "--limits", "memory=64Mi"}
	for _, dry := range []string{"--dry-run=client", "--dry-run=server"} {
		r := f.Eshell("", append(append([]string{"deploy/web", dry}, override...), "--", "true")...)
		if r.Code != 0 {
			t.Fatalf("%s: %+v", dry, r)
		}
		for _, want := range []string{"kind: List", "kind: Job", "image: bash:5.2", "name: PW\n", "name: PW_FILE", "secretKeyRef", "kind: Secret",
			"PW: '<redacted: 13 bytes>'", "PW_FILE: '<redacted: 18 bytes>'", "cpu: 50m", "memory: 64Mi", "kind: Job\n      name: web-eshell-"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("%s lacks %q:\n%s", dry, want, r.Stdout)
			}
		}
		if leaks(r.Stdout + r.Stderr) {
			t.Errorf("%s shows a value:\n%s", dry, r.Stdout)
		}
	}
	if n := len(cloneJobs(f)) + len(clones(f)) + len(envSecrets(f)); n != 0 {
		t.Fatalf("the dry runs created %d objects", n)
	}

	r := f.Eshell("", append(append([]string{"deploy/web", "--keep", "-v=9"}, override...), "--", "sh", "-c", `echo "pw=$PW file=$PW_FILE"`)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "pw="+secret+" file="+secret+"-file") {
		t.Fatalf("the values did not reach the shell: %+v", r)
	}
	if leaks(r.Stderr) {
		t.Errorf("the -v=9 log shows a value")
	}
	if !strings.Contains(r.Stderr, "secrets") || !strings.Contains(r.Stderr, "[redacted]") {
		t.Errorf("-v=9 logged no request that carried the values, so the test proves nothing")
	}
	rec := recorded(f)
	if leaks(rec) {
		t.Errorf("a value is recorded in a pod, Job or Event:\n%s", rec)
	}
	if !strings.Contains(rec, `"secretKeyRef":{"name":"eshell-env-`) || !strings.Contains(rec, `"image":"bash:5.2"`) {
		t.Errorf("the record holds no kept clone, so the test proves nothing:\n%s", rec)
	}
	jobs := cloneJobs(f)
	if len(jobs) != 1 || len(envSecrets(f)) != 1 {
		t.Fatalf("want the kept clone's Job and env Secret, got %d and %d", len(jobs), len(envSecrets(f)))
	}
	if r := f.Eshell("", "end", jobs[0].Labels[keys.SessionLabel]); r.Code != 0 {
		t.Fatalf("end: %+v", r)
	}
	expectNoClones(f)
	expectNoEnvSecrets(f, 60*time.Second)
}

// A client killed mid-session: the lifeline ends the clone, the TTL
// controller deletes the Job and the garbage collector its Secret, with no
// client and no gc.
func TestOverrideEnvSecretGoesAfterSIGKILL(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	overrideApp(f)
	cmd := f.Cmd(f.Plugin, "-n", f.Namespace, "deploy/web", "-i=false", "--set-env", "FOO=bar", "--", "sh", "-c", "echo running=$FOO; sleep 300")
	var out syncBuffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	// Killed once the command runs, so the lifeline is held: a client
	// killed before would leave the clone to the lifeline's start timeout.
	f.Eventually("the command to run in the clone", 60*time.Second, func() bool { return strings.Contains(out.String(), "running=bar") })
	if len(envSecrets(f)) != 1 {
		t.Fatalf("no env Secret while the clone runs")
	}
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	killed := time.Now()
	expectNoClonesWithin(f, 90*time.Second)
	expectNoEnvSecrets(f, 90*time.Second-time.Since(killed))
	t.Logf("Job, pod and env Secret gone %.1fs after SIGKILL", time.Since(killed).Seconds())
}

// A missing image fails at once, naming --set-image, and an image without
// sh is refused for the lifeline; both leave nothing. Wrong overrides are
// refused before anything is created.
func TestOverrideFailuresLeaveNothing(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	overrideApp(f)
	start := time.Now()
	r := f.Eshell("", "deploy/web", "--set-image", "missing.invalid/app:1", "--set-env", "A=b", "--pod-running-timeout", "2m", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "ImagePull") || !strings.Contains(r.Stderr, "the image missing.invalid/app:1 was given with --set-image") ||
		strings.Contains(r.Stderr, "cannot reach the cluster") {
		t.Errorf("missing image: want a pull error naming --set-image, got %+v", r)
	}
	// At the kubelet's first failed pull, not at --pod-running-timeout.
	if d := time.Since(start); d > time.Minute {
		t.Errorf("a missing image failed after %s, not at once", d)
	}
	t.Logf("the missing image failed after %.1fs", time.Since(start).Seconds())
	expectNoClones(f)
	expectNoEnvSecrets(f, 60*time.Second)

	// An image without sh that eshell does not know as such (distroless
	// gets a static shell, see shellless_test.go): the pause image.
	r = f.Eshell("", "deploy/web", "--set-image", "registry.k8s.io/pause:3.10", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "the image registry.k8s.io/pause:3.10 given with --set-image has no shell (sh)") || !strings.Contains(r.Stderr, "pass --static-shell") {
		t.Errorf("an image without sh: %+v", r)
	}
	expectNoClones(f)

	bad := writeEnvFile(t, "A=1\n# c\nnot-a-line\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--set-image", "nope=bash:5.2"}, `no container "nope" in deployment/web: give one of proxy, web`},
		{[]string{"--requests", "cpu=2", "--limits", "cpu=1"}, "the request cpu=2 (--requests) is above the limit cpu=1 (--limits)"},
		{[]string{"--limits", "cpu=5m"}, "the request cpu=10m (the template's request) is above the limit cpu=5m (--limits)"},
		{[]string{"--requests", "gpu=1"}, `unknown resource "gpu"`},
		{[]string{"--limits", "memory=lots"}, "memory=lots"},
		{[]string{"--set-env-file", bad}, bad + " line 3: no ="},
		{[]string{"--set-env", "9X=1"}, `"9X" is not a variable name`},
	} {
		r := f.Eshell("", append(append([]string{"deploy/web"}, c.args...), "--", "true")...)
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%q: want exit 1 and %q, got %+v", c.args, c.want, r)
		}
	}
	if n := len(cloneJobs(f)) + len(clones(f)) + len(envSecrets(f)); n != 0 {
		t.Errorf("refused overrides left %d objects", n)
	}
}

// A user whose clone Role lacks create on secrets is refused by the
// pre-check when, and only when, --set-env is given, before anything is
// created.
func TestOverrideEnvRefusedWithoutSecretsPermission(t *testing.T) {
	t.Parallel()
	f := framework.NewUnbound(t)
	overrideApp(f)
	role := f.ShippedRole("eshell-clone")
	kept := role.Rules[:0]
	for _, r := range role.Rules {
		if len(r.Resources) != 1 || r.Resources[0] != "secrets" {
			kept = append(kept, r)
		}
	}
	if len(kept) != len(role.Rules)-1 {
		t.Fatalf("deploy/rbac/eshell-clone.yaml has no rule of its own for secrets")
	}
	role.Rules = kept
	f.BindDevTo(role)
	r := f.Eshell("", "deploy/web", "--set-env", "FOO=bar", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, `user "dev" is missing 1 permission`) || !strings.Contains(r.Stderr, "create secrets in namespace") ||
		!strings.Contains(r.Stderr, "nothing was created") || !strings.Contains(r.Stderr, "--set-env") {
		t.Errorf("want the pre-check's refusal naming create secrets, got %+v", r)
	}
	if n := len(cloneJobs(f)) + len(clones(f)); n != 0 {
		t.Errorf("a refused clone created %d objects", n)
	}
	if n := len(envSecrets(f)); n != 0 {
		t.Errorf("a refused clone created %d Secrets", n)
	}
	if r := f.Eshell("", "deploy/web", "--set-image", "bash:5.2", "--", "bash", "-c", "echo ok"); r.Code != 0 || !strings.Contains(r.Stdout, "ok") {
		t.Errorf("without --set-env no Secret is needed: %+v", r)
	}
	expectNoClones(f)
}
