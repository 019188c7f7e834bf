package e2e

// Interactive picking end to end: `kubectl eshell` without arguments asks
// for the environment, the service and the container on a terminal; every
// answer has a flag for scripts; presets choose the console; completion
// reads the live cluster.

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/sberz/kubectl-eshell/test/e2e/framework"
)

// pkApp is a Deployment of two containers that say which they are.
const pkApp = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: first, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: first}]}
      - {name: second, image: busybox:1.37, command: [sleep, infinity], env: [{name: WHICH, value: second}]}
`

// pkOther is a second service whose annotation selects the django preset.
const pkOther = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: other
  annotations: {eshell.kubectl.io/preset: django}
spec:
  replicas: 0
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers:
      - {name: other, image: busybox:1.37, command: [sleep, infinity]}
`

// pkKinds has one object of every kind completion offers; none of them
// needs to run.
var pkKinds = idleWeb(`containers: [{name: web, image: busybox:1.37}]`) + `---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 0
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: busybox:1.37}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {e2e.eshell/no-such-node: "true"}
      containers: [{name: agent, image: busybox:1.37}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox:1.37}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: nightly, image: busybox:1.37}]
---
apiVersion: v1
kind: Pod
metadata: {name: solo}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: solo, image: busybox:1.37, command: [sleep, infinity]}]
`

// pickEnvs is what TestPick's cases share: two environments, labelled with
// the test's own key, and a namespace with one object of every kind.
type pickEnvs struct {
	fa         *framework.F // environment alpha: deploy/app only
	fb         *framework.F // environment beta: deploy/app and deploy/other
	fk         *framework.F // no environment: one object of every kind
	rnd        string       // this test's random suffix
	key        string       // this test's own environment label
	envA, envB string       // the environments' names
	podA, podB string       // the pods of deploy/app in alpha and beta
}

// plugin runs the plugin as user "dev", without -n, with no terminal; env
// is added to its environment.
func (p pickEnvs) plugin(f *framework.F, env []string, args ...string) framework.Result {
	f.T.Helper()
	cmd := f.Cmd(f.Plugin, append([]string{"--env-label", p.key}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	return f.Run(cmd, "")
}

// TestPick: the pickers that ask for an environment, a service and a
// container, their flags, presets and completion. The cases run in
// parallel in alpha's namespace.
func TestPick(t *testing.T) {
	t.Parallel()
	rnd := framework.RandSuffix()
	p := pickEnvs{fa: framework.New(t), fb: framework.New(t), fk: framework.New(t), rnd: rnd,
		key: "e2e.eshell/env-" + rnd, envA: "alpha-" + rnd, envB: "beta-" + rnd}
	asEnvironment(p.fa, map[string]string{p.key: p.envA}, map[string]string{
		"status.envs.sberz.de/deployed": "true",
		"status.envs.sberz.de/migrated": "pending", // a failed check hides it (see TestEnvPick)
		"url.envs.sberz.de/web":         "http://web.alpha.example.test",
	})
	asEnvironment(p.fb, map[string]string{p.key: p.envB}, nil)
	p.fa.Apply(pkApp)
	p.fb.Apply(pkApp + "---" + pkOther)
	p.fk.Apply(pkKinds)
	p.fa.Rollout("deploy/app")
	p.fb.Rollout("deploy/app")
	p.podA, p.podB = podOf(p.fa, "app"), podOf(p.fb, "app")
	framework.RunCases(p.fa, p, []framework.Case[pickEnvs]{
		{Name: "Terminal", Run: pickTerminal},
		{Name: "Flags", Run: pickFlags},
		{Name: "NoTerminalListsChoices", Run: pickNoTerminalListsChoices},
		{Name: "EveryKindsRow", Run: pickEveryKindsRow},
		{Name: "CannotListNamespaces", Run: pickCannotListNamespaces},
		{Name: "PresetsBuiltin", Run: pickPresetsBuiltin},
		{Name: "PresetsUserDefined", Run: pickPresetsUserDefined},
		{Name: "PresetsBrokenFile", Run: pickPresetsBrokenFile},
		{Name: "CompletionKinds", Run: pickCompletionKinds},
		{Name: "CompletionEnvironments", Run: pickCompletionEnvironments},
		{Name: "CompletionFlags", Run: pickCompletionFlags},
		{Name: "CompletionScript", Run: pickCompletionScript},
	})
}

func pickTerminal(t *testing.T, f *framework.F, p pickEnvs) {
	term := f.PtyCmd(f.Cmd(f.Plugin, "--env-label", p.key, "--mode", "exec"))
	// Both environments, by name, with alpha's checks and URL.
	term.Expect(`Which environment\?`, 20*time.Second)
	term.Expect(regexp.QuoteMeta(p.envA)+` +`+regexp.QuoteMeta(p.fa.Namespace)+` +\d+[sm](?:\d+s)? +deployed ✓ migrated=pending +web=http://web\.alpha\.example\.test`, 5*time.Second)
	term.Expect(regexp.QuoteMeta(p.envB)+` +`+regexp.QuoteMeta(p.fb.Namespace), 5*time.Second)
	term.Type(p.envB + "\r") // type to filter, Enter
	term.Expect(`Which service in namespace `+regexp.QuoteMeta(p.fb.Namespace)+`\?`, 20*time.Second)
	term.Expect(`deploy/app +Deployment +1/1 +\d+[sm](?:\d+s)?`, 5*time.Second)
	term.Expect(`deploy/other +Deployment +0/0`, 5*time.Second)
	term.Type("app\r")
	term.Expect(`Which container of deploy/app\?`, 20*time.Second)
	term.Expect(`second +busybox:1\.37`, 5*time.Second)
	term.Type("\x1b[B\r") // arrow down to "second", Enter
	term.Expect(framework.Prompt, 20*time.Second)
	term.Type("echo picked-$HOSTNAME-$WHICH; exit 0\r")
	term.Expect(`(?m)^picked-`+regexp.QuoteMeta(p.podB)+`-second\r?$`, 10*time.Second)
	if code := term.Wait(15 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func pickFlags(t *testing.T, f *framework.F, p pickEnvs) {
	r := p.plugin(f, nil, "--env", p.envB, "--service", "deploy/app", "-c", "second", "--mode", "exec", "--", "sh", "-c", "echo flags-$HOSTNAME-$WHICH")
	r.Want(t, 0, "flags-"+p.podB+"-second\n")
	// The TYPE/NAME argument works the same with --env.
	r = p.plugin(f, nil, "--env", p.envB, "deploy/app", "--mode", "exec", "--", "sh", "-c", "echo arg-$HOSTNAME")
	r.Want(t, 0, "arg-"+p.podB+"\n")
	// alpha has one service: taken without asking, and said.
	r = p.plugin(f, nil, "--env", p.envA, "--mode", "exec", "--", "sh", "-c", "echo auto-$HOSTNAME-$WHICH")
	r.Want(t, 0, "auto-"+p.podA+"-first\n", "Using service deploy/app") // the automatic choice is said
	r = p.plugin(f, nil, "--env", "no-such-env-"+p.rnd, "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, `no environment "no-such-env-`+p.rnd+`"`) || !strings.Contains(r.Stderr, p.envA) || !strings.Contains(r.Stderr, p.envB) {
		t.Errorf("unknown --env: %+v", r)
	}
}

func pickNoTerminalListsChoices(t *testing.T, f *framework.F, p pickEnvs) {
	r := p.plugin(f, nil, "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "error: which environment? There is no terminal to ask on, so choose it with --env NAME") ||
		!regexp.MustCompile(`\n  `+regexp.QuoteMeta(p.envA)+` +`+regexp.QuoteMeta(p.fa.Namespace)).MatchString(r.Stderr) ||
		!regexp.MustCompile(`\n  `+regexp.QuoteMeta(p.envB)+` +`+regexp.QuoteMeta(p.fb.Namespace)).MatchString(r.Stderr) {
		t.Errorf("no environment chosen: %+v", r)
	}
	r = p.plugin(f, nil, "--env", p.envB, "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "error: which service? There is no terminal to ask on, so choose it with TYPE/NAME or --service TYPE/NAME") ||
		!strings.Contains(r.Stderr, "\n  deploy/app ") || !strings.Contains(r.Stderr, "\n  deploy/other ") {
		t.Errorf("no service chosen: %+v", r)
	}
}

// One row per kind, from the API server's Tables: the ready column in
// kubectl get's words, and the age.
func pickEveryKindsRow(t *testing.T, f *framework.F, p pickEnvs) {
	r := p.plugin(f, nil, "-n", p.fk.Namespace, "--mode", "exec", "--", "true")
	if r.Code != 1 || !strings.Contains(r.Stderr, "error: which service? There is no terminal to ask on") {
		t.Fatalf("no service question: %+v", r)
	}
	age := ` +\d+[sm]\d*s?\n`
	for _, re := range []string{
		`\n  deploy/web +Deployment +0/0` + age,
		`\n  sts/db +StatefulSet +0/0` + age,
		`\n  ds/agent +DaemonSet +0/0` + age,
		`\n  cj/nightly +CronJob +0 active suspended` + age,
		`\n  job/migrate +Job +(Suspended|Running) 0/1` + age,
		`\n  pod/solo +Pod +(1/1|0/1 [A-Za-z]+)` + age,
	} {
		if !regexp.MustCompile(re).MatchString(r.Stderr + "\n") {
			t.Errorf("no row matching %s:\n%s", re, r.Stderr)
		}
	}
	if n := strings.Count(r.Stderr, "\n  "); n != 6 {
		t.Errorf("%d rows, want 6:\n%s", n, r.Stderr)
	}
}

// "newcomer" may not list namespaces: the picker keeps the kubeconfig's
// namespace, without an error, and goes on to the services there.
func pickCannotListNamespaces(t *testing.T, f *framework.F, p pickEnvs) {
	f.Apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dev-pick}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
- {apiGroups: [""], resources: [pods/exec], verbs: [get, create]}
- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-pick}
subjects: [{kind: User, name: newcomer, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: Role, name: dev-pick, apiGroup: rbac.authorization.k8s.io}
`)
	// newcomer's kubeconfig, with alpha's namespace as its current one.
	cfg, err := clientcmd.LoadFromFile(f.NewcomerKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts[cfg.CurrentContext].Namespace = p.fa.Namespace
	devKubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, devKubeconfig); err != nil {
		t.Fatal(err)
	}
	f.Eventually("the dev Role to apply", 10*time.Second, func() bool {
		cmd := f.Cmd(f.Env.Kubectl, "get", "deploy/app")
		cmd.Env = append(cmd.Env, "KUBECONFIG="+devKubeconfig)
		return cmd.Run() == nil
	})
	cmd := f.Cmd(f.Env.Kubectl, "get", "namespaces")
	cmd.Env = append(cmd.Env, "KUBECONFIG="+devKubeconfig)
	if cmd.Run() == nil {
		t.Fatal("newcomer may list namespaces; this test needs a user who may not")
	}
	r := p.plugin(f, []string{"KUBECONFIG=" + devKubeconfig}, "--mode", "exec", "--no-audit", "--", "sh", "-c", "echo dev-$HOSTNAME")
	r.Want(t, 0, "dev-"+p.podA+"\n", "Using service deploy/app") // picked from the current namespace
	if strings.Contains(strings.ToLower(r.Stderr), "forbidden") || strings.Contains(r.Stderr, "error") || strings.Contains(r.Stderr, "warning") {
		t.Errorf("a user who may not list namespaces or other kinds got complaints: %s", r.Stderr)
	}
}
