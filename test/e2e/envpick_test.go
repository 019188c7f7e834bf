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

	"github.com/sberz/kubectl-eshell/pkg/keys"
	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// epZero is a Deployment scaled to zero: nothing to exec into.
var epZero = idleWeb(`
terminationGracePeriodSeconds: 0
containers: [{name: web, image: busybox:1.37, command: [sleep, infinity]}]
`)

// envPicks is what TestEnvPick's cases share: three environments of the
// test's own label, created "now", 3h ago (failing a check) and 50h ago.
type envPicks struct {
	fNew, fMid, fOld       *framework.F
	key                    string // the environment label
	envNew, envMid, envOld string // the environments' names
	rowNew, rowMid, rowOld string // each one's picker row, a regular expression
}

// envFreshAge is the age of an environment created by the test: seconds,
// or minutes on a busy node.
const envFreshAge = `\d+[sm](?:\d+s)?`

// plugin runs the plugin as user "dev", with the test's environment label,
// without -n and with no terminal.
func (p envPicks) plugin(f *framework.F, args ...string) framework.Result {
	f.T.Helper()
	return f.Run(f.Cmd(f.Plugin, append([]string{"--env-label", p.key}, args...)...), "")
}

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
		keys.EnvOwnerKey: "ana@example.test",
		keys.EnvStatusAnnotationPrefix + "deployed": "true",
	})
	// mid: created 3h ago by its annotation, owner by label, a failed check.
	asEnvironment(fMid, map[string]string{key: envMid, keys.EnvOwnerKey: "bo"}, map[string]string{
		keys.EnvCreatedAtAnnotation:                 ago(3 * time.Hour),
		keys.EnvStatusAnnotationPrefix + "deployed": "true",
		keys.EnvStatusAnnotationPrefix + "migrated": "false",
	})
	// old: created 50h ago, no owner.
	asEnvironment(fOld, map[string]string{key: envOld}, map[string]string{keys.EnvCreatedAtAnnotation: ago(50 * time.Hour)})
	fNew.Apply(epZero)
	fMid.Apply(epZero)

	row := func(env, ns, rest string) string {
		return regexp.QuoteMeta(env) + ` +` + regexp.QuoteMeta(ns) + ` +` + rest
	}
	p := envPicks{fNew: fNew, fMid: fMid, fOld: fOld, key: key, envNew: envNew, envMid: envMid, envOld: envOld,
		rowNew: row(envNew, fNew.Namespace, `ana@example\.test +`+envFreshAge+` +deployed ✓`),
		rowMid: row(envMid, fMid.Namespace, `bo +3h(?:\d+m)? +failing +deployed ✓ migrated ✗`),
		rowOld: row(envOld, fOld.Namespace, `- +2d2h`)}
	framework.RunCases(fNew, p, []framework.Case[envPicks]{
		{Name: "Terminal", Run: envPickTerminal},
		{Name: "AllEnvsTerminal", Run: envPickAllEnvsTerminal},
		{Name: "NoTerminal", Run: envPickNoTerminal},
		{Name: "ScaledToZeroNoTerminal", Run: envPickScaledToZeroNoTerminal},
		{Name: "ScaledToZeroTerminal", Run: envPickScaledToZeroTerminal},
		{Name: "Completion", Run: envPickCompletion},
	})
}

func envPickTerminal(t *testing.T, f *framework.F, e envPicks) {
	term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", e.key, "--mode", "exec"))
	term.Expect(`Which environment\?`, 20*time.Second)
	term.Expect(`\(show 1 hidden failing environment\)`, 5*time.Second)
	first := term.Output()
	iNew := regexp.MustCompile(e.rowNew).FindStringIndex(first)
	iOld := regexp.MustCompile(e.rowOld).FindStringIndex(first)
	if iNew == nil || iOld == nil || iNew[0] > iOld[0] {
		t.Fatalf("want %s, then %s (newest first), got:\n%s", e.envNew, e.envOld, first)
	}
	if strings.Contains(first, e.envMid) {
		t.Fatalf("the failing environment %s was shown:\n%s", e.envMid, first)
	}
	term.Type("show\r")
	term.Expect(`Which environment\? \(failing ones included\)`, 10*time.Second)
	term.Expect(e.rowMid, 5*time.Second)
	term.Type(e.envMid + "\r")
	term.Expect(`warning: environment `+regexp.QuoteMeta(e.envMid)+` \(namespace `+regexp.QuoteMeta(e.fMid.Namespace)+`\) fails its status checks: migrated`, 10*time.Second)
	// Its one service, scaled to zero: a clone is offered; no.
	term.Expect(`deploy/web has no running, ready pod \(scaled to zero\?\)\. Open a clone instead\?`, 20*time.Second)
	term.Type("n\r")
	term.Expect(`error: deploy/web in namespace "`+regexp.QuoteMeta(e.fMid.Namespace)+`" has no running, ready pod`, 10*time.Second)
	if code := term.Wait(15 * time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
}

func envPickAllEnvsTerminal(t *testing.T, f *framework.F, e envPicks) {
	term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", e.key, "--mode", "exec", "--all-envs"))
	term.Expect(`Which environment\?`, 20*time.Second)
	term.Expect(e.rowNew+`(?s:.*)`+e.rowMid+`(?s:.*)`+e.rowOld, 5*time.Second)
	if strings.Contains(term.Output(), "hidden failing") {
		t.Errorf("--all-envs still hides:\n%s", term.Output())
	}
	term.Type("\x03")
	if code := term.Wait(15 * time.Second); code == 0 {
		t.Fatalf("Ctrl-C at the question: exit code 0")
	}
}

func envPickNoTerminal(t *testing.T, f *framework.F, e envPicks) {
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
	r := e.plugin(f, "--mode", "exec", "--", "true")
	if got := lines(r); r.Code != 1 || strings.Join(got, " ") != e.envNew+" "+e.envOld ||
		!strings.Contains(r.Stderr, "\nHidden: 1 failing environment (--all-envs lists failing ones too).") {
		t.Errorf("listed %q; want %s %s and the hidden one said: %+v", got, e.envNew, e.envOld, r)
	}
	r = e.plugin(f, "--mode", "exec", "--all-envs", "--", "true")
	if got := lines(r); r.Code != 1 || strings.Join(got, " ") != e.envNew+" "+e.envMid+" "+e.envOld || !regexp.MustCompile(`\n  `+e.rowMid).MatchString(r.Stderr) {
		t.Errorf("--all-envs listed %q; want all three, newest first, %s marked: %+v", got, e.envMid, r)
	}
	// --env naming a failing environment works, and warns.
	r = e.plugin(f, "--env", e.envMid, "deploy/web", "--dry-run=client")
	want := "warning: environment " + e.envMid + " (namespace " + e.fMid.Namespace + ") fails its status checks: migrated\n"
	if r.Code != 0 || !strings.Contains(r.Stdout, "kind: Job") || !strings.Contains(r.Stderr, want) {
		t.Errorf("--env %s: want the dry run and %q: %+v", e.envMid, want, r)
	}
}

// Without a terminal the error gives the command that opens a clone;
// that command, run as printed, opens one.
func envPickScaledToZeroNoTerminal(t *testing.T, f *framework.F, e envPicks) {
	r := e.plugin(f, "--env", e.envNew, "deploy/web", "--mode", "exec", "--", "sh", "-c", "echo clone-of-web")
	cmdline := "kubectl eshell --env-label " + e.key + " --env " + e.envNew + " deploy/web --mode clone -- sh -c 'echo clone-of-web'"
	if r.Code != 1 || !strings.Contains(r.Stderr, "deploy/web in namespace \""+e.fNew.Namespace+"\" has no running, ready pod (scaled to zero?); use --mode clone to start a fresh copy of it: "+cmdline+"; or check it with") {
		t.Fatalf("want the clone command %q: %+v", cmdline, r)
	}
	cmd := f.Cmd("sh", "-c", strings.Replace(cmdline, "kubectl eshell", f.Plugin, 1))
	cmd.Env = append(cmd.Env, "KUBECONFIG="+f.DevKubeconfig)
	f.Run(cmd, "").Want(t, 0, "clone-of-web\n")
}

// On a terminal, yes opens a clone shell.
func envPickScaledToZeroTerminal(t *testing.T, f *framework.F, e envPicks) {
	term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", e.key, "--env", e.envNew, "deploy/web", "--mode", "exec"))
	term.Expect(`deploy/web has no running, ready pod \(scaled to zero\?\)\. Open a clone instead\? \[Y/n\] $`, 20*time.Second)
	term.Type("y\r")
	term.Expect(framework.Prompt, 60*time.Second)
	term.Type("echo host-$HOSTNAME-end\r")
	pod := term.Expect(`(?m)^host-(\S+)-end\r?$`, 10*time.Second)[1]
	p, err := f.Client.CoreV1().Pods(e.fNew.Namespace).Get(f.Ctx, pod, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the shell's pod %q: %v", pod, err)
	}
	if p.Labels[keys.ManagedByLabel] != keys.ManagedByValue || p.Labels[keys.SessionLabel] == "" || p.Annotations[keys.SourceAnnotation] != "deployment/web" || p.Labels["app"] != "" {
		t.Errorf("pod %s is no clone of deployment/web: labels %v, annotations %v", pod, p.Labels, p.Annotations)
	}
	term.Type("exit 0\r")
	if code := term.Wait(30 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func envPickCompletion(t *testing.T, f *framework.F, e envPicks) {
	complete := func(args ...string) []string {
		t.Helper()
		return f.Complete(append([]string{"--env-label", e.key}, args...)...)
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
	cNew := regexp.QuoteMeta(e.envNew+"\tnamespace "+e.fNew.Namespace+", owner ana@example.test, age ") + envFreshAge
	cOld := regexp.QuoteMeta(e.envOld + "\tnamespace " + e.fOld.Namespace + ", age 2d2h")
	cMid := regexp.QuoteMeta(e.envMid+"\tnamespace "+e.fMid.Namespace+", owner bo, age 3h") + `(?:\d+m)?, failing: migrated`
	want(complete("--env", ""), cNew, cOld)
	want(complete("--all-envs", "--env", ""), cNew, cMid, cOld)
	want(complete("--env", "mid-"))
	want(complete("--all-envs", "--env", "mid-"), cMid)
}
