package e2e

// The environment picker knows each environment's state: rows show owner
// and age, newest first; environments failing a status check are hidden
// unless asked for; and a service with no ready pod offers a clone.

import (
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sberz/kubectl-eshell/pkg/meta"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// epZero is a Deployment scaled to zero: nothing to exec into.
var epZero = idleWeb(`
terminationGracePeriodSeconds: 0
containers: [{name: web, image: busybox:1.37, command: [sleep, infinity]}]
`)

func TestEnvPick(t *testing.T) {
	t.Parallel()
	rnd := framework.RandSuffix()
	// This test's own environment label: other tests' namespaces are no
	// environments of it, so every row seen here is one of these.
	key := "e2e.eshell/envpick-" + rnd
	fNew, fMid, fOld := framework.New(t), framework.New(t), framework.New(t)
	envNew, envMid, envOld := "new-"+rnd, "mid-"+rnd, "old-"+rnd
	ago := func(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339) }
	// new: the namespace's own creation (seconds ago), an owner annotation.
	asEnvironment(fNew, map[string]string{key: envNew}, map[string]string{
		meta.EnvOwnerKey: "ana@example.test",
		meta.EnvStatusAnnotationPrefix + "deployed": "true",
	})
	// mid: created 3h ago by its annotation, owner by label, a failed check.
	asEnvironment(fMid, map[string]string{key: envMid, meta.EnvOwnerKey: "bo"}, map[string]string{
		meta.EnvCreatedAtAnnotation:                 ago(3 * time.Hour),
		meta.EnvStatusAnnotationPrefix + "deployed": "true",
		meta.EnvStatusAnnotationPrefix + "migrated": "false",
	})
	// old: created 50h ago, no owner.
	asEnvironment(fOld, map[string]string{key: envOld}, map[string]string{meta.EnvCreatedAtAnnotation: ago(50 * time.Hour)})
	fNew.Apply(epZero)
	fMid.Apply(epZero)

	plugin := func(f *framework.F, args ...string) framework.Result {
		f.T.Helper()
		return f.Run(f.Cmd(f.Plugin, append([]string{"--env-label", key}, args...)...), "")
	}
	row := func(env, ns, rest string) string {
		return regexp.QuoteMeta(env) + ` +` + regexp.QuoteMeta(ns) + ` +` + rest
	}
	// new's age is that of the test so far: seconds, or minutes on a busy node.
	const fresh = `\d+[sm](?:\d+s)?`
	rowNew := row(envNew, fNew.Namespace, `ana@example\.test +`+fresh+` +deployed ✓`)
	rowMid := row(envMid, fMid.Namespace, `bo +3h(?:\d+m)? +failing +deployed ✓ migrated ✗`)
	rowOld := row(envOld, fOld.Namespace, `- +2d2h`)
	sub := func(t *testing.T) *framework.F { return fNew.Sub(t) }

	t.Run("Terminal", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", key, "--mode", "exec"))
		term.Expect(`Which environment\?`, 20*time.Second)
		term.Expect(`\(show 1 hidden failing environment\)`, 5*time.Second)
		first := term.Output()
		iNew := regexp.MustCompile(rowNew).FindStringIndex(first)
		iOld := regexp.MustCompile(rowOld).FindStringIndex(first)
		if iNew == nil || iOld == nil || iNew[0] > iOld[0] {
			t.Fatalf("want %s, then %s (newest first), got:\n%s", envNew, envOld, first)
		}
		if strings.Contains(first, envMid) {
			t.Fatalf("the failing environment %s was shown:\n%s", envMid, first)
		}
		term.Type("show\r")
		term.Expect(`Which environment\? \(failing ones included\)`, 10*time.Second)
		term.Expect(rowMid, 5*time.Second)
		term.Type(envMid + "\r")
		term.Expect(`warning: environment `+regexp.QuoteMeta(envMid)+` \(namespace `+regexp.QuoteMeta(fMid.Namespace)+`\) fails its status checks: migrated`, 10*time.Second)
		// Its one service, scaled to zero: a clone is offered; no.
		term.Expect(`deploy/web has no running, ready pod \(scaled to zero\?\)\. Open a clone instead\?`, 20*time.Second)
		term.Type("n\r")
		term.Expect(`error: deploy/web in namespace "`+regexp.QuoteMeta(fMid.Namespace)+`" has no running, ready pod`, 10*time.Second)
		if code := term.Wait(15 * time.Second); code != 1 {
			t.Fatalf("exit code %d, want 1", code)
		}
	})

	t.Run("AllEnvsTerminal", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", key, "--mode", "exec", "--all-envs"))
		term.Expect(`Which environment\?`, 20*time.Second)
		term.Expect(rowNew+`(?s:.*)`+rowMid+`(?s:.*)`+rowOld, 5*time.Second)
		if strings.Contains(term.Output(), "hidden failing") {
			t.Errorf("--all-envs still hides:\n%s", term.Output())
		}
		term.Type("\x03")
		if code := term.Wait(15 * time.Second); code == 0 {
			t.Fatalf("Ctrl-C at the question: exit code 0")
		}
	})

	t.Run("NoTerminal", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		lines := func(r framework.Result) []string {
			t.Helper()
			var out []string
			for _, l := range strings.Split(r.Stderr, "\n") {
				if strings.HasPrefix(l, "  ") {
					out = append(out, strings.Fields(l)[0])
				}
			}
			return out
		}
		r := plugin(f, "--mode", "exec", "--", "true")
		if got := lines(r); r.Code != 1 || strings.Join(got, " ") != envNew+" "+envOld ||
			!strings.Contains(r.Stderr, "\nHidden: 1 failing environment (--all-envs lists failing ones too).") {
			t.Errorf("listed %q; want %s %s and the hidden one said: %+v", got, envNew, envOld, r)
		}
		r = plugin(f, "--mode", "exec", "--all-envs", "--", "true")
		if got := lines(r); r.Code != 1 || strings.Join(got, " ") != envNew+" "+envMid+" "+envOld || !regexp.MustCompile(`\n  `+rowMid).MatchString(r.Stderr) {
			t.Errorf("--all-envs listed %q; want all three, newest first, %s marked: %+v", got, envMid, r)
		}
		// --env naming a failing environment works, and warns.
		r = plugin(f, "--env", envMid, "deploy/web", "--dry-run=client")
		want := "warning: environment " + envMid + " (namespace " + fMid.Namespace + ") fails its status checks: migrated\n"
		if r.Code != 0 || !strings.Contains(r.Stdout, "kind: Job") || !strings.Contains(r.Stderr, want) {
			t.Errorf("--env %s: want the dry run and %q: %+v", envMid, want, r)
		}
	})

	// Without a terminal the error gives the command that opens a clone;
	// that command, run as printed, opens one.
	t.Run("ScaledToZeroNoTerminal", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		r := plugin(f, "--env", envNew, "deploy/web", "--mode", "exec", "--", "sh", "-c", "echo clone-of-web")
		cmdline := "kubectl eshell --env-label " + key + " --env " + envNew + " deploy/web --mode clone -- sh -c 'echo clone-of-web'"
		if r.Code != 1 || !strings.Contains(r.Stderr, "deploy/web in namespace \""+fNew.Namespace+"\" has no running, ready pod (scaled to zero?); use --mode clone to start a fresh copy of it: "+cmdline+"; or check it with") {
			t.Fatalf("want the clone command %q: %+v", cmdline, r)
		}
		cmd := f.Cmd("sh", "-c", strings.Replace(cmdline, "kubectl eshell", f.Plugin, 1))
		cmd.Env = append(cmd.Env, "KUBECONFIG="+f.DevKubeconfig)
		f.Run(cmd, "").Want(t, 0, "clone-of-web\n")
	})

	// On a terminal, yes opens a clone shell.
	t.Run("ScaledToZeroTerminal", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", key, "--env", envNew, "deploy/web", "--mode", "exec"))
		term.Expect(`deploy/web has no running, ready pod \(scaled to zero\?\)\. Open a clone instead\? \[Y/n\] $`, 20*time.Second)
		term.Type("y\r")
		term.Expect(framework.Prompt, 60*time.Second)
		term.Type("echo host-$HOSTNAME-end\r")
		pod := term.Expect(`(?m)^host-(\S+)-end\r?$`, 10*time.Second)[1]
		p, err := f.Client.CoreV1().Pods(fNew.Namespace).Get(f.Ctx, pod, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the shell's pod %q: %v", pod, err)
		}
		if p.Labels[meta.ManagedByLabel] != meta.ManagedByValue || p.Labels[meta.SessionLabel] == "" || p.Annotations[meta.SourceAnnotation] != "deployment/web" || p.Labels["app"] != "" {
			t.Errorf("pod %s is no clone of deployment/web: labels %v, annotations %v", pod, p.Labels, p.Annotations)
		}
		term.Type("exit 0\r")
		if code := term.Wait(30 * time.Second); code != 0 {
			t.Fatalf("exit code %d, want 0", code)
		}
	})

	t.Run("Completion", func(t *testing.T) {
		t.Parallel()
		f := sub(t)
		complete := func(args ...string) []string {
			t.Helper()
			return f.Complete(append([]string{"--env-label", key}, args...)...)
		}
		want := func(got []string, res ...string) {
			t.Helper()
			if len(got) != len(res) {
				t.Fatalf("completions %q, want %d matching %q", got, len(res), res)
			}
			for i, re := range res {
				if !regexp.MustCompile(`^` + re + `$`).MatchString(got[i]) {
					t.Errorf("completion %d is %q, want %s", i, got[i], re)
				}
			}
		}
		cNew := regexp.QuoteMeta(envNew+"\tnamespace "+fNew.Namespace+", owner ana@example.test, age ") + fresh
		cOld := regexp.QuoteMeta(envOld + "\tnamespace " + fOld.Namespace + ", age 2d2h")
		cMid := regexp.QuoteMeta(envMid+"\tnamespace "+fMid.Namespace+", owner bo, age 3h") + `(?:\d+m)?, failing: migrated`
		want(complete("--env", ""), cNew, cOld)
		want(complete("--all-envs", "--env", ""), cNew, cMid, cOld)
		want(complete("--env", "mid-"))
		want(complete("--all-envs", "--env", "mid-"), cMid)
	})
}
