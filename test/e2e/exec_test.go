package e2e

// kubectl-eshell --mode exec end to end: a shell (or a command) in the
// running container itself, chosen from what the user typed.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// exManifests: web (busybox, no bash), two containers with and without the
// default-container annotation, py (a full image with bash), broken (never
// runs), nosh (distroless, no shell), and "shared", a pod and a Deployment
// of the same name.
const exManifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: busybox:1.37, command: [sleep, infinity]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: two}
spec:
  selector: {matchLabels: {app: two}}
  template:
    metadata: {labels: {app: two}}
    spec:
      containers:
      - {name: first, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: first}]}
      - {name: second, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: second}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: annotated}
spec:
  selector: {matchLabels: {app: annotated}}
  template:
    metadata:
      labels: {app: annotated}
      annotations: {kubectl.kubernetes.io/default-container: second}
    spec:
      containers:
      - {name: first, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: first}]}
      - {name: second, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: second}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: py}
spec:
  selector: {matchLabels: {app: py}}
  template:
    metadata: {labels: {app: py}}
    spec:
      containers:
      - {name: py, image: "bash:5.2", command: [sleep, infinity]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      containers:
      - {name: broken, image: "missing.invalid/x:1"}
---
apiVersion: v1
kind: Pod
metadata: {name: nosh}
spec:
  containers:
  - {name: app, image: "gcr.io/distroless/static-debian12:nonroot", command: [/bin/sleep, infinity]}
---
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  containers:
  - {name: main, image: busybox:1.37, command: [sleep, infinity]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shared}
spec:
  selector: {matchLabels: {app: shared}}
  template:
    metadata: {labels: {app: shared}}
    spec:
      containers:
      - {name: main, image: busybox:1.37, command: [sleep, infinity]}
`

func TestExec(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Apply(exManifests)
	for _, d := range []string{"web", "two", "annotated", "py", "shared"} {
		f.Rollout("deploy/" + d)
	}
	f.Kubectl("", "wait", "--for=condition=Ready", "pod/nosh", "pod/shared", "--timeout=60s")
	webPod := podOf(f, "web")

	// Without a terminal: stdin, a command after -- or in --command, and
	// the command's exit code as eshell's.
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
	}{
		{"PipedStdin", "echo piped-$((1+1))\n", nil, 0, "piped-2\n"},
		{"CommandAfterDash", "", []string{"--", "sh", "-c", "echo a-$0", "x"}, 0, "a-x\n"},
		{"CommandFlag", "", []string{"--command", "sh,-c,echo b"}, 0, "b\n"},
		{"CommandExitCode", "", []string{"--", "sh", "-c", "echo out; exit 7"}, 7, "out\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := f.Sub(t)
			f.Eshell(tc.stdin, append([]string{"deploy/web", "--mode", "exec"}, tc.args...)...).Want(t, tc.code, tc.stdout)
		})
	}

	// The cases below share the pods above; webPod is deploy/web's.
	framework.RunCases(f, webPod, []framework.Case[string]{
		{Name: "InteractiveShell", Run: execInteractiveShell},
		{Name: "Container", Run: execContainer},
		{Name: "ShellFallback", Run: execShellFallback},
		{Name: "BareName", Run: execBareName},
		{Name: "Errors", Run: execErrors},
	})
}

// Through a terminal: a shell in the pod, whose exit code is eshell's.
func execInteractiveShell(t *testing.T, f *framework.F, webPod string) {
	term := f.Pty("deploy/web", "--mode", "exec")
	term.Expect(regexp.QuoteMeta("Using pod "+webPod+" (newest of 1 running)"), 20*time.Second)
	term.Expect(framework.Prompt, 20*time.Second)
	term.Type("echo $HOSTNAME; exit 3\r")
	term.Expect(`(?m)^`+regexp.QuoteMeta(webPod)+`\r?$`, 10*time.Second)
	if code := term.Wait(15 * time.Second); code != 3 {
		t.Fatalf("eshell exited %d after `exit 3` in the shell, want 3", code)
	}
}

// Container selection: the first, unless the default-container
// annotation names another, unless -c does.
func execContainer(t *testing.T, f *framework.F, _ string) {
	for _, tc := range []struct {
		name   string
		args   []string
		want   string
		stderr string // "" means: no "Defaulted container" note
	}{
		{"First", []string{"deploy/two"}, "first\n", `Defaulted container "first" out of: first, second; pick another with -c`},
		{"Annotation", []string{"deploy/annotated"}, "second\n", `Defaulted container "second" (from annotation kubectl.kubernetes.io/default-container) out of: first, second`},
		{"Flag", []string{"deploy/two", "-c", "second"}, "second\n", ""},
		{"FlagOverAnnotation", []string{"deploy/annotated", "-c", "first"}, "first\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := f.Sub(t)
			r := f.Eshell("", append(tc.args, "--mode", "exec", "--", "sh", "-c", "echo $WHICH")...)
			r.Want(t, 0, tc.want)
			if tc.stderr == "" && strings.Contains(r.Stderr, "Defaulted container") {
				t.Errorf("an explicit -c must not print a defaulting note; stderr: %s", r.Stderr)
			}
			if tc.stderr != "" && !strings.Contains(r.Stderr, tc.stderr) {
				t.Errorf("stderr %q does not say %q", r.Stderr, tc.stderr)
			}
		})
	}
}

// The auto shell is bash where the image has it, else sh.
func execShellFallback(t *testing.T, f *framework.F, _ string) {
	f.Eshell("echo $0; command -v bash || echo nobash\n", "deploy/web", "--mode", "exec").Want(t, 0, "sh\nnobash\n")
	r := f.Eshell("echo bash=$BASH_VERSION\n", "deploy/py", "--mode", "exec")
	if r.Code != 0 || !regexp.MustCompile(`^bash=\d+\.\d+\S*\n$`).MatchString(r.Stdout) {
		t.Errorf("in a bash image the auto shell should be bash: exit %d, stdout %q (stderr: %s)", r.Code, r.Stdout, r.Stderr)
	}
}

// A bare NAME is a pod if there is one, else a workload of that name.
func execBareName(t *testing.T, f *framework.F, webPod string) {
	r := f.Eshell("echo $HOSTNAME\n", "shared", "--mode", "exec")
	r.Want(t, 0, "shared\n")
	if strings.Contains(r.Stderr, "Using pod") {
		t.Errorf("bare name shared should be the pod, not deploy/shared; stderr: %s", r.Stderr)
	}
	r = f.Eshell("echo $HOSTNAME\n", "web", "--mode", "exec")
	r.Want(t, 0, webPod+"\n", "Using pod "+webPod) // bare name web resolves to deploy/web
}

// Bad input: exit code 1 and one line on stderr that says what is wrong
// and what to do.
func execErrors(t *testing.T, f *framework.F, _ string) {
	ns := f.Namespace
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"UnknownType", []string{"foo/bar"},
			[]string{`unknown resource type "foo" in "foo/bar": eshell supports `, "deployment (deploy)"}},
		{"MissingWorkload", []string{"deploy/wbe"},
			[]string{fmt.Sprintf(`no deployment "wbe" in namespace %q; did you mean deploy/web?`, ns)}},
		{"NothingNamed", []string{"nothing"},
			[]string{fmt.Sprintf(`no pod or workload named "nothing" in namespace %q`, ns)}},
		{"NoRunningPod", []string{"deploy/broken"},
			[]string{fmt.Sprintf(`deploy/broken in namespace %q has no running, ready pod`, ns), "use --mode clone"}},
		{"UnknownContainer", []string{"deploy/two", "-c", "nope"},
			[]string{`container "nope" not found; valid containers: first, second; pass one with -c`}},
		{"Unreachable", []string{"deploy/web", "--server", "https://127.0.0.1:1"},
			[]string{"cannot reach the cluster at https://127.0.0.1:1"}},
		{"NoShell", []string{"pod/nosh"},
			[]string{`container "app" of pod "nosh" has no shell (sh)`, "--mode debug"}},
		{"NoSuchProgram", []string{"pod/shared", "--", "nosuchprog"},
			[]string{`cannot run nosuchprog in container "main"`, "check the program name"}},
		{"TooManyArgs", []string{"deploy/web", "deploy/two"},
			[]string{`too many arguments ["deploy/web" "deploy/two"]`, "put the command after --"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := f.Sub(t)
			r := f.Eshell("", append([]string{"--mode", "exec"}, tc.args...)...)
			if r.Code != 1 {
				t.Errorf("exit %d, want 1", r.Code)
			}
			if r.Stdout != "" {
				t.Errorf("stdout %q, want nothing", r.Stdout)
			}
			if !strings.HasPrefix(r.Stderr, "error: ") || strings.Count(r.Stderr, "\n") != 1 || !strings.HasSuffix(r.Stderr, "\n") {
				t.Errorf("stderr should be exactly one line starting with \"error: \", it is %d lines: %q", strings.Count(r.Stderr, "\n"), r.Stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q does not say %q", r.Stderr, w)
				}
			}
		})
	}
}
