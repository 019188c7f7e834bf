package e2e

// Shell-less clones: a clone of an image without sh (the local stand-in
// for distroless: /bin/sleep only, user 65532) runs its lifeline and the
// user's shell from a static busybox that an init container copies in,
// inside the app's own image, environment and user.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

const distroless = "gcr.io/distroless/static-debian12:nonroot"

// distrolessApp is a Deployment of the shell-less image with a variable of
// its template; with restricted, a security context Pod Security
// "restricted" admits (the user is the image's: 65532).
func distrolessApp(f *framework.F, restricted bool) {
	f.T.Helper()
	security := ""
	if restricted {
		security = `
  securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`
	}
	spec := `
containers:
- name: app
  image: "` + distroless + `"
  command: [/bin/sleep, infinity]
  env: [{name: GREETING, value: from-template}]` + security + `
`
	if restricted {
		spec = "securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}" + spec
	}
	f.Apply(idleWeb(spec))
}

// What the shell sees in the clone: the image's files (ls / and /bin), the
// template's variable, the image's user, and the tools last on PATH.
const shellLessProbe = `ls /; ls /bin/sleep; echo "GREETING=$GREETING"; echo "uid=$(id -u)"; echo "PATH=$PATH"`

func checkShellLess(t *testing.T, r framework.Result) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("the shell-less clone failed: %+v", r)
	}
	for _, want := range []string{"bin\n", "etc\n", "/bin/sleep\n", "GREETING=from-template\n", "uid=65532\n", ":/.eshell/bin\n"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, ".eshell\n") {
		t.Errorf("ls / shows the tools directory, which an image with a shell would not have:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stderr, "The image "+distroless+" has no shell") {
		t.Errorf("no note that the image has no shell:\n%s", r.Stderr)
	}
}

func TestShellLessClone(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	distrolessApp(f, false)
	checkShellLess(t, f.Eshell("", "deploy/web", "--", "sh", "-c", shellLessProbe))
	// A program the image has runs as it is; one it lacks comes from the tools.
	if r := f.Eshell("", "deploy/web", "--", "ls", "/bin"); r.Code != 0 || r.Stdout != "sleep\n" {
		t.Errorf("ls /bin: %+v", r)
	}
	// A debug image the node cannot pull fails at once, naming the copy
	// and the config key, not as a timeout of the app's container.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("debugImage: eshell-no-such-image:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.Eshell("", "deploy/web", "--config", cfg, "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "error: copying a static shell out of eshell-no-such-image:1 into the clone failed") || !strings.Contains(r.Stderr, "debugImage") {
		t.Errorf("an unpullable debug image: %+v", r)
	}
	expectNoClonesWithin(f, 60*time.Second)
}

// Under Pod Security "restricted" the copy runs as a non-root user with the
// app's security context, and the namespace admits the clone.
func TestShellLessCloneRestricted(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	f.Kubectl("", "label", "namespace", f.Namespace, "pod-security.kubernetes.io/enforce=restricted")
	distrolessApp(f, true)
	checkShellLess(t, f.Eshell("", "deploy/web", "--", "sh", "-c", shellLessProbe))
	expectNoClonesWithin(f, 60*time.Second)
}

// A terminal session in a shell-less clone whose client is SIGKILLed: the
// lifeline, run by the copied shell, still ends the clone on the server.
func TestShellLessCloneSIGKILL(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	distrolessApp(f, false)
	term := f.Pty("deploy/web")
	term.Expect(`[#$] `, 30*time.Second)
	term.Type("echo \"uid=$(id -u) $GREETING\"\r")
	term.Expect(`uid=65532 from-template`, 10*time.Second)
	term.Type("sleep 500\r")
	time.Sleep(500 * time.Millisecond)
	term.Kill()
	killed := time.Now()
	f.Eventually("the orphan's pod to end", 30*time.Second, func() bool {
		c := clones(f)
		return len(c) == 0 || c[0].Status.Phase == corev1.PodSucceeded || c[0].Status.Phase == corev1.PodFailed
	})
	t.Logf("pod ended %.1fs after SIGKILL", time.Since(killed).Seconds())
	expectNoClonesWithin(f, 60*time.Second-time.Since(killed))
}

// An attach to a kept shell-less clone runs from its static shell too.
func TestShellLessAttach(t *testing.T) {
	t.Parallel()
	f := framework.New(t)
	distrolessApp(f, false)
	id := keptID(f, f.Eshell("", "deploy/web", "--keep", "--", "true"))
	defer f.Eshell("", "end", id)
	r := f.Eshell("", "attach", id, "--", "ls", "/bin")
	r.Want(t, 0, "sleep\n")
	r = f.Eshell("echo \"uid=$(id -u) $GREETING\"\n", "attach", id)
	r.Want(t, 0, "uid=65532 from-template\n")
}
